package systemtest

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/schoolroster/rosterimport/internal/app"
	"github.com/schoolroster/rosterimport/internal/roster"
)

// importFile uploads a file, waits for its preview and returns it.
func importFile(t *testing.T, tok, school, kind, name string, file []byte) roster.Import {
	t.Helper()
	id := uploadKind(t, tok, school, kind, name, file)
	return waitImport(t, tok, school, id, 60*time.Second, func(imp roster.Import) bool {
		return imp.Status == roster.ImportReady || imp.Status == roster.ImportFailed
	})
}

// confirmImport confirms without sending mail and waits for the end.
func confirmImport(t *testing.T, tok, school, id string) roster.Import {
	t.Helper()
	if st := apiJSON(t, "POST", "/schools/"+school+"/imports/"+id+"/confirm", tok, map[string]bool{"sendInvitations": false}, nil); st != 202 {
		t.Fatalf("confirm %s = %d", id, st)
	}
	return waitImport(t, tok, school, id, 60*time.Second, finished)
}

// rows renders preview rows as "row status detail".
func rows(imp roster.Import) []string {
	var out []string
	for _, r := range imp.Preview {
		detail := r.Error
		if detail == "" {
			detail = fmt.Sprintf("%s>%s %s", r.StudentEmail+r.Email, r.ParentEmail, r.RelationshipType)
		}
		out = append(out, fmt.Sprintf("%d %s %s", r.Row, r.Status, detail))
	}
	sort.Slice(out, func(i, j int) bool {
		var a, b int
		fmt.Sscan(out[i], &a)
		fmt.Sscan(out[j], &b)
		return a < b
	})
	return out
}

func sample(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(stack.Root(), "internal", "csvimport", "testdata", "samples", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func links(t *testing.T, tok, school, query string) []string {
	t.Helper()
	var l app.LinkList
	if st := apiJSON(t, "GET", "/schools/"+school+"/relationships?"+query, tok, nil, &l); st != 200 {
		t.Fatalf("relationships?%s = %d", query, st)
	}
	var out []string
	for _, x := range l.Relationships {
		out = append(out, fmt.Sprintf("%s>%s %s active=%v", x.Student.Email, x.Parent.Email, x.Type, x.Active))
	}
	return out
}

// TestSDSSamples imports Microsoft School Data Sync's own sample files, the
// users then the relationships, through the HTTP port.
func TestSDSSamples(t *testing.T) {
	tok := seedSchool(t, "sds")
	users := importFile(t, tok, "sds", "users", "users.csv", sample(t, "sds-v2.1-users.csv"))
	// Every row is valid: sourcedId is each person's id; six rows have no
	// email and their username is the address; all join Students (the file
	// has no role column).
	if users.Counts.Total != 8 || users.Counts.Valid != 8 ||
		!strings.Contains(strings.Join(users.Warnings, "|"), `6 row(s) had no email: the address in the "username" column was used.`) {
		t.Fatalf("users preview = %+v %v", users.Counts, users.Warnings)
	}
	want := []string{
		"2 valid jcraig@classrmtest31.org> ",   // 114001 Jack Craig: username
		"3 valid jean.craig@outlook.com> ",     // 114002 Jean Craig: email
		"4 valid fhutch@classrmtest31.org> ",   // 114003 Fred Hutch: username
		"5 valid asmithee@classrmtest31.org> ", // 114004 Alice Smithee: username
		"6 valid bobsmithee@outlook.com> ",     // 114005 Bob Smithee: email
		"7 valid jjonzer@classrmtest31.org> ",  // 114006 Jason Jonzer: username
		"8 valid kfein@classrmtest31.org> ",    // 114007 Kristen Fein: username
		"9 valid smiller@classrmtest31.org> ",  // 114008 Simon Miller: username
	}
	if got := rows(users); strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("users rows:\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if done := confirmImport(t, tok, "sds", users.ID); done.Status != roster.ImportCompleted || done.Results.Created != 8 {
		t.Fatalf("users import = %s %+v", done.Status, done.Results)
	}
	var found userList
	if st := apiJSON(t, "GET", "/schools/sds/users?q=114005", tok, nil, &found); st != 200 || len(found.Users) != 1 || found.Users[0].Email != "bobsmithee@outlook.com" || found.Users[0].UserID != "114005" {
		t.Errorf("search by id = %d %+v", st, found)
	}

	rels := importFile(t, tok, "sds", "relationships", "relationships.csv", sample(t, "sds-v2.1-relationships.csv"))
	// The relationships file names people by sourcedId; "relative" is read
	// as other.
	want = []string{
		"2 valid jcraig@classrmtest31.org>jean.craig@outlook.com guardian",   // 114001 -> 114002, guardian
		"3 valid fhutch@classrmtest31.org>jean.craig@outlook.com other",      // 114003 -> 114002, relative
		"4 valid asmithee@classrmtest31.org>bobsmithee@outlook.com guardian", // 114004 -> 114005, guardian
	}
	if got := rows(rels); strings.Join(got, "\n") != strings.Join(want, "\n") || rels.Counts.Valid != 3 ||
		strings.Join(rels.Warnings, "|") != `Relationship type "relative" was read as other (1 row(s)).` {
		t.Fatalf("relationships preview:\n%s\n%v", strings.Join(got, "\n"), rels.Warnings)
	}
	if done := confirmImport(t, tok, "sds", rels.ID); done.Status != roster.ImportCompleted || done.Results.Created != 3 {
		t.Fatalf("relationships import = %s %+v", done.Status, done.Results)
	}
	if got := links(t, tok, "sds", "parent=114002"); strings.Join(got, "|") != "fhutch@classrmtest31.org>jean.craig@outlook.com other active=true|jcraig@classrmtest31.org>jean.craig@outlook.com guardian active=true" {
		t.Errorf("Jean Craig's students = %v", got)
	}
}

// TestRelationshipsJourney: every relationship error on its row, a
// re-import (all unchanged), a type change (updated), links in the API, a
// removal through the API and a removed person's links kept as history.
func TestRelationshipsJourney(t *testing.T) {
	tok := seedSchool(t, "fam")
	people := "email,first_name,last_name,group,user_id\n" +
		"kid@fam.school,Kim,Ito,Students,K1\n" +
		"kid2@fam.school,Kai,Ito,Students,K2\n" +
		"mum@fam.school,Mia,Ito,Parents,P-MUM\n" +
		"dad@fam.school,Dan,Ito,Parents,P-DAD\n" +
		"other@fam.school,Oz,Oak,Parents,\n"
	users := importFile(t, tok, "fam", "users", "people.csv", []byte(people))
	if done := confirmImport(t, tok, "fam", users.ID); done.Results.Created != 5 {
		t.Fatalf("users = %+v", done.Results)
	}

	file := "student_email,student_id,parent_email,parent_id,relationship_type\n" +
		"kid@fam.school,,mum@fam.school,,Mum\n" + //          2 valid: mum is mother
		",,mum@fam.school,,\n" + //                         3
		"kid@fam.school,,,,\n" + //                         4
		"kid@fam.school,,KID@fam.school,,\n" + //             5
		"kid@fam.school,,dad@fam.school,,neighbour\n" + //    6
		"kid@fam.school,,mum@fam.school,,father\n" + //       7
		"ghost@fam.school,,mum@fam.school,,\n" + //           8
		"kid@fam.school,,ghost@fam.school,,\n" + //           9
		",K2,,P-DAD,father\n" + //                        10 valid, by ids
		"kid@fam.school,K2,dad@fam.school,,\n" + //           11
		",K9,mum@fam.school,,\n" //                         12
	rels := importFile(t, tok, "fam", "relationships", "family.csv", []byte(file))
	want := []string{
		"2 valid kid@fam.school>mum@fam.school mother",
		"3 invalid Student: email or id is required",
		"4 invalid Parent: email or id is required",
		"5 invalid Student and parent cannot be the same person",
		"6 invalid Invalid relationship type",
		"7 invalid Duplicate of row 2",
		"8 invalid Student not found in organisation",
		"9 invalid Parent not found in organisation",
		"10 valid kid2@fam.school>dad@fam.school father",
		"11 invalid Student email and student id are different people",
		"12 invalid Student not found in organisation",
	}
	if got := rows(rels); strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("preview:\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if rels.Preview[0].Status != roster.RowInvalid || rels.Counts.Invalid != 9 || rels.Counts.Valid != 2 {
		t.Errorf("invalid rows first, counts %+v", rels.Counts)
	}
	errorsFile := download(t, tok, "fam", rels.ID, "errors")
	if !strings.Contains(errorsFile, "kid@fam.school,,dad@fam.school,,neighbour,Invalid relationship type\r\n") {
		t.Errorf("error file:\n%s", errorsFile)
	}
	done := confirmImport(t, tok, "fam", rels.ID)
	if done.Status != roster.ImportCompleted || done.Results.Created != 2 || done.Results.Failed != 0 {
		t.Fatalf("confirm = %s %+v", done.Status, done.Results)
	}
	results := download(t, tok, "fam", rels.ID, "results")
	if !strings.Contains(results, "10,kid2@fam.school,K2,dad@fam.school,P-DAD,father,created,\r\n") {
		t.Errorf("results:\n%s", results)
	}

	// The spec's own messages, in a file without id columns.
	plain := importFile(t, tok, "fam", "relationships", "plain.csv", []byte("student_email,parent_email\n,mum@fam.school\nkid@fam.school,\n"))
	if got := rows(plain); strings.Join(got, "|") != "2 invalid Student email: email is required|3 invalid Parent email: email is required" {
		t.Errorf("plain file: %v", got)
	}

	// The same file again: nothing new.
	again := importFile(t, tok, "fam", "relationships", "family.csv", []byte(file))
	if again.Counts.Unchanged != 2 || again.Counts.Valid != 0 {
		t.Fatalf("re-import preview = %+v", again.Counts)
	}
	if d := confirmImport(t, tok, "fam", again.ID); d.Results.Unchanged != 2 || d.Results.Created != 0 || d.Results.Updated != 0 {
		t.Errorf("re-import = %+v", d.Results)
	}

	// A type change.
	change := importFile(t, tok, "fam", "relationships", "change.csv", []byte("student_email,parent_email,relationship_type\nkid@fam.school,mum@fam.school,guardian\n"))
	if change.Counts.Updated != 1 || change.Preview[0].Reason != "Type changes from mother to guardian" {
		t.Fatalf("change preview = %+v %+v", change.Counts, change.Preview)
	}
	if d := confirmImport(t, tok, "fam", change.ID); d.Results.Updated != 1 {
		t.Errorf("change = %+v", d.Results)
	}

	// The API: both directions, a user's page, removal, a removed person.
	if got := links(t, tok, "fam", "student=K1"); strings.Join(got, "|") != "kid@fam.school>mum@fam.school guardian active=true" {
		t.Errorf("K1's parents = %v", got)
	}
	var kid2 app.UserView
	if st := apiJSON(t, "GET", "/schools/fam/users/kid2@fam.school", tok, nil, &kid2); st != 200 || len(kid2.Relationships) != 1 || kid2.Relationships[0].Parent.Email != "dad@fam.school" || kid2.UserID != "K2" {
		t.Errorf("kid2's page = %d %+v", st, kid2)
	}
	if st := apiJSON(t, "DELETE", "/schools/fam/users/dad@fam.school", tok, nil, nil); st != 200 {
		t.Fatalf("remove dad = %d", st)
	}
	if got := links(t, tok, "fam", "parent=P-DAD"); strings.Join(got, "|") != "kid2@fam.school>dad@fam.school father active=false" {
		t.Errorf("a removed parent's links = %v", got)
	}
	if st, _ := call(t, "DELETE", "/schools/fam/relationships/kid@fam.school/P-MUM", tok, ""); st != 204 {
		t.Errorf("unlink = %d", st)
	}
	if st, _ := call(t, "DELETE", "/schools/fam/relationships/kid@fam.school/P-MUM", tok, ""); st != 404 {
		t.Errorf("unlink again = %d", st)
	}
	if got := links(t, tok, "fam", "student=kid@fam.school"); len(got) != 0 {
		t.Errorf("after unlink = %v", got)
	}
	var e apiError
	if st := apiJSON(t, "GET", "/schools/fam/relationships?student=K1&parent=P-MUM", tok, nil, &e); st != 400 {
		t.Errorf("both student and parent = %d", st)
	}
}
