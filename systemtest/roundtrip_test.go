package systemtest

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/schoolroster/rosterimport/internal/app"
	"github.com/schoolroster/rosterimport/internal/roster"
)

// exportUsers asks for the school's export through the HTTP port, waits
// for the file and downloads it.
func exportUsers(t *testing.T, tok, school string) string {
	t.Helper()
	var v app.ExportView
	if st := apiJSON(t, "GET", "/schools/"+school+"/users/export.csv", tok, nil, &v); st != 202 {
		t.Fatalf("export = %d", st)
	}
	if v = waitExport(t, tok, "/schools/"+school+"/users/exports/"+v.ID, 60*time.Second); v.Status != roster.ExportDone {
		t.Fatalf("export: %+v", v)
	}
	_, b := fetchURL(t, v.DownloadURL)
	return string(b)
}

// TestExportEditReimport: a school's export, imported again unchanged with
// updates on, changes nobody; with three first names edited, it updates
// exactly those three. Removed people and several groups make the trip too.
func TestExportEditReimport(t *testing.T) {
	const school = "trip"
	tok := seedSchool(t, school)
	var b strings.Builder
	b.WriteString("email,first_name,last_name,group,user_id\n")
	for i := range 30 {
		group := "Students"
		switch {
		case i%10 == 0:
			group = "Staff; Parents"
		case i%7 == 0:
			group = "Parents"
		}
		fmt.Fprintf(&b, "p%02d@trip.school,First%02d,Last%02d,%s,ID%02d\n", i, i, i, group, i)
	}
	b.WriteString("formula@trip.school,=1+2,@Smith,Staff,\n")
	seeded := importFile(t, tok, school, "users", "people.csv", []byte(b.String()))
	if done := confirmImport(t, tok, school, seeded.ID); done.Results.Created != 31 {
		t.Fatalf("seed: %+v", done.Results)
	}
	if st := apiJSON(t, "DELETE", "/schools/"+school+"/users/p29@trip.school", tok, nil, nil); st != 200 {
		t.Fatalf("remove = %d", st)
	}

	export := exportUsers(t, tok, school)
	lines := strings.Split(strings.TrimRight(strings.TrimPrefix(export, "\uFEFF"), "\r\n"), "\r\n")
	if len(lines) != 33 || lines[0] != "email,first_name,last_name,group,user_id,status" { // the owner, 31 imported
		t.Fatalf("export has %d lines, header %q", len(lines), lines[0])
	}
	for _, want := range []string{
		"p10@trip.school,First10,Last10,Parents; Staff,ID10,invited",
		"p29@trip.school,First29,Last29,Students,ID29,removed",
		"formula@trip.school,'=1+2,'@Smith,Staff,,invited",
	} {
		if !strings.Contains(export, want+"\r\n") {
			t.Errorf("export lacks %q:\n%s", want, export)
		}
	}

	// Unchanged: every row unchanged, nobody updated, created or invited.
	same := importFile(t, tok, school, "users", "export.csv", []byte(export))
	if c := same.Counts; c.Total != 32 || c.Invalid != 0 || c.Valid != 0 || c.UpdateUnchanged != 32 || c.UpdateChanges != 0 {
		t.Fatalf("unchanged export, preview = %+v", c)
	}
	if done := confirmWith(t, tok, school, same.ID, true); done.Results != (roster.ImportResults{Unchanged: 32}) {
		t.Errorf("unchanged export, results = %+v, want 32 unchanged", done.Results)
	}

	// Three first names edited: exactly three updated.
	edited := export
	for _, i := range []int{3, 14, 25} {
		edited = strings.Replace(edited, fmt.Sprintf(",First%02d,", i), fmt.Sprintf(",Edited%02d,", i), 1)
	}
	changed := importFile(t, tok, school, "users", "edited.csv", []byte(edited))
	if c := changed.Counts; c.UpdateChanges != 3 || c.UpdateUnchanged != 29 {
		t.Fatalf("edited export, preview = %+v", c)
	}
	if done := confirmWith(t, tok, school, changed.ID, true); done.Results != (roster.ImportResults{Updated: 3, Unchanged: 29}) {
		t.Errorf("edited export, results = %+v, want 3 updated, 29 unchanged", done.Results)
	}
	var u app.UserView
	if st := apiJSON(t, "GET", "/schools/"+school+"/users/p14@trip.school", tok, nil, &u); st != 200 || u.FirstName != "Edited14" || u.Status != roster.StatusInvited {
		t.Errorf("p14 = %d %+v", st, u)
	}
	if st := apiJSON(t, "GET", "/schools/"+school+"/users/p29@trip.school", tok, nil, &u); st != 200 || u.Status != roster.StatusRemoved {
		t.Errorf("p29 = %d %+v, want still removed", st, u)
	}
	if mails := mailsTo(t, "trip.school"); len(mails) != 0 {
		t.Errorf("the round trip sent %d emails", len(mails))
	}
}
