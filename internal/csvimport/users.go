package csvimport

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/schoolroster/rosterimport/internal/roster"
)

// Reasons a users row is skipped, or re-invited.
const (
	ReasonAlreadyMember  = "Already a member"
	ReasonAlreadyInvited = "Already invited"
	// ReasonMarkedRemoved: the file's status column says removed (an export
	// of the school); such a row never invites anyone.
	ReasonMarkedRemoved = "Marked as removed in the file"
	// ReasonReinvite: without updates, a removed person in the file is
	// invited again.
	ReasonReinvite = "Was removed; will be invited again"
	// ReasonRemoved: an import that updates existing users leaves removed
	// people removed.
	ReasonRemoved = "Removed from the school; not brought back"
)

// GroupSeparator separates the groups of one cell ("Staff; Teachers").
const GroupSeparator = ";"

func (v *validator) checkUser(r *RowResult, cells []string) {
	var flags uint16
	r.Email, flags = normalizeEmailFlags(cell(cells, v.colEmail))
	if r.Email == "" && v.colUsername >= 0 {
		// Exports such as School Data Sync's leave the email blank where the
		// sign-in name is the address; never guess from anything else.
		if u, uf := normalizeEmailFlags(cell(cells, v.colUsername)); u != "" && checkEmailFlags(u, uf) == "" {
			r.Email, flags = u, uf
			v.fromUsername++
		}
	}
	r.FirstName = cleanText(cell(cells, v.colFirst))
	r.LastName = cleanText(cell(cells, v.colLast))
	r.MarkedRemoved = strings.EqualFold(cleanText(cell(cells, v.colStatus)), string(roster.StatusRemoved))
	if msg := checkEmailFlags(r.Email, flags); msg != "" {
		v.fail(r, msg, msg)
		if msg == msgEmailRequired {
			v.noteAddressColumns(cells)
		}
		return
	}
	// The duplicate check runs at flush time for the whole batch (see
	// checkDuplicates); it outranks the group check below.
	r.dupKey = r.Email
	if !v.checkGroups(r, cleanText(cell(cells, v.colGroup))) {
		return
	}
	v.checkUserID(r, cleanText(cell(cells, v.colUserID)))
	if r.Status == StatusValid {
		v.checkParents(r, cells)
	}
}

// checkGroups reads a group cell: one group or several separated by
// GroupSeparator, each one of the school's (names match without regard to
// case); blank is Students. It reports false when the row failed.
func (v *validator) checkGroups(r *RowResult, text string) bool {
	if text == "" {
		r.Group, r.GroupDefaulted = roster.DefaultGroup, true
		return true
	}
	if !strings.Contains(text, GroupSeparator) {
		// The common cell: one group.
		name := v.groupName(text)
		if name == "" {
			msg := "Unknown group: " + text
			v.fail(r, msg, msg)
			return false
		}
		r.Group = name
		return true
	}
	var names []string
	for part := range strings.SplitSeq(text, GroupSeparator) {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		name := v.groupName(part)
		if name == "" {
			msg := "Unknown group: " + part
			v.fail(r, msg, msg)
			return false
		}
		if !slices.Contains(names, name) {
			names = append(names, name)
		}
	}
	if len(names) == 0 {
		r.Group, r.GroupDefaulted = roster.DefaultGroup, true
		return true
	}
	r.Group = strings.Join(names, GroupSeparator+" ")
	return true
}

// groupName is the school's name of a group as a cell writes it, "" when
// the school has no such group; a repeated cell costs one map read.
func (v *validator) groupName(cell string) string {
	name, cached := v.groupCache[cell]
	if !cached {
		name = v.groups[roster.GroupKey(cell)]
		if len(v.groupCache) < 1000 {
			v.groupCache[cell] = name
		}
	}
	return name
}

// checkUserID checks a row's id (if it has one) is short and not an earlier
// row's; whether another user has it is settled with the Directory.
func (v *validator) checkUserID(r *RowResult, id string) {
	switch {
	case id == "":
		return
	case utf8.RuneCountInString(id) > maxUserID:
		v.fail(r, fmt.Sprintf("User id is longer than %d characters", maxUserID), keyUserIDTooLong)
		return
	}
	r.UserID = id
	if first, dup := v.idRows[id]; dup {
		v.fail(r, fmt.Sprintf("Duplicate user id (same as row %d)", first), keyDuplicateUserID)
		return
	}
	v.idRows[id] = r.Row
}

// settleUsers looks the batch's people up in the school: someone already
// there is skipped (or, without updates, invited again if removed), with
// what an update would do to them.
func (v *validator) settleUsers(ctx context.Context) error {
	var emails, ids []string
	for _, r := range v.pending {
		if r.Status == StatusValid {
			emails = append(emails, r.Email)
			if r.UserID != "" {
				ids = append(ids, r.UserID)
			}
		}
	}
	members, owners := map[string]roster.MemberState{}, map[string]string{}
	if v.opts.Directory != nil {
		var err error
		if members, err = v.members(ctx, emails); err != nil {
			return err
		}
		if owners, err = v.userIDs(ctx, ids); err != nil {
			return err
		}
	}
	for _, r := range v.pending {
		if r.Status != StatusValid {
			continue
		}
		if owner := owners[r.UserID]; r.UserID != "" && owner != "" && owner != r.Email {
			v.fail(r, fmt.Sprintf("User id %s already belongs to %s", r.UserID, owner), keyUserIDTaken)
			continue
		}
		settleUser(r, members[r.Email])
	}
	return nil
}

// settleUser decides a row once the school's record of its person is known
// (st is zero for someone new).
func settleUser(r *RowResult, st roster.MemberState) {
	r.Existing = st.Status
	switch {
	case st.Status == roster.StatusRemoved && r.MarkedRemoved:
		r.Status, r.Reason, r.UpdateOutcome = StatusSkipped, ReasonMarkedRemoved, roster.UpdateUnchanged
	case r.MarkedRemoved:
		r.Status, r.Reason = StatusSkipped, ReasonMarkedRemoved
	case st.Status == roster.StatusRemoved:
		r.Reason, r.UpdateOutcome = ReasonReinvite, roster.UpdateRemoved
	case st.Status == roster.StatusActive || st.Status == roster.StatusInvited:
		r.Status, r.Reason = StatusSkipped, ReasonAlreadyMember
		if st.Status == roster.StatusInvited {
			r.Reason = ReasonAlreadyInvited
		}
		r.Changes = updateChanges(r.PreviewRow, st)
		r.UpdateOutcome = roster.UpdateUnchanged
		if len(r.Changes) > 0 {
			r.UpdateOutcome = roster.UpdateChanges
		}
	}
}

// updateChanges are what updating a user from a users row changes: a name
// or id the row gives that differs, and the groups when the row names any
// (they replace the user's groups: a group the row does not name is taken
// away). A blank cell changes nothing. st.Groups are group names.
func updateChanges(row roster.PreviewRow, st roster.MemberState) []roster.FieldChange {
	var out []roster.FieldChange
	add := func(field, before, after string) {
		if after != "" && after != before {
			out = append(out, roster.FieldChange{Field: field, Before: before, After: after})
		}
	}
	add(fieldFirstName, st.FirstName, row.FirstName)
	add(fieldLastName, st.LastName, row.LastName)
	if !row.GroupDefaulted {
		before := joinGroups(st.Groups)
		if after := joinGroups(SplitGroups(row.Group)); !strings.EqualFold(before, after) {
			out = append(out, roster.FieldChange{Field: fieldGroup, Before: before, After: after})
		}
	}
	add(fieldUserID, st.UserID, row.UserID)
	return out
}

// SplitGroups splits a group cell as the preview wrote it.
func SplitGroups(cell string) []string {
	var out []string
	for part := range strings.SplitSeq(cell, GroupSeparator) {
		if part = strings.TrimSpace(part); part != "" {
			out = append(out, part)
		}
	}
	return out
}

// joinGroups writes group names as one cell ("Staff; Year 7"), sorted
// without regard to case, as the export and the preview's changes show them.
func joinGroups(names []string) string {
	sorted := slices.Clone(names)
	slices.SortFunc(sorted, func(a, b string) int {
		return cmp.Or(strings.Compare(roster.GroupKey(a), roster.GroupKey(b)), strings.Compare(a, b))
	})
	return strings.Join(sorted, GroupSeparator+" ")
}
