package app

import (
	"context"
	"encoding/csv"
	"fmt"
	"io"
	"log/slog"
	"strconv"
	"strings"

	"github.com/schoolroster/rosterimport/internal/csvimport"
	"github.com/schoolroster/rosterimport/internal/roster"
)

// finish writes the results file and ends the import.
func (c *Confirmer) finish(ctx context.Context, log *slog.Logger, imp roster.Import, claim string) error {
	latest, err := c.Store.GetImport(ctx, imp.SchoolID, imp.ID)
	if err != nil {
		return err
	}
	key := artifactKey(imp.SchoolID, imp.ID, roster.ArtifactResults)
	if err := c.writeResults(ctx, latest, key); err != nil {
		return err
	}
	status := roster.ImportCompleted
	if latest.Results.Failed > 0 {
		status = roster.ImportCompletedWithErrors
	}
	done, err := c.Store.CompleteImport(ctx, imp.SchoolID, imp.ID, claim, status, key, c.Now().UTC())
	if roster.ErrorCode(err) == roster.ECONFLICT {
		return nil
	}
	if err == nil {
		log.Info("import completed", "status", done.Status, "created", done.Results.Created,
			"skippedMember", done.Results.SkippedMember, "skippedInvited", done.Results.SkippedInvited, "failed", done.Results.Failed,
			"updated", done.Results.Updated, "unchanged", done.Results.Unchanged, "skippedRemoved", done.Results.SkippedRemoved,
			"linksCreated", done.Results.Links.Created, "linksFailed", done.Results.Links.Failed)
	}
	return err
}

// writeResults writes every row's outcome: created, skipped and why, failed
// and why, or the preview's error. Whether a valid row was created is read
// from the users themselves, so the file is right after any retry.
func (c *Confirmer) writeResults(ctx context.Context, imp roster.Import, key string) error {
	w := c.Files.Create(ctx, key, "text/csv; charset=utf-8")
	rw := &resultsWriter{store: c.Store, imp: imp, csv: csv.NewWriter(w)}
	rw.csv.UseCRLF = true
	header := []string{"row", "email", "first_name", "last_name", "group", "user_id", "outcome", "detail"}
	if imp.Kind == roster.KindRelationships {
		header = []string{"row", "student_email", "student_id", "parent_email", "parent_id", "relationship_type", "outcome", "detail"}
	}
	_, err := io.WriteString(w, "\uFEFF")
	if err == nil {
		err = rw.csv.Write(header)
	}
	if err == nil {
		err = c.eachRow(ctx, imp, rw.add)
	}
	if err == nil {
		err = rw.flush(ctx)
	}
	if err == nil {
		rw.csv.Flush()
		err = rw.csv.Error()
	}
	if err != nil {
		w.Abort()
		return err
	}
	return w.Close()
}

// resultsWriter writes the results file a batch of rows at a time, reading
// the batch's users (or pairs) in one look-up.
type resultsWriter struct {
	store interface {
		MemberStates(ctx context.Context, schoolID string, emails []string, consistent bool) (map[string]roster.MemberState, error)
		Relationships(ctx context.Context, schoolID string, pairs []roster.Pair, consistent bool) (map[roster.Pair]roster.Relationship, error)
	}
	imp   roster.Import
	csv   *csv.Writer
	batch []roster.PreviewRow
}

const resultsBatch = 100

func (rw *resultsWriter) add(ctx context.Context, r roster.PreviewRow) error {
	if rw.batch = append(rw.batch, r); len(rw.batch) == resultsBatch {
		return rw.flush(ctx)
	}
	return nil
}

func (rw *resultsWriter) flush(ctx context.Context) error {
	records, err := rw.records(ctx)
	if err != nil {
		return err
	}
	for _, rec := range records {
		for i := range rec {
			rec[i] = csvimport.SafeCell(rec[i])
		}
		if err := rw.csv.Write(rec); err != nil {
			return err
		}
	}
	rw.batch = rw.batch[:0]
	return nil
}

// records are the batch's lines of the results file.
func (rw *resultsWriter) records(ctx context.Context) ([][]string, error) {
	var out [][]string
	if rw.imp.Kind == roster.KindRelationships {
		var rows []roster.PreviewRow
		for _, r := range rw.batch {
			if imported(rw.imp, r) {
				rows = append(rows, r)
			}
		}
		links, err := rw.store.Relationships(ctx, rw.imp.SchoolID, pairsOf(rows), true)
		if err != nil {
			return nil, err
		}
		for _, r := range rw.batch {
			outcome, detail := linkOutcome(rw.imp, r, links)
			out = append(out, []string{strconv.Itoa(r.Row), r.StudentEmail, r.StudentID, r.ParentEmail, r.ParentID, r.RelationshipType, outcome, detail})
		}
		return out, nil
	}
	var emails []string
	var links []roster.PreviewRow
	for _, r := range rw.batch {
		switch {
		case isLink(rw.imp.Kind, r):
			if r.Status == roster.RowValid {
				links = append(links, r)
			}
		case imported(rw.imp, r):
			emails = append(emails, r.Email)
		}
	}
	states := map[string]roster.MemberState{}
	if len(emails) > 0 {
		var err error
		if states, err = rw.store.MemberStates(ctx, rw.imp.SchoolID, emails, true); err != nil {
			return nil, err
		}
	}
	pairs := map[roster.Pair]roster.Relationship{}
	if len(links) > 0 {
		var err error
		if pairs, err = rw.store.Relationships(ctx, rw.imp.SchoolID, pairsOf(links), true); err != nil {
			return nil, err
		}
	}
	for _, r := range rw.batch {
		if isLink(rw.imp.Kind, r) {
			outcome, detail := parentLinkOutcome(rw.imp, r, pairs)
			out = append(out, []string{strconv.Itoa(r.Row), r.StudentEmail, "", "", "", "", outcome, detail})
			continue
		}
		outcome, detail := rowOutcome(rw.imp, r, states)
		out = append(out, []string{strconv.Itoa(r.Row), r.Email, r.FirstName, r.LastName, r.Group, r.UserID, outcome, detail})
	}
	return out, nil
}

// parentLinkOutcome is what became of a parent link of a users row; its
// line in the results file names the parent in the detail.
func parentLinkOutcome(imp roster.Import, r roster.PreviewRow, pairs map[roster.Pair]roster.Relationship) (outcome, detail string) {
	parent := fmt.Sprintf("Parent %s (%s)", r.ParentEmail, r.RelationshipType)
	if r.Status == roster.RowInvalid {
		return "link not made", parent + ": " + r.Error
	}
	l, ok := pairs[roster.Pair{Student: r.StudentEmail, Parent: r.ParentEmail}]
	switch {
	case ok && l.LastImport == imp.ID:
		return "link " + string(l.LastOutcome), parent
	case ok && l.Type == r.RelationshipType:
		return "link " + string(roster.LinkUnchanged), parent + ": already linked with this type"
	}
	return "link failed", parent + ": the student or the parent is not in the school"
}

// linkOutcome is what became of a relationships row, from the pair as it
// is now: what this import did to it, or that it was there already.
func linkOutcome(imp roster.Import, r roster.PreviewRow, links map[roster.Pair]roster.Relationship) (outcome, detail string) {
	if r.Status == roster.RowInvalid {
		return "invalid", r.Error
	}
	link, ok := links[roster.Pair{Student: r.StudentEmail, Parent: r.ParentEmail}]
	switch {
	case ok && link.LastImport == imp.ID && link.LastOutcome == roster.LinkUpdated:
		return string(roster.LinkUpdated), r.Reason
	case ok && link.LastImport == imp.ID:
		return string(link.LastOutcome), ""
	case ok && link.Type == r.RelationshipType:
		return string(roster.LinkUnchanged), "Already linked with this type"
	}
	if reason, ok := imp.Failures[r.Row]; ok {
		return "failed", reason
	}
	return "failed", "The relationship could not be saved."
}

func rowOutcome(imp roster.Import, r roster.PreviewRow, states map[string]roster.MemberState) (outcome, detail string) {
	st, ok := states[r.Email]
	switch {
	case r.Status == roster.RowInvalid:
		return "invalid", r.Error
	case imp.UpdateExisting && r.UpdateOutcome != "" && !(ok && st.InvitedByImport == imp.ID):
		return updateOutcome(imp, r, st, ok)
	case r.Status == roster.RowSkipped:
		return "skipped", r.Reason
	}
	switch {
	case ok && st.InvitedByImport == imp.ID:
		if imp.SendInvitations {
			return "created", "Invitation created and queued for sending"
		}
		return "created", "Invitation created and held (not sent)"
	case ok && st.Status == roster.StatusActive:
		return "skipped", csvimport.ReasonAlreadyMember
	case ok && st.Status == roster.StatusInvited:
		return "skipped", csvimport.ReasonAlreadyInvited
	}
	if reason, ok := imp.Failures[r.Row]; ok {
		return "failed", reason
	}
	return "failed", "The invitation could not be created."
}

// updateOutcome is what an import that updates existing users did to
// someone already in the school: updated (with the preview's before and
// after), unchanged, left removed, or failed.
func updateOutcome(imp roster.Import, r roster.PreviewRow, st roster.MemberState, found bool) (outcome, detail string) {
	switch {
	case found && st.UpdatedByImport == imp.ID:
		var changes []string
		for _, c := range r.Changes {
			changes = append(changes, fmt.Sprintf("%s: %q → %q", c.Field, c.Before, c.After))
		}
		return string(roster.RowUpdated), strings.Join(changes, "; ")
	case found && st.Status == roster.StatusRemoved && r.MarkedRemoved:
		return string(roster.RowUnchanged), csvimport.ReasonMarkedRemoved
	case found && st.Status == roster.StatusRemoved:
		return "skipped", csvimport.ReasonRemoved
	}
	if reason, failed := imp.Failures[r.Row]; failed {
		return "failed", reason
	}
	return string(roster.RowUnchanged), ""
}
