package csvimport

import (
	"context"
	"fmt"
	"strings"

	"github.com/schoolroster/rosterimport/internal/roster"
)

// The checks of relationships rows.

func (v *validator) checkRelationship(r *RowResult, cells []string) {
	r.StudentEmail, r.StudentID = normalizeEmail(cell(cells, v.colStudent)), cleanText(cell(cells, v.colStudentID))
	r.ParentEmail, r.ParentID = normalizeEmail(cell(cells, v.colParent)), cleanText(cell(cells, v.colParentID))
	switch {
	case r.StudentEmail == "" && r.StudentID == "":
		v.failRequired(r, v.colStudentID, msgStudentRequired, msgStudentMissing)
		return
	case r.ParentEmail == "" && r.ParentID == "":
		v.failRequired(r, v.colParentID, msgParentRequired, msgParentMissing)
		return
	case samePerson(r.StudentEmail, r.ParentEmail) || r.StudentEmail == "" && r.ParentEmail == "" && samePerson(r.StudentID, r.ParentID):
		v.fail(r, msgSamePerson, msgSamePerson)
		return
	}
	t, word, ok := relationshipType(cell(cells, v.colType))
	if !ok {
		v.fail(r, msgInvalidRelType, msgInvalidRelType)
		return
	}
	if word != "" {
		v.typeWords[word+"\x00"+t]++
	}
	r.RelationshipType = t
	r.dupKey = party(r.StudentEmail, r.StudentID) + "\x00" + party(r.ParentEmail, r.ParentID)
}

func samePerson(a, b string) bool { return a != "" && a == b }

// party names one side of a pair for the duplicate check: its email, else its id.
func party(email, id string) string {
	if email != "" {
		return email
	}
	return "#id:" + id
}

// failRequired fails a row with neither email nor id for a party, in the
// words of a file that has an id column or not.
func (v *validator) failRequired(r *RowResult, idCol int, emailOnly, emailOrID string) {
	msg := emailOnly
	if idCol >= 0 {
		msg = emailOrID
	}
	v.fail(r, msg, msg)
}

// relationshipWords are the type words other systems export, folded, and
// the type each is read as.
var relationshipWords = map[string]string{
	"parent": "guardian", "legalguardian": "guardian",
	"mum": "mother", "mom": "mother", "mam": "mother", "mummy": "mother", "mommy": "mother",
	"dad": "father", "daddy": "father",
	"stepmother": "step_parent", "stepfather": "step_parent", "stepmum": "step_parent", "stepmom": "step_parent", "stepdad": "step_parent",
	"grandmother": "grandparent", "grandfather": "grandparent", "grandma": "grandparent", "grandpa": "grandparent",
	"gran": "grandparent", "granny": "grandparent", "nan": "grandparent", "nana": "grandparent",
	"fostercarer": "carer", "fosterparent": "carer", "fostermother": "carer", "fosterfather": "carer", "caregiver": "carer",
	"relative": "other", "aunt": "other", "uncle": "other", "sibling": "other", "brother": "other", "sister": "other",
	"aide": "other", "emergencycontact": "other",
}

// relationshipType normalises a type cell: case, spaces, hyphens and
// underscores do not count ("Step Parent" is step_parent); blank is guardian.
// A word from relationshipWords is read as its type and returned as word.
func relationshipType(s string) (t, word string, ok bool) {
	s = strings.ToLower(cleanText(s))
	if s == "" {
		return defaultRelationType, "", true
	}
	fold := strings.NewReplacer(" ", "", "-", "", "_", "")
	folded := fold.Replace(s)
	for _, t := range RelationshipTypes {
		if folded == fold.Replace(t) {
			return t, "", true
		}
	}
	if t, ok := relationshipWords[folded]; ok {
		return t, s, true
	}
	return "", "", false
}

func (v *validator) settleRelationships(ctx context.Context) error {
	var ids []string
	for _, r := range v.pending {
		if r.Status == StatusValid {
			for _, id := range []string{r.StudentID, r.ParentID} {
				if id != "" {
					ids = append(ids, id)
				}
			}
		}
	}
	owners, err := v.userIDs(ctx, ids)
	if err != nil {
		return err
	}
	seen := map[string]bool{}
	var emails []string
	var pairs []Pair
	for _, r := range v.pending {
		if r.Status != StatusValid || !v.resolve(r, owners) || !v.firstOfPair(r) {
			continue
		}
		for _, e := range []string{r.StudentEmail, r.ParentEmail} {
			if !seen[e] {
				seen[e] = true
				emails = append(emails, e)
			}
		}
		pairs = append(pairs, Pair{Student: r.StudentEmail, Parent: r.ParentEmail})
	}
	members, err := v.members(ctx, emails)
	if err != nil {
		return err
	}
	links, err := inBatches(ctx, pairs, v.opts.BatchSize, v.opts.LookupConcurrency, v.opts.Directory.Relationships)
	if err != nil {
		return err
	}
	isUser := func(e string) bool {
		s, ok := members[e]
		return ok && s.Status != roster.StatusRemoved
	}
	for _, r := range v.pending {
		if r.Status != StatusValid {
			continue
		}
		switch {
		case !isUser(r.StudentEmail):
			v.fail(r, msgStudentNotFound, msgStudentNotFound)
		case !isUser(r.ParentEmail):
			v.fail(r, msgParentNotFound, msgParentNotFound)
		default:
			if t, ok := links[Pair{Student: r.StudentEmail, Parent: r.ParentEmail}]; ok {
				if t == r.RelationshipType {
					r.Status = StatusUnchanged
				} else {
					r.Status, r.Reason = StatusUpdated, fmt.Sprintf("Type changes from %s to %s", t, r.RelationshipType)
				}
			}
		}
	}
	return nil
}

// firstOfPair fails a row whose pair, once ids are resolved, an earlier row
// had; it reports whether the row is still valid.
func (v *validator) firstOfPair(r *RowResult) bool {
	if v.colStudentID < 0 && v.colParentID < 0 {
		return true // by email only: checkDuplicates has seen it all
	}
	if v.pairRows == nil {
		v.pairRows = map[Pair]int{}
	}
	p := Pair{Student: r.StudentEmail, Parent: r.ParentEmail}
	if first, ok := v.pairRows[p]; ok {
		v.fail(r, fmt.Sprintf("Duplicate of row %d", first), keyDuplicatePair)
		return false
	}
	v.pairRows[p] = r.Row
	return true
}

// resolve finds the email of each party given by id and reports whether the
// row is still valid: an id no user carries is "not found", an id and an
// email of different people is an error, and so is one person on both sides.
func (v *validator) resolve(r *RowResult, owners map[string]string) bool {
	sides := []struct {
		email          *string
		id             string
		notFound, diff string
	}{
		{&r.StudentEmail, r.StudentID, msgStudentNotFound, msgStudentMismatch},
		{&r.ParentEmail, r.ParentID, msgParentNotFound, msgParentMismatch},
	}
	for _, side := range sides {
		if side.id == "" {
			continue
		}
		owner := owners[side.id]
		switch {
		case owner == "":
			v.fail(r, side.notFound, side.notFound)
			return false
		case *side.email != "" && *side.email != owner:
			v.fail(r, side.diff, side.diff)
			return false
		}
		*side.email = owner
	}
	if r.StudentEmail == r.ParentEmail {
		v.fail(r, msgSamePerson, msgSamePerson)
		return false
	}
	return true
}
