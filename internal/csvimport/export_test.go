package csvimport

import (
	"bytes"
	"encoding/csv"
	"strings"
	"testing"

	"github.com/schoolroster/rosterimport/internal/roster"
)

func TestUsersExport(t *testing.T) {
	rows := []ExportRow{
		{Email: "ann@hill.school", FirstName: "Ann", LastName: "Archer", Groups: []string{"staff", "Parents", "Students"}, UserID: "S-1", Status: roster.StatusActive},
		{Email: "bob@hill.school", FirstName: "=HYPERLINK(\"x\")", LastName: "O'Brien, Jr", Status: roster.StatusInvited},
		{Email: "cat@hill.school", FirstName: "Zoë", LastName: "-1", Groups: []string{"Year 7", "@home"}, UserID: "+44", Status: roster.StatusRemoved},
		{Email: "dan@hill.school", FirstName: "Line\nbreak", LastName: "\ttab", Groups: []string{"Parents"}, Status: roster.StatusActive},
	}
	var b bytes.Buffer
	e := NewUsersExport(&b)
	if err := e.Start(); err != nil {
		t.Fatal(err)
	}
	for _, r := range rows {
		if err := e.Row(r); err != nil {
			t.Fatal(err)
		}
	}
	if err := e.Close(); err != nil {
		t.Fatal(err)
	}
	want := "\uFEFFemail,first_name,last_name,group,user_id,status\r\n" +
		"ann@hill.school,Ann,Archer,Parents; staff; Students,S-1,active\r\n" +
		"bob@hill.school,\"'=HYPERLINK(\"\"x\"\")\",\"O'Brien, Jr\",,,invited\r\n" +
		"cat@hill.school,Zoë,'-1,'@home; Year 7,'+44,removed\r\n" +
		// encoding/csv writes a line break inside a cell as CRLF too.
		"dan@hill.school,\"Line\r\nbreak\",'\ttab,Parents,,active\r\n"
	if got := b.String(); got != want {
		t.Errorf("file =\n%q\nwant\n%q", got, want)
	}
	if e.Rows != 4 {
		t.Errorf("rows = %d", e.Rows)
	}

	// Read back as the import does: the neutralising apostrophes go again.
	r := csv.NewReader(strings.NewReader(strings.TrimPrefix(b.String(), "\uFEFF")))
	records, err := r.ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if !slicesEqual(records[0], ExportHeader) {
		t.Errorf("header = %q", records[0])
	}
	back := func(i, col int) string { return cleanText(records[i+1][col]) }
	for i, tt := range []struct{ first, last, group, id string }{
		{"Ann", "Archer", "Parents; staff; Students", "S-1"},
		{"=HYPERLINK(\"x\")", "O'Brien, Jr", "", ""},
		{"Zoë", "-1", "@home; Year 7", "+44"},
		{"Line break", "tab", "Parents", ""},
	} {
		if back(i, 1) != tt.first || back(i, 2) != tt.last || back(i, 3) != tt.group || back(i, 4) != tt.id {
			t.Errorf("row %d read back as %q %q %q %q", i, back(i, 1), back(i, 2), back(i, 3), back(i, 4))
		}
	}
}

func slicesEqual(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
