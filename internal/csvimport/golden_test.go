package csvimport

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/schoolroster/rosterimport/internal/roster"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/golden")

// render writes what a preview of the file would tell the administrator,
// one line per fact, for golden comparison and for reading in review.
func render(kind Kind, path string, dir Directory) string {
	var b strings.Builder
	f, err := os.Open(path)
	if err != nil {
		return err.Error()
	}
	defer f.Close()
	var errFile bytes.Buffer
	ef := NewErrorFile(&errFile)
	rows := &collect{}
	sum, err := Validate(context.Background(), f, Options{Kind: kind, Groups: []string{"Students", "Staff", "Parents"}, Directory: dir}, Sinks(rows, ef))
	var fe *FileError
	if errors.As(err, &fe) {
		fmt.Fprintf(&b, "file error (%s): %s\n", fe.Reason, fe.Message)
		return b.String()
	}
	if err != nil {
		return "unexpected error: " + err.Error()
	}
	_ = ef.Close()
	fmt.Fprintf(&b, "encoding: %s\ndelimiter: %s\n", sum.Encoding, sum.Delimiter)
	var cols []string
	for field, h := range sum.Columns {
		cols = append(cols, field+"="+h)
	}
	sort.Strings(cols)
	fmt.Fprintf(&b, "columns: %s\n", strings.Join(cols, ", "))
	fmt.Fprintf(&b, "total %d, valid %d, invalid %d, skipped %d, updated %d, unchanged %d\n",
		sum.Total, sum.Valid, sum.Invalid, sum.Skipped, sum.Updated, sum.Unchanged)
	for _, w := range sum.Warnings {
		fmt.Fprintf(&b, "warning: %s\n", w)
	}
	for _, r := range rows.rows {
		fmt.Fprintf(&b, "row %d %s", r.Row, r.Status)
		if kind == KindUsers {
			fmt.Fprintf(&b, " [%s | %s | %s | %s", r.Email, r.FirstName, r.LastName, r.Group)
			if r.UserID != "" {
				fmt.Fprintf(&b, " | id %s", r.UserID)
			}
			b.WriteString("]")
		} else {
			fmt.Fprintf(&b, " [%s | %s | %s]", party(r.StudentEmail, r.StudentID), party(r.ParentEmail, r.ParentID), r.RelationshipType)
		}
		if r.Error != "" {
			fmt.Fprintf(&b, " error: %s", r.Error)
		}
		if r.Reason != "" {
			fmt.Fprintf(&b, " reason: %s", r.Reason)
		}
		b.WriteByte('\n')
	}
	fmt.Fprintf(&b, "preview rows: %v\n", previewRows(sum))
	fmt.Fprintf(&b, "error file:\n%s", strings.ReplaceAll(errFile.String(), "\r\n", "\n"))
	return b.String()
}

func previewRows(s *Summary) []int {
	var n []int
	for _, r := range s.Preview {
		n = append(n, r.Row)
	}
	return n
}

func checkGolden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", "golden", name+".golden")
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if got != string(want) {
		t.Errorf("%s differs from %s:\n--- got\n%s\n--- want\n%s", name, path, got, want)
	}
}

// TestRealisticExports: files as Excel, Google Sheets and an MIS write them.
func TestRealisticExports(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("testdata", "exports", "*"))
	if err != nil || len(files) < 7 {
		t.Fatalf("exports: %v %v", files, err)
	}
	existing := &fakeDirectory{members: map[string]roster.UserStatus{"carla.rossi@oak.school": roster.StatusActive, "ava.davies@pupils.elm.sch.uk": roster.StatusInvited}}
	for _, f := range files {
		name := filepath.Base(f)
		t.Run(name, func(t *testing.T) {
			checkGolden(t, name, render(KindUsers, f, existing))
		})
	}
}

// TestSharedSamples: the public School Data Sync samples each get a
// sensible, clearly explained preview (see testdata/golden for all of it).
func TestSharedSamples(t *testing.T) {
	tests := []struct {
		file string
		kind Kind
		dir  Directory // the school before the file
		// What each yields, in short.
		want []string
	}{
		{"sds-v2.1-users.csv", KindUsers, nil, []string{
			// email is filled on some rows only (username holds the address
			// on the others); givenName/familyName are the names; sourcedId
			// is the school's id of each person.
			"columns: email=email, first_name=givenName, last_name=familyName, user_id=sourcedId, username=username",
			"total 8, valid 8, invalid 0, skipped 0",
			"warning: Ignored columns: activeDirectoryMatchId, password, phone, sms",
			`warning: 6 row(s) had no email: the address in the "username" column was used.`,
			"row 2 valid [jcraig@classrmtest31.org | Jack | Craig | Students | id 114001]",
			"row 3 valid [jean.craig@outlook.com | Jean | Craig | Students | id 114002]",
		}},
		{"sds-v2.1-relationships.csv", KindRelationships, sdsUsersImported(), []string{
			// Read after the users sample was imported: people by their ids.
			"columns: parent_id=relationshipUserSourcedId, relationship_type=relationshipRole, student_id=userSourcedId",
			"total 3, valid 3, invalid 0",
			`warning: Relationship type "relative" was read as other (1 row(s)).`,
			"row 2 valid [jcraig@classrmtest31.org | jean.craig@outlook.com | guardian]",
			"row 3 valid [fhutch@classrmtest31.org | jean.craig@outlook.com | other]",
			"row 4 valid [asmithee@classrmtest31.org | bobsmithee@outlook.com | guardian]",
		}},
		{"sds-uk-teacher.csv", KindUsers, nil, []string{
			`file error (missing_column): The file has no email column. Columns found: "ID", "School Dfe Number", "First Name", "Last Name", "Username", "Password", "State ID", "Teacher Number", "Status", "Middle Name", "Secondary Email", "Title", "Qualification".`,
		}},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			got := render(tt.kind, filepath.Join("testdata", "samples", tt.file), tt.dir)
			for _, w := range tt.want {
				if !strings.Contains(got, w) {
					t.Errorf("preview lacks %q:\n%s", w, got)
				}
			}
			checkGolden(t, "sample-"+tt.file, got)
		})
	}
}

// sdsUsersImported is the school after the SDS users sample was imported:
// each of its people invited, with their sourcedId.
func sdsUsersImported() *fakeDirectory {
	d := &fakeDirectory{members: map[string]roster.UserStatus{}, userIDs: map[string]string{}}
	for id, email := range map[string]string{
		"114001": "jcraig@classrmtest31.org", "114002": "jean.craig@outlook.com", "114003": "fhutch@classrmtest31.org",
		"114004": "asmithee@classrmtest31.org", "114005": "bobsmithee@outlook.com", "114006": "jjonzer@classrmtest31.org",
		"114007": "kfein@classrmtest31.org", "114008": "smiller@classrmtest31.org",
	} {
		d.members[email], d.userIDs[id] = roster.StatusInvited, email
	}
	return d
}
