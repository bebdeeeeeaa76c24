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
			fmt.Fprintf(&b, " [%s | %s | %s | %s]", r.Email, r.FirstName, r.LastName, r.Group)
		} else {
			fmt.Fprintf(&b, " [%s | %s | %s]", r.StudentEmail, r.ParentEmail, r.RelationshipType)
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
		// What each yields, in short.
		want []string
	}{
		{"sds-v2.1-users.csv", KindUsers, []string{
			// email is filled on some rows only; givenName/familyName are the names.
			"columns: email=email, first_name=givenName, last_name=familyName",
			"total 8, valid 2, invalid 6, skipped 0",
			"warning: Ignored columns: activeDirectoryMatchId, password, phone, sms, sourcedId, username",
			`warning: Column "username" holds email addresses on rows whose email is empty. If those are the addresses to invite, put them in the "email" column.`,
			"row 2 invalid [ | Jack | Craig | ] error: Email is required",
			"row 3 valid [jean.craig@outlook.com | Jean | Craig | Students]",
		}},
		{"sds-v2.1-relationships.csv", KindRelationships, []string{
			`file error (missing_column): The file has no student_email and parent_email columns. Columns found: "userSourcedId", "relationshipUserSourcedId", "relationshipRole".`,
		}},
		{"sds-uk-teacher.csv", KindUsers, []string{
			`file error (missing_column): The file has no email column. Columns found: "ID", "School Dfe Number", "First Name", "Last Name", "Username", "Password", "State ID", "Teacher Number", "Status", "Middle Name", "Secondary Email", "Title", "Qualification".`,
		}},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			got := render(tt.kind, filepath.Join("testdata", "samples", tt.file), nil)
			for _, w := range tt.want {
				if !strings.Contains(got, w) {
					t.Errorf("preview lacks %q:\n%s", w, got)
				}
			}
			checkGolden(t, "sample-"+tt.file, got)
		})
	}
}
