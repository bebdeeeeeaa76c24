package systemtest

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/schoolroster/rosterimport/internal/app"
	"github.com/schoolroster/rosterimport/internal/roster"
)

// confirmWith confirms an import with options (mail held) and waits for
// the end.
func confirmWith(t *testing.T, tok, school, id string, update bool) roster.Import {
	t.Helper()
	body := map[string]bool{"sendInvitations": false, "updateExisting": update}
	if st := apiJSON(t, "POST", "/schools/"+school+"/imports/"+id+"/confirm", tok, body, nil); st != 202 {
		t.Fatalf("confirm %s = %d", id, st)
	}
	return waitImport(t, tok, school, id, 90*time.Second, finished)
}

// TestUsersWithParents: a users file naming each student's parents, some
// on later rows, one already a user, one nobody knows, gives exact counts
// of users and links through the HTTP port, and the links are there.
func TestUsersWithParents(t *testing.T) {
	tok := seedSchool(t, "kin")
	pre := importFile(t, tok, "kin", "users", "parent.csv", []byte("email,group\ngran@kin.school,Parents\n"))
	confirmImport(t, tok, "kin", pre.ID)

	var b strings.Builder
	b.WriteString("Email,First Name,Group,Parent 1 Email,Parent 1 Relationship,Parent 2 Email,Parent 2 Relationship\n")
	for i := range 10 {
		p2, t2 := "", ""
		switch i {
		case 0:
			p2, t2 = "gran@kin.school", "Grandma"
		case 9:
			p2 = "nobody@kin.school"
		}
		fmt.Fprintf(&b, "kid%d@kin.school,Kid,,mum%d@kin.school,Mum,%s,%s\n", i, i/2, p2, t2)
	}
	for i := range 5 {
		fmt.Fprintf(&b, "mum%d@kin.school,Mum,Parents,,,,\n", i)
	}
	imp := importFile(t, tok, "kin", "users", "family.csv", []byte(b.String()))
	if c := imp.Counts; c.Total != 15 || c.Valid != 15 || c.Links != 11 || c.LinkErrors != 1 {
		t.Fatalf("preview counts = %+v, want 15 valid, 11 links, 1 link error", c)
	}
	var kid9 []roster.ParentLink
	for _, r := range imp.Preview {
		if r.Email == "kid9@kin.school" {
			kid9 = r.Parents
		}
	}
	if len(kid9) != 2 || kid9[1].Error != "Parent not found in organisation" || kid9[0].Type != "mother" {
		t.Errorf("kid9's parents in the preview = %+v", kid9)
	}
	done := confirmWith(t, tok, "kin", imp.ID, false)
	if want := (roster.ImportResults{Created: 15, Links: roster.LinkCounts{Created: 11}}); done.Results != want {
		t.Errorf("results = %+v, want %+v", done.Results, want)
	}
	if done.Progress != (roster.Progress{Done: 26, Total: 26}) {
		t.Errorf("progress = %+v, want 26 of 26", done.Progress)
	}
	var list app.LinkList
	if st := apiJSON(t, "GET", "/schools/kin/relationships?parent=mum2@kin.school", tok, nil, &list); st != 200 || len(list.Relationships) != 2 {
		t.Fatalf("mum2's students = %d %+v", st, list)
	}
	for _, l := range list.Relationships {
		if l.Type != "mother" {
			t.Errorf("link %+v, want mother", l)
		}
	}
	if st := apiJSON(t, "GET", "/schools/kin/relationships?student=kid0@kin.school", tok, nil, &list); st != 200 || len(list.Relationships) != 2 {
		t.Fatalf("kid0's parents = %d %+v", st, list)
	}
	results := download(t, tok, "kin", imp.ID, "results")
	if !strings.Contains(results, "11,kid9@kin.school,,,,,link not made,Parent nobody@kin.school (guardian): Parent not found in organisation") {
		t.Errorf("results file:\n%s", results)
	}
}

// TestImportUpdatesOnAndOff: the same file confirmed without and with
// updates, in two schools alike, through the HTTP port.
func TestImportUpdatesOnAndOff(t *testing.T) {
	seed := "email,first_name,last_name,group,user_id\n" +
		"ann@%[1]s.school,Ann,Lee,Staff,T1\nbo@%[1]s.school,Bo,Brown,,\ncy@%[1]s.school,Cy,Cole,Students,\n"
	edit := "email,first_name,last_name,group,user_id\n" +
		"ann@%[1]s.school,Ann,Lee,Staff; Parents,T1\nbo@%[1]s.school,Bob,Brown,,B2\ncy@%[1]s.school,Cy,Cole,,\nnew@%[1]s.school,New,Person,,\n"
	for _, update := range []bool{false, true} {
		school := map[bool]string{false: "updoff", true: "updon"}[update]
		tok := seedSchool(t, school)
		first := importFile(t, tok, school, "users", "seed.csv", fmt.Appendf(nil, seed, school))
		confirmImport(t, tok, school, first.ID)
		imp := importFile(t, tok, school, "users", "edit.csv", fmt.Appendf(nil, edit, school))
		if c := imp.Counts; c.Valid != 1 || c.Skipped != 3 || c.UpdateChanges != 2 || c.UpdateUnchanged != 1 {
			t.Fatalf("%s preview = %+v", school, c)
		}
		done := confirmWith(t, tok, school, imp.ID, update)
		want := roster.ImportResults{Created: 1}
		if update {
			want = roster.ImportResults{Created: 1, Updated: 2, Unchanged: 1}
		}
		if done.Results != want || done.UpdateExisting != update {
			t.Errorf("%s results = %+v (update %v), want %+v", school, done.Results, done.UpdateExisting, want)
		}
		var bo app.UserView
		if st := apiJSON(t, "GET", "/schools/"+school+"/users/bo@"+school+".school", tok, nil, &bo); st != 200 {
			t.Fatalf("get bo: %d", st)
		}
		wantName, wantID := "Bo", ""
		if update {
			wantName, wantID = "Bob", "B2"
		}
		if bo.FirstName != wantName || bo.UserID != wantID {
			t.Errorf("%s: bo = %q %q, want %q %q", school, bo.FirstName, bo.UserID, wantName, wantID)
		}
	}
}
