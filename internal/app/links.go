package app

import (
	"context"

	"github.com/schoolroster/rosterimport/internal/roster"
)

// imported reports whether confirm imports a line of the rows file:
// valid users rows, and with updates the rows of people already in the
// school; valid parent links; valid, updated and unchanged relationships
// rows (an unchanged pair is counted, not written).
func imported(imp roster.Import, row roster.PreviewRow) bool {
	if imp.Kind == roster.KindRelationships {
		return row.Status == roster.RowValid || row.Status == roster.RowUpdated || row.Status == roster.RowUnchanged
	}
	return row.Status == roster.RowValid || imp.UpdateExisting && row.UpdateOutcome != ""
}

// isLink reports whether a line of a users import's rows file is a parent
// link (the links follow the rows they were named on).
func isLink(kind roster.ImportKind, row roster.PreviewRow) bool {
	return kind == roster.KindUsers && row.StudentEmail != ""
}

func pairsOf(rows []roster.PreviewRow) []roster.Pair {
	pairs := make([]roster.Pair, len(rows))
	for i, row := range rows {
		pairs[i] = roster.Pair{Student: row.StudentEmail, Parent: row.ParentEmail}
	}
	return pairs
}

// importLink links one pair with the row's type: a new pair is created, a
// pair of another type updated, a pair of this type left unchanged. A pair
// this import wrote in an earlier attempt counts as it did then, so counts
// are exact after crashes and redeliveries.
// Errors: EINVALID (the row fails) when the pair keeps changing; faults to retry.
func (r *confirmRun) importLink(ctx context.Context, row roster.PreviewRow, links map[roster.Pair]roster.Relationship) (rowResult, error) {
	p := roster.Pair{Student: row.StudentEmail, Parent: row.ParentEmail}
	var was *roster.Relationship
	if l, ok := links[p]; ok {
		was = &l
	}
	for attempt := 0; attempt < 3; attempt++ {
		switch {
		case was != nil && was.LastImport == r.imp.ID:
			return linkResult(was.LastOutcome), nil
		case was != nil && was.Type == row.RelationshipType:
			return rowUnchanged, nil
		}
		now := r.c.Now().UTC()
		link := roster.Relationship{SchoolID: r.imp.SchoolID, Student: p.Student, Parent: p.Parent, Type: row.RelationshipType,
			CreatedAt: now, UpdatedAt: now, LastImport: r.imp.ID, LastOutcome: roster.LinkCreated}
		if was != nil {
			link.CreatedAt, link.LastOutcome = was.CreatedAt, roster.LinkUpdated
		}
		err := r.c.Store.SaveRelationship(ctx, was, link)
		if roster.ErrorCode(err) != roster.ECONFLICT {
			return linkResult(link.LastOutcome), err
		}
		// Changed meanwhile: read it again.
		again, err := r.c.Store.Relationships(ctx, r.imp.SchoolID, []roster.Pair{p}, true)
		if err != nil {
			return 0, err
		}
		was = nil
		if l, ok := again[p]; ok {
			was = &l
		}
	}
	return 0, roster.Errorf(roster.EINVALID, "The relationship kept changing while being imported.")
}

func linkResult(o roster.LinkOutcome) rowResult {
	switch o {
	case roster.LinkUpdated:
		return rowUpdated
	case roster.LinkUnchanged:
		return rowUnchanged
	}
	return rowCreated
}
