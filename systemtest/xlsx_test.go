package systemtest

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/schoolroster/rosterimport/internal/app"
	"github.com/schoolroster/rosterimport/internal/csvimport"
	"github.com/schoolroster/rosterimport/internal/roster"
)

// TestXLSXUpload uploads a workbook LibreOffice wrote (a hidden first sheet,
// a merged title, ids with leading zeros, a formula's email) through the
// HTTP port, as the console does, and checks the preview row by row.
func TestXLSXUpload(t *testing.T) {
	tok := seedSchool(t, "xlsx")
	file, err := os.ReadFile(filepath.Join(stack.Root(), "internal", "csvimport", "testdata", "xlsx", "roster.xlsx"))
	if err != nil {
		t.Fatal(err)
	}
	imp := importFile(t, tok, "xlsx", "users", "Year 7 roster.xlsx", file)
	c := imp.Counts
	if imp.Status != roster.ImportReady || c.Total != 4 || c.Valid != 3 || c.Invalid != 1 || c.Skipped != 0 {
		t.Fatalf("preview: %s %q %+v", imp.Status, imp.FailureReason, c)
	}
	var got []string
	for _, r := range imp.Preview {
		got = append(got, fmt.Sprintf("%d %s %s %s %s %s %s", r.Row, r.Status, r.Email, r.FirstName, r.Group, r.UserID, r.Error))
	}
	want := []string{
		"7 invalid not an email Kim   Email contains spaces", // rows with errors first
		"3 valid alex.morgan@hill.school Alex Students 00123 ",
		"4 valid sam.patel@hill.school Sam Staff 00124 ",
		"6 valid jo.williams@hill.school Jo Students 125 ",
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("preview rows:\n got  %q\n want %q", got, want)
	}
	// The upload was signed, and is kept, as a workbook.
	var link struct{ URL string }
	if st := apiJSON(t, "GET", "/schools/xlsx/imports/"+imp.ID+"/files/uploaded", tok, nil, &link); st != 200 {
		t.Fatalf("uploaded file link: %d", st)
	}
	header, back := fetchURL(t, link.URL)
	if ct := header.Get("Content-Type"); ct != app.ContentTypeXLSX || !bytes.Equal(back, file) {
		t.Errorf("uploaded file: %q, %d bytes", ct, len(back))
	}
}

// TestXLSXTemplate downloads the users workbook template through the API
// and reads it back as an upload would be.
func TestXLSXTemplate(t *testing.T) {
	tok := seedSchool(t, "xlsxtpl")
	status, header, b := callWithHeaders(t, "GET", "/schools/xlsxtpl/templates/users.xlsx", tok)
	if status != 200 || header.Get("Content-Type") != app.ContentTypeXLSX ||
		header.Get("Content-Disposition") != `attachment; filename="users.xlsx"` {
		t.Fatalf("template: %d %v", status, header)
	}
	rd, err := csvimport.NewReaderFor(bytes.NewReader(b), csvimport.KindUsers, csvimport.Limits{})
	if err != nil {
		t.Fatal(err)
	}
	defer rd.Close()
	var rows []string
	for {
		rec, err := rd.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		rows = append(rows, fmt.Sprint(rec.Row, rec.Cells))
	}
	want := "[email first_name last_name group] [2 [alex.morgan@example.com Alex Morgan Students] 3 [sam.patel@example.com Sam Patel Staff] 4 [jo.williams@example.com Jo Williams Parents]]"
	if got := fmt.Sprint(rd.Header, rows); got != want {
		t.Errorf("template reads as\n %s\nwant\n %s", got, want)
	}
}
