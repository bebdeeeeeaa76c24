package integration_test

import (
	"context"
	"fmt"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/schoolroster/rosterimport/internal/app"
	"github.com/schoolroster/rosterimport/internal/blobs"
	"github.com/schoolroster/rosterimport/internal/dynamo"
	"github.com/schoolroster/rosterimport/internal/roster"
)

// importFile uploads body as import id of school, previews it and returns
// the import as the preview left it.
func importFile(t *testing.T, st *dynamo.Store, files *blobs.Store, school, id, body string) roster.Import {
	t.Helper()
	ctx := context.Background()
	key := upload(t, st, files, school, id, []byte(body), int64(len(body)))
	if err := previewer().Uploaded(ctx, key, int64(len(body)), "up-"+id); err != nil {
		t.Fatal(err)
	}
	imp, err := st.GetImport(ctx, school, id)
	if err != nil || imp.Status != roster.ImportReady {
		t.Fatalf("preview of %s: %+v %v", id, imp, err)
	}
	return imp
}

// confirmFile confirms a previewed import with opts and runs confirm with
// store (a crashing one for the fault tests), delivering the record again
// after a failure as the stream would.
func confirmFile(t *testing.T, st *dynamo.Store, store app.ConfirmStore, files *blobs.Store, imp roster.Import, opts roster.ConfirmOptions) roster.Import {
	t.Helper()
	ctx := context.Background()
	if _, err := st.ConfirmImport(ctx, imp.SchoolID, imp.ID, "head@"+imp.SchoolID+".school", opts, imp.Counts.ToImport(imp.Kind, opts), time.Now()); err != nil {
		t.Fatal(err)
	}
	sealer, _ := roster.NewSealer(strings.Repeat("s", 40))
	c := &app.Confirmer{Store: store, Files: files, Sealer: sealer, Now: time.Now, ChunkSize: 10, Log: quiet}
	var err error
	for attempt := 0; attempt < 3; attempt++ {
		if err = c.Queued(ctx, imp.SchoolID, imp.ID, "seq-"+imp.ID); err == nil {
			break
		}
	}
	if err != nil {
		t.Fatal(err)
	}
	done, err := st.GetImport(ctx, imp.SchoolID, imp.ID)
	if err != nil || done.Status != roster.ImportCompleted {
		t.Fatalf("import %s: %s %+v %v", imp.ID, done.Status, done.Results, err)
	}
	return done
}

// seedSchool creates a school of 20 invited users (u00..u19, Students, ids
// S00..S19) by an import, and removes u19.
func seedSchool(t *testing.T, st *dynamo.Store, files *blobs.Store, school string) {
	t.Helper()
	mustSchool(t, st, school)
	var b strings.Builder
	b.WriteString("email,first_name,last_name,group,user_id\n")
	for i := 0; i < 20; i++ {
		fmt.Fprintf(&b, "u%02d@%s.school,First%02d,Last%02d,Students,S%02d\n", i, school, i, i, i)
	}
	confirmFile(t, st, st, files, importFile(t, st, files, school, "SEED", b.String()), roster.ConfirmOptions{})
	ctx := context.Background()
	m, err := st.GetMember(ctx, school, "u19@"+school+".school")
	if err != nil {
		t.Fatal(err)
	}
	after := m
	after.Status = roster.StatusRemoved
	if _, err := st.SaveMember(ctx, app.MemberChange{Before: &m, After: after}); err != nil {
		t.Fatal(err)
	}
}

// editedFile is the seed with three new first names, two users moved to
// Staff and Students, one id given anew, a blank group (kept), and two
// new people; u19 (removed) is in it too.
func editedFile(school string) string {
	var b strings.Builder
	b.WriteString("email,first_name,last_name,group,user_id\n")
	for i := 0; i < 20; i++ {
		first, group, id := fmt.Sprintf("First%02d", i), "Students", fmt.Sprintf("S%02d", i)
		switch i {
		case 1, 2, 3:
			first = fmt.Sprintf("Renamed%02d", i)
		case 4, 5:
			group = "Staff; Students"
		case 6:
			id = "NEW06"
		case 7:
			group = ""
		}
		fmt.Fprintf(&b, "u%02d@%s.school,%s,Last%02d,%s,%s\n", i, school, first, i, group, id)
	}
	fmt.Fprintf(&b, "new1@%s.school,New,One,Staff,\nnew2@%s.school,New,Two,,\n", school, school)
	return b.String()
}

func TestImportWithUpdatesOffAndOn(t *testing.T) {
	ctx := context.Background()
	st, files := parts()
	for _, school := range []string{"updoff", "updon"} {
		seedSchool(t, st, files, school)
	}

	// The same file previews the same in both schools.
	off := importFile(t, st, files, "updoff", "EDIT", editedFile("updoff"))
	on := importFile(t, st, files, "updon", "EDIT", editedFile("updon"))
	wantCounts := roster.PreviewCounts{Total: 22, Valid: 3, Skipped: 19, UpdateChanges: 6, UpdateUnchanged: 13, UpdateRemoved: 1}
	for _, imp := range []roster.Import{off, on} {
		if imp.Counts != wantCounts {
			t.Errorf("%s preview counts = %+v, want %+v", imp.SchoolID, imp.Counts, wantCounts)
		}
	}

	// Off: today's behaviour. The removed user is invited again.
	gotOff := confirmFile(t, st, st, files, off, roster.ConfirmOptions{})
	// (The preview's skipped rows are not confirm's to count.)
	if want := (roster.ImportResults{Created: 3}); gotOff.Results != want {
		t.Errorf("updates off: %+v, want %+v", gotOff.Results, want)
	}
	if m, _ := st.GetMember(ctx, "updoff", "u01@updoff.school"); m.FirstName != "First01" {
		t.Errorf("updates off changed a name: %q", m.FirstName)
	}

	// On, through a crash after a chunk was written and before it was
	// counted: six updated, thirteen unchanged, the removed user left
	// removed, two created; nobody invited again.
	gotOn := confirmFile(t, st, &crashOnce{Store: st}, files, on, roster.ConfirmOptions{UpdateExisting: true})
	if want := (roster.ImportResults{Created: 2, Updated: 6, Unchanged: 13, SkippedRemoved: 1}); gotOn.Results != want {
		t.Errorf("updates on: %+v, want %+v", gotOn.Results, want)
	}
	if gotOn.Progress != (roster.Progress{Done: 22, Total: 22}) {
		t.Errorf("progress = %+v, want 22 of 22", gotOn.Progress)
	}
	checks := []struct {
		email            string
		first, id        string
		groups           []string
		status           roster.UserStatus
		invitedByTheEdit bool
		updatedByTheEdit bool
	}{
		{"u01@updon.school", "Renamed01", "S01", []string{"students"}, roster.StatusInvited, false, true},
		{"u04@updon.school", "First04", "S04", []string{"staff", "students"}, roster.StatusInvited, false, true},
		{"u06@updon.school", "First06", "NEW06", []string{"students"}, roster.StatusInvited, false, true},
		{"u07@updon.school", "First07", "S07", []string{"students"}, roster.StatusInvited, false, false},
		{"u19@updon.school", "First19", "S19", []string{"students"}, roster.StatusRemoved, false, false},
		{"new1@updon.school", "New", "", []string{"staff"}, roster.StatusInvited, true, false},
	}
	for _, c := range checks {
		m, err := st.GetMember(ctx, "updon", c.email)
		if err != nil {
			t.Fatal(err)
		}
		if m.FirstName != c.first || m.UserID != c.id || !sameGroups(m.Groups, c.groups) || m.Status != c.status ||
			(m.InvitedByImport == "EDIT") != c.invitedByTheEdit || (m.UpdatedByImport == "EDIT") != c.updatedByTheEdit {
			t.Errorf("%s = %q %q %v %s invited by %q updated by %q; want %q %q %v %s", c.email, m.FirstName, m.UserID, m.Groups, m.Status,
				m.InvitedByImport, m.UpdatedByImport, c.first, c.id, c.groups, c.status)
		}
	}
	// The old id is free again, and the groups' counts followed the moves.
	if ids, _ := st.UserIDs(ctx, "updon", []string{"S06", "NEW06"}); ids["S06"] != "" || ids["NEW06"] != "u06@updon.school" {
		t.Errorf("ids = %v", ids)
	}
	counts := map[string]int{}
	groups, _ := st.ListGroups(ctx, "updon")
	for _, g := range groups {
		counts[g.ID] = g.MemberCount
	}
	// 19 seeded and not removed, plus new2 (blank group) in Students; u04,
	// u05 and new1 in Staff, with the owner.
	if counts["students"] != 20 || counts["staff"] != 4 {
		t.Errorf("member counts = %v, want students 20, staff 4", counts)
	}

	// The results file says what became of each row.
	results := readArtifact(t, files, gotOn.Artifacts[roster.ArtifactResults])
	for _, want := range []string{
		`3,u01@updon.school,Renamed01,Last01,Students,S01,updated,"first_name: ""First01"" → ""Renamed01"""`,
		`9,u07@updon.school,First07,Last07,Students,S07,unchanged,`,
		`21,u19@updon.school,First19,Last19,Students,S19,skipped,Removed from the school; not brought back`,
		`22,new1@updon.school,New,One,Staff,,created,Invitation created and held (not sent)`,
	} {
		if !strings.Contains(results, want) {
			t.Errorf("results file lacks %s:\n%s", want, results)
		}
	}
}

func sameGroups(got, want []string) bool {
	if len(got) != len(want) {
		return false
	}
	for _, w := range want {
		if !strings.Contains(","+strings.Join(got, ",")+",", ","+w+",") {
			return false
		}
	}
	return true
}

func readArtifact(t *testing.T, files *blobs.Store, key string) string {
	t.Helper()
	body, _, err := files.Open(context.Background(), key)
	if err != nil {
		t.Fatal(err)
	}
	defer body.Close()
	b, err := io.ReadAll(body)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestUsersWithParentsLinked(t *testing.T) {
	ctx := context.Background()
	st, files := parts()
	mustSchool(t, st, "fam")
	// One parent is a user already.
	confirmFile(t, st, st, files, importFile(t, st, files, "fam", "P0", "email,group\nmum0@fam.school,Parents\n"), roster.ConfirmOptions{})

	var b strings.Builder
	b.WriteString("Email,First Name,Group,Parent 1 Email,Parent 1 Relationship,Parent 2 Email\n")
	for i := 0; i < 12; i++ {
		// Parent 1: the existing parent for kid00, else dadNN of a row
		// further down; parent 2: nobody the school knows for kid11.
		p1, p2 := fmt.Sprintf("dad%02d@fam.school", i%6), ""
		if i == 0 {
			p1 = "mum0@fam.school"
		}
		if i == 11 {
			p2 = "stranger@fam.school"
		}
		fmt.Fprintf(&b, "kid%02d@fam.school,Kid,,%s,Father,%s\n", i, p1, p2)
	}
	for i := 0; i < 6; i++ {
		fmt.Fprintf(&b, "dad%02d@fam.school,Dad,Parents,,,\n", i)
	}
	imp := importFile(t, st, files, "fam", "FAM", b.String())
	if imp.Counts.Valid != 18 || imp.Counts.Links != 12 || imp.Counts.LinkErrors != 1 {
		t.Fatalf("preview = %+v, want 18 valid, 12 links, 1 link error", imp.Counts)
	}
	done := confirmFile(t, st, &crashOnce{Store: st}, files, imp, roster.ConfirmOptions{})
	if want := (roster.ImportResults{Created: 18, Links: roster.LinkCounts{Created: 12}}); done.Results != want {
		t.Errorf("results = %+v, want %+v", done.Results, want)
	}
	if done.Progress != (roster.Progress{Done: 30, Total: 30}) {
		t.Errorf("progress = %+v, want 30 of 30", done.Progress)
	}
	kids, _, err := st.LinksOf(ctx, "fam", "dad01@fam.school", true, "", 100)
	if err != nil || len(kids) != 2 || kids[0].Type != "father" {
		t.Errorf("dad01's students = %+v %v, want kid01 and kid07 as father", kids, err)
	}
	if mum, _, _ := st.LinksOf(ctx, "fam", "mum0@fam.school", true, "", 100); len(mum) != 1 || mum[0].Student != "kid00@fam.school" {
		t.Errorf("mum0's students = %+v", mum)
	}
	results := readArtifact(t, files, done.Artifacts[roster.ArtifactResults])
	for _, want := range []string{
		"2,kid00@fam.school,,,,,link created,Parent mum0@fam.school (father)",
		"13,kid11@fam.school,,,,,link not made,Parent stranger@fam.school (guardian): Parent not found in organisation",
	} {
		if !strings.Contains(results, want) {
			t.Errorf("results file lacks %q:\n%s", want, results)
		}
	}

	// The same file again: the links are there, unchanged, and nobody new.
	again := confirmFile(t, st, st, files, importFile(t, st, files, "fam", "FAM2", b.String()), roster.ConfirmOptions{})
	if again.Counts.Skipped != 18 || again.Counts.Links != 12 {
		t.Errorf("again: preview %+v, want 18 skipped, 12 links", again.Counts)
	}
	if want := (roster.ImportResults{Links: roster.LinkCounts{Unchanged: 12}}); again.Results != want {
		t.Errorf("again = %+v, want %+v", again.Results, want)
	}
}
