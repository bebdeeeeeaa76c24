package app

import (
	"context"
	"slices"

	"github.com/schoolroster/rosterimport/internal/csvimport"
	"github.com/schoolroster/rosterimport/internal/roster"
)

// importRow invites one person and says into which groups, or, when the
// import updates existing users, updates someone already in the school. A
// user this import created (or updated) in an earlier attempt counts as it
// did then; anyone else already there is skipped.
// Errors: EINVALID (the row fails) when a group is gone, the id is
// another user's, or the user keeps changing; faults to retry.
func (r *confirmRun) importRow(ctx context.Context, row roster.PreviewRow) ([]string, rowResult, error) {
	imp, c := r.imp, r.c
	groupIDs, err := r.groupIDsOf(row.Group)
	if err != nil {
		return nil, 0, err
	}
	if imp.UpdateExisting && row.Existing != "" {
		res, found, err := r.updateUser(ctx, row, groupIDs)
		if found || err != nil {
			return groupIDs, res, err
		}
		// Gone since the preview: someone new after all.
	}
	token, hash := roster.NewInvitationToken()
	inv := roster.Invitation{
		SchoolID: imp.SchoolID, Email: row.Email, FirstName: row.FirstName, LastName: row.LastName, Groups: groupIDs, UserID: row.UserID,
		InvitedBy: imp.ConfirmedBy, InvitedByImport: imp.ID, TokenHash: hash, MailStatus: roster.MailHeld,
		InvitedAt: c.Now().UTC(),
	}
	if imp.SendInvitations {
		inv.MailStatus = roster.MailQueued
		inv.SealedToken = c.Sealer.Seal(token, imp.SchoolID, row.Email)
	}
	for attempt := 0; attempt < 3; attempt++ {
		created, state, err := c.Store.CreateInvitation(ctx, inv)
		if err != nil || created {
			return groupIDs, rowCreated, err
		}
		switch {
		case state.InvitedByImport == imp.ID:
			// Written by an earlier attempt of this import (and perhaps
			// accepted since): it is this import's invitation.
			return groupIDs, rowCreated, nil
		case imp.UpdateExisting:
			// There now, though the preview did not find them.
			res, found, err := r.updateUser(ctx, row, groupIDs)
			if found || err != nil {
				return groupIDs, res, err
			}
		case state.Status == roster.StatusActive:
			return groupIDs, rowMember, nil
		case state.Status == roster.StatusInvited:
			return groupIDs, rowInvited, nil
		case state.Status == roster.StatusRemoved:
			ok, err := c.Store.ReinviteRemoved(ctx, inv)
			if err != nil || ok {
				return groupIDs, rowCreated, err
			}
		}
		// The user changed under us (removed, deleted): look again.
	}
	return nil, 0, roster.Errorf(roster.EINVALID, "The user kept changing while being imported.")
}

// updateUser applies a row to the user of its email: names and id the row
// gives, and its groups unless the cell was blank. A removed user stays
// removed. A user this import updated in an earlier attempt counts as
// updated, so counts are exact after crashes and redeliveries.
// It reports found false, and does nothing, when there is no such user.
// Errors: EINVALID when the id is another user's, a group is gone or the
// user keeps changing; faults to retry.
func (r *confirmRun) updateUser(ctx context.Context, row roster.PreviewRow, groupIDs []string) (res rowResult, found bool, err error) {
	for attempt := 0; attempt < 3; attempt++ {
		m, err := r.c.Store.GetMember(ctx, r.imp.SchoolID, row.Email)
		if roster.ErrorCode(err) == roster.ENOTFOUND {
			return 0, false, nil
		}
		if err != nil {
			return 0, true, err
		}
		switch {
		case m.Status == roster.StatusRemoved && row.MarkedRemoved:
			return rowUnchanged, true, nil
		case m.Status == roster.StatusRemoved:
			return rowRemoved, true, nil
		case m.UpdatedByImport == r.imp.ID:
			return rowUpdated, true, nil
		}
		after := applyRow(m, row, groupIDs)
		if sameMember(m, after) {
			return rowUnchanged, true, nil
		}
		now := r.c.Now().UTC()
		after.UpdatedByImport, after.UpdatedAt, after.UpdatedBy = r.imp.ID, &now, r.imp.ConfirmedBy
		_, err = r.c.Store.SaveMember(ctx, MemberChange{Before: &m, After: after})
		if roster.ErrorCode(err) == roster.ECONFLICT {
			continue // changed meanwhile: read again
		}
		if err != nil {
			return 0, true, err
		}
		return rowUpdated, true, nil
	}
	return 0, true, roster.Errorf(roster.EINVALID, "The user kept changing while being imported.")
}

// applyRow is m with what the row gives: a blank name or id changes
// nothing, a blank group cell leaves the groups.
func applyRow(m roster.Member, row roster.PreviewRow, groupIDs []string) roster.Member {
	if row.FirstName != "" {
		m.FirstName = row.FirstName
	}
	if row.LastName != "" {
		m.LastName = row.LastName
	}
	if row.UserID != "" {
		m.UserID = row.UserID
	}
	if !row.GroupDefaulted {
		m.Groups = groupIDs
	}
	return m
}

func sameMember(a, b roster.Member) bool {
	return a.FirstName == b.FirstName && a.LastName == b.LastName && a.UserID == b.UserID && sameSet(a.Groups, b.Groups)
}

func sameSet(a, b []string) bool {
	x, y := slices.Clone(a), slices.Clone(b)
	slices.Sort(x)
	slices.Sort(y)
	return slices.Equal(slices.Compact(x), slices.Compact(y))
}

// groupIDsOf maps a row's group cell ("Staff; Year 7") to group ids.
// Errors: EINVALID when a group is gone since the preview.
func (r *confirmRun) groupIDsOf(cell string) ([]string, error) {
	names := csvimport.SplitGroups(cell)
	if len(names) == 0 {
		names = []string{roster.DefaultGroup}
	}
	ids := make([]string, 0, len(names))
	for _, n := range names {
		id, ok := r.groupIDs[roster.GroupKey(n)]
		if !ok {
			return nil, roster.Errorf(roster.EINVALID, "Unknown group: %s", n)
		}
		ids = append(ids, id)
	}
	return ids, nil
}

// importParentLink links a student to a parent named on the student's row,
// when both are in the school now (the student's row may have failed, the
// parent may have been removed since the preview).
// Errors: EINVALID (the link fails); faults to retry.
func (r *confirmRun) importParentLink(ctx context.Context, row roster.PreviewRow, links map[roster.Pair]roster.Relationship, people map[string]roster.MemberState) (rowResult, error) {
	if msg := linkMissing(row, people); msg != "" {
		return 0, roster.Errorf(roster.EINVALID, "%s", msg)
	}
	return r.importLink(ctx, row, links)
}

// linkMissing says which party of a link is not in the school, or "".
func linkMissing(row roster.PreviewRow, people map[string]roster.MemberState) string {
	in := func(e string) bool {
		st, ok := people[e]
		return ok && st.Status != roster.StatusRemoved
	}
	switch {
	case !in(row.StudentEmail):
		return "Student not found in organisation"
	case !in(row.ParentEmail):
		return "Parent not found in organisation"
	}
	return ""
}

// peopleOf are the students and parents of a chunk of links.
func peopleOf(rows []roster.PreviewRow) []string {
	out := make([]string, 0, 2*len(rows))
	for _, row := range rows {
		out = append(out, row.StudentEmail, row.ParentEmail)
	}
	return out
}

// countLink counts one parent link's outcome.
func countLink(c *roster.LinkCounts, res rowResult, err error) {
	switch {
	case err != nil:
		c.Failed++
	case res == rowCreated:
		c.Created++
	case res == rowUpdated:
		c.Updated++
	case res == rowUnchanged:
		c.Unchanged++
	}
}
