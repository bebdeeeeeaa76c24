package csvimport

import (
	"archive/zip"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"
)

// The workbooks in testdata/xlsx were written by LibreOffice from the
// sources beside them (make-xlsx.sh).
func fixture(name string) string { return filepath.Join("testdata", "xlsx", name) }

// readWorkbook reads a file with NewReaderFor and returns the reader and
// its records as "row: cell|cell".
func readWorkbook(t *testing.T, path string, kind Kind, lim Limits) (*Reader, []string, error) {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	return readRecords(NewReaderFor(f, kind, lim))
}

func readRecords(rd *Reader, err error) (*Reader, []string, error) {
	if err != nil {
		return nil, nil, err
	}
	var recs []string
	for {
		r, err := rd.Next()
		if err == io.EOF {
			return rd, recs, nil
		}
		if err != nil {
			return rd, recs, err
		}
		recs = append(recs, fmt.Sprintf("%d: %s", r.Row, strings.Join(r.Cells, "|")))
	}
}

func TestWorkbookFixtures(t *testing.T) {
	tests := []struct {
		name, file   string
		kind         Kind
		wantHeader   string
		wantRow      int
		wantRecords  []string
		wantWarnings []string
	}{
		{
			// The hidden first sheet is skipped; the merged title above the
			// header is not taken for it; the merged "Notes" header cell
			// heads its first column only; row 5 (blank) and the formatted
			// blank rows below the list are skipped, and the numbers are the
			// sheet's. Ids keep their zeros as text and as a number shown
			// 00000; dates read as their formats show them; formulas give
			// their cached values.
			name: "roster", file: "roster.xlsx", kind: KindUsers,
			wantHeader: "Email|First name|Last name|Group|Student ID|Date of birth|Start date|Notes", wantRow: 2,
			wantRecords: []string{
				"3: alex.morgan@hill.school|Alex|Morgan|Students|00123|14/03/2013|2024-09-04|Twin",
				"4: sam.patel@hill.school|Sam|Patel|Staff|00124|01/12/1980|2024-09-04",
				"6: jo.williams@hill.school|Jo|Williams|Students|125|30/07/2013||Joined late",
				"7: not an email|Kim|Lee|Students|00126",
			},
			wantWarnings: []string{`Read the sheet "Year 7" (the workbook has 3 sheets).`},
		},
		{
			name: "users sheet by name", file: "sheets.xlsx", kind: KindUsers,
			wantHeader: "email|first_name|last_name|group|photo consent", wantRow: 1,
			wantRecords:  []string{"2: pupil1@hill.school|Ana|Silva|Students|TRUE", "3: parent1@hill.school|Rui|Silva|Parents|FALSE"},
			wantWarnings: []string{`Read the sheet "User List" (the workbook has 3 sheets).`},
		},
		{
			name: "relationships sheet by name", file: "sheets.xlsx", kind: KindRelationships,
			wantHeader: "student_email|parent_email|relationship_type", wantRow: 1,
			wantRecords:  []string{"2: pupil1@hill.school|parent1@hill.school|father"},
			wantWarnings: []string{`Read the sheet "relationships" (the workbook has 3 sheets).`},
		},
		{
			name: "no kind: the first sheet", file: "sheets.xlsx", kind: "",
			wantHeader: "Users and their parents, for the import.", wantRow: 1,
			wantWarnings: []string{`Read the sheet "Read me" (the workbook has 3 sheets).`},
		},
		{
			// LibreOffice read the CSV's ids and phone numbers as numbers;
			// they read back as they were typed.
			name: "School Data Sync sample", file: "sds-v2.1-users.xlsx", kind: KindUsers,
			wantHeader: "sourcedId|username|givenName|familyName|password|activeDirectoryMatchId|email|phone|sms", wantRow: 1,
			wantRecords: []string{
				"2: 114001|jcraig@classrmtest31.org|Jack|Craig|P@ssword123|jcraig@classrmtest31.org",
				"3: 114002|jean.craig@outlook.com|Jean|Craig|P@ssword123||jean.craig@outlook.com|1234567890|1234567890",
				"4: 114003|fhutch@classrmtest31.org|Fred|Hutch|P@ssword123|fhutch@classrmtest31.org",
				"5: 114004|asmithee@classrmtest31.org|Alice|Smithee|P@ssword123|asmithee@classrmtest31.org",
				"6: 114005|bobsmithee@outlook.com|Bob|Smithee|P@ssword123||bobsmithee@outlook.com|10273841983|10273841983",
				"7: 114006|jjonzer@classrmtest31.org|Jason|Jonzer|P@ssword123|jjonzer@classrmtest31.org",
				"8: 114007|kfein@classrmtest31.org|Kristen|Fein|P@ssword123|kfein@classrmtest31.org",
				"9: 114008|smiller@classrmtest31.org|Simon|Miller|P@ssword123|smiller@classrmtest31.org",
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rd, recs, err := readWorkbook(t, fixture(tt.file), tt.kind, Limits{})
			if err != nil {
				t.Fatal(err)
			}
			if got := strings.Join(rd.Header, "|"); got != tt.wantHeader || rd.HeaderRow != tt.wantRow {
				t.Errorf("header = row %d %q, want row %d %q", rd.HeaderRow, got, tt.wantRow, tt.wantHeader)
			}
			if rd.Encoding != EncodingXLSX || rd.Delimiter != ',' || rd.Fallbacks != 0 {
				t.Errorf("encoding %q, delimiter %q, fallbacks %d", rd.Encoding, rd.Delimiter, rd.Fallbacks)
			}
			checkStrings(t, "records", recs, tt.wantRecords)
			checkStrings(t, "warnings", rd.Warnings, tt.wantWarnings)
		})
	}
}

func checkStrings(t *testing.T, what string, got, want []string) {
	t.Helper()
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("%s:\n got  %q\n want %q", what, got, want)
	}
}

// validateFile validates a file on disk with the test school's groups.
func validateFile(t *testing.T, path string, kind Kind, lim Limits) (*Summary, *collect, error) {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sink := &collect{}
	sum, err := Validate(context.Background(), f, Options{Kind: kind, Groups: schoolGroups, Limits: lim}, sink)
	return sum, sink, err
}

func TestValidateWorkbook(t *testing.T) {
	sum, sink, err := validateFile(t, fixture("roster.xlsx"), KindUsers, Limits{})
	if err != nil {
		t.Fatal(err)
	}
	if sum.Encoding != EncodingXLSX || sum.Delimiter != "comma" || sum.Total != 4 || sum.Valid != 3 || sum.Invalid != 1 {
		t.Errorf("summary = %+v", sum)
	}
	sheetNamed := false
	for _, w := range sum.Warnings {
		if strings.Contains(w, "separated") || strings.Contains(w, "Windows-1252") || strings.Contains(w, "read as") {
			t.Errorf("warning %q about a text encoding or delimiter", w)
		}
		sheetNamed = sheetNamed || strings.HasPrefix(w, `Read the sheet "`)
	}
	if !sheetNamed {
		t.Errorf("warnings %q do not say which sheet was read", sum.Warnings)
	}
	if got, want := sum.Columns["user_id"]+"|"+sum.Columns["email"], "Student ID|Email"; got != want {
		t.Errorf("columns = %v", sum.Columns)
	}
	type row struct {
		n                          int
		status                     Status
		email, first, group, id, e string
	}
	want := []row{
		{3, StatusValid, "alex.morgan@hill.school", "Alex", "Students", "00123", ""},
		{4, StatusValid, "sam.patel@hill.school", "Sam", "Staff", "00124", ""},
		{6, StatusValid, "jo.williams@hill.school", "Jo", "Students", "125", ""},
		{7, StatusInvalid, "not an email", "Kim", "", "", "Email contains spaces"},
	}
	if len(sink.rows) != len(want) {
		t.Fatalf("%d rows, want %d", len(sink.rows), len(want))
	}
	for i, w := range want {
		r := sink.rows[i]
		got := row{r.Row, r.Status, r.Email, r.FirstName, r.Group, r.UserID, r.Error}
		if got != w {
			t.Errorf("row %d = %+v, want %+v", i, got, w)
		}
	}
}

// TestValidateWorkbookSameAsCSV: the School Data Sync sample reads the same
// from the workbook LibreOffice made of it as from the CSV itself.
func TestValidateWorkbookSameAsCSV(t *testing.T) {
	fromCSV := render(KindUsers, filepath.Join("testdata", "samples", "sds-v2.1-users.csv"), nil)
	fromXLSX := render(KindUsers, fixture("sds-v2.1-users.xlsx"), nil)
	want := strings.Replace(fromCSV, "encoding: UTF-8\n", "encoding: Excel workbook (.xlsx)\n", 1)
	if fromXLSX != want || !strings.Contains(want, "total 8, valid 8") {
		t.Errorf("the workbook reads as\n%s\nthe CSV as\n%s", fromXLSX, fromCSV)
	}
}

func TestValidateWorkbookRelationships(t *testing.T) {
	sum, sink, err := validateFile(t, fixture("sheets.xlsx"), KindRelationships, Limits{})
	if err != nil {
		t.Fatal(err)
	}
	if sum.Total != 1 || sum.Valid != 1 || len(sink.rows) != 1 || sink.rows[0].Row != 2 || sink.rows[0].RelationshipType != "father" ||
		sink.rows[0].StudentEmail != "pupil1@hill.school" || sink.rows[0].ParentEmail != "parent1@hill.school" {
		t.Errorf("summary %+v, rows %+v", sum, sink.rows)
	}
}

// workbook writes rows to a workbook with excelize; a nil row is left out
// of the sheet's XML, as spreadsheets leave blank rows out.
func workbook(t testing.TB, sheets map[string][][]any, order ...string) []byte {
	t.Helper()
	f := excelize.NewFile()
	defer f.Close()
	for i, name := range order {
		if i == 0 {
			if err := f.SetSheetName("Sheet1", name); err != nil {
				t.Fatal(err)
			}
		} else if _, err := f.NewSheet(name); err != nil {
			t.Fatal(err)
		}
		for r, row := range sheets[name] {
			if row == nil {
				continue
			}
			cell, _ := excelize.CoordinatesToCellName(1, r+1)
			if err := f.SetSheetRow(name, cell, &row); err != nil {
				t.Fatal(err)
			}
		}
	}
	var b bytes.Buffer
	if err := f.Write(&b); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func TestWorkbookHeaderAndTitles(t *testing.T) {
	tests := []struct {
		name        string
		rows        [][]any
		wantHeader  string
		wantRow     int
		wantRecords []string
	}{
		{"header first", [][]any{{"email", "group"}, {"a@x.org", "Staff"}}, "email|group", 1, []string{"2: a@x.org|Staff"}},
		{"rows left out of the XML keep their numbers", [][]any{nil, nil, {"email", "group"}, nil, {"a@x.org", "Staff"}, nil, {"b@x.org"}},
			"email|group", 3, []string{"5: a@x.org|Staff", "7: b@x.org"}},
		{"a title", [][]any{{"Year 7 roster 2026"}, {"email", "group"}, {"a@x.org", "Staff"}}, "email|group", 2, []string{"3: a@x.org|Staff"}},
		{"a title, a blank row and a subtitle", [][]any{{"Hill School"}, nil, {"", "Exported 2026-01-05"}, {"email", "group"}, {"a@x.org"}},
			"email|group", 4, []string{"5: a@x.org"}},
		{"a title over a one-column header", [][]any{{"Staff list"}, {"Email address"}, {"a@x.org"}}, "Email address", 2, []string{"3: a@x.org"}},
		{"a one-column file is not a title", [][]any{{"email"}, {"a@x.org"}, {"b@x.org", "extra"}}, "email", 1, []string{"2: a@x.org", "3: b@x.org|extra"}},
		{"an address is never a title", [][]any{{"Notes"}, {"a@x.org"}, {"b@x.org", "Staff"}}, "Notes", 1, []string{"2: a@x.org", "3: b@x.org|Staff"}},
		{"more title rows than allowed", [][]any{{"a"}, {"b"}, {"c"}, {"d"}, {"e"}, {"f"}, {"email", "group"}}, "a", 1,
			[]string{"2: b", "3: c", "4: d", "5: e", "6: f", "7: email|group"}},
		{"numbers and booleans as shown", [][]any{{"email", "n", "ok"}, {"a@x.org", 42, true}, {"b@x.org", 1.5, false}}, "email|n|ok", 1,
			[]string{"2: a@x.org|42|TRUE", "3: b@x.org|1.5|FALSE"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := workbook(t, map[string][][]any{"Sheet1": tt.rows}, "Sheet1")
			rd, recs, err := readRecords(NewReaderFor(bytes.NewReader(b), KindUsers, Limits{}))
			if err != nil {
				t.Fatal(err)
			}
			if got := strings.Join(rd.Header, "|"); got != tt.wantHeader || rd.HeaderRow != tt.wantRow {
				t.Errorf("header = row %d %q, want row %d %q", rd.HeaderRow, got, tt.wantRow, tt.wantHeader)
			}
			checkStrings(t, "records", recs, tt.wantRecords)
			if len(rd.Warnings) != 0 {
				t.Errorf("warnings %q for a workbook of one sheet", rd.Warnings)
			}
		})
	}
}

func TestWorkbookSheetChoice(t *testing.T) {
	list := [][]any{{"email"}, {"a@x.org"}}
	tests := []struct {
		name  string
		order []string
		kind  Kind
		want  string
	}{
		{"named for the kind", []string{"Notes", " USERS ", "Relationships"}, KindUsers, " USERS "},
		{"named for the kind, relationships", []string{"Notes", "Users", "Parent links"}, KindRelationships, "Parent links"},
		{"no name: the first", []string{"Pupils", "Staff"}, KindUsers, "Pupils"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sheets := map[string][][]any{}
			for _, s := range tt.order {
				sheets[s] = [][]any{{"email"}, {"in " + strings.TrimSpace(s) + "@x.org"}}
			}
			sheets[tt.want] = list
			b := workbook(t, sheets, tt.order...)
			rd, recs, err := readRecords(NewReaderFor(bytes.NewReader(b), tt.kind, Limits{}))
			if err != nil {
				t.Fatal(err)
			}
			checkStrings(t, "records", recs, []string{"2: a@x.org"})
			checkStrings(t, "warnings", rd.Warnings, []string{fmt.Sprintf("Read the sheet %q (the workbook has %d sheets).", tt.want, len(tt.order))})
		})
	}
}

// zipOf writes a zip of the named entries.
func zipOf(t *testing.T, files map[string]string) []byte {
	t.Helper()
	var b bytes.Buffer
	zw := zip.NewWriter(&b)
	for name, body := range files {
		w, err := zw.Create(name)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := io.WriteString(w, body); err != nil {
			t.Fatal(err)
		}
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// zipBomb is a workbook whose sheet says it unzips to 1 TB.
func zipBomb(t *testing.T) []byte {
	t.Helper()
	var b bytes.Buffer
	zw := zip.NewWriter(&b)
	if _, err := zw.Create("[Content_Types].xml"); err != nil {
		t.Fatal(err)
	}
	w, err := zw.CreateRaw(&zip.FileHeader{Name: "xl/worksheets/sheet1.xml", Method: zip.Deflate, CompressedSize64: 2, UncompressedSize64: 1 << 40})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.Write([]byte{3, 0}); err != nil { // an empty deflate stream
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func TestWorkbookFileErrors(t *testing.T) {
	read := func(name string) []byte {
		b, err := os.ReadFile(fixture(name))
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	headerOnly := workbook(t, map[string][][]any{"Sheet1": {{"email", "group"}}}, "Sheet1")
	tests := []struct {
		name       string
		input      []byte
		lim        Limits
		wantReason string
		wantMsg    string
	}{
		{"too many rows", read("roster.xlsx"), Limits{MaxRows: 2}, ReasonTooManyRows,
			"The file has more than 2 rows. Split it into smaller files and upload each one."},
		{"too large", read("roster.xlsx"), Limits{MaxBytes: 4096}, ReasonTooLarge,
			"The file is larger than 4 KiB. Split it into smaller files and upload each one."},
		{"row too long", read("roster.xlsx"), Limits{MaxLineBytes: 40}, ReasonLineTooLong,
			"Row 2 is longer than 40 bytes. Check that the file is a list of users, one per row."},
		{"unzips to more than the limit", read("roster.xlsx"), Limits{MaxUnzippedBytes: 20 << 10}, ReasonTooLarge,
			"This workbook unzips to more than 20 KiB. Save the list as CSV UTF-8 (or delete the sheets and pictures it does not need), then upload it again."},
		{"zip bomb", zipBomb(t), Limits{}, ReasonTooLarge,
			"This workbook unzips to more than 256 MB. Save the list as CSV UTF-8"},
		{"empty workbook", workbook(t, map[string][][]any{}, "Sheet1"), Limits{}, ReasonEmpty, "The file is empty."},
		{"the sheet read is empty", workbook(t, map[string][][]any{"Users": {nil}, "Other": {{"email"}, {"a@x.org"}}}, "Users", "Other"), Limits{}, ReasonEmpty,
			`The sheet "Users" is empty. Check the workbook has the list on its first sheet, or name the sheet that holds the list "Users", then upload it again.`},
		{"header but no rows", headerOnly, Limits{}, ReasonNoRows, "The file has a header row but no data rows."},
		{"missing column", workbook(t, map[string][][]any{"Sheet1": {{"name"}, {"Ann"}}}, "Sheet1"), Limits{}, ReasonMissingColumn, "The file has no email column."},
		{"xls", []byte("\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1\x00\x00\x3E\x00\x03\x00"), Limits{}, ReasonBinary, msgOLE2},
		{"ods", read("sheets.ods"), Limits{}, ReasonBinary,
			"This file is an OpenDocument spreadsheet (.ods), which cannot be read. In LibreOffice choose File > Save As and pick Excel 2007-365 (.xlsx) or Text CSV, then upload it again."},
		{"docx", zipOf(t, map[string]string{"[Content_Types].xml": "<Types/>", "word/document.xml": "<w:document/>"}), Limits{}, ReasonBinary,
			"This file is a Word document (.docx), not an Excel workbook (.xlsx) or CSV file. Put the list in a spreadsheet and save it as Excel Workbook (.xlsx) or CSV UTF-8, then upload that file."},
		{"some other zip", zipOf(t, map[string]string{"photos/1.jpg": "\xFF\xD8\xFF"}), Limits{}, ReasonBinary,
			"This file is a zip archive, not an Excel workbook (.xlsx) or CSV file."},
		{"damaged workbook", read("roster.xlsx")[:3000], Limits{}, ReasonBinary, "This Excel workbook could not be read: it may be damaged or not completely saved."},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Validate(context.Background(), bytes.NewReader(tt.input), Options{Kind: KindUsers, Groups: schoolGroups, Limits: tt.lim}, &collect{})
			var fe *FileError
			if !errors.As(err, &fe) {
				t.Fatalf("err = %v, want a FileError", err)
			}
			if fe.Reason != tt.wantReason || !strings.HasPrefix(fe.Message, tt.wantMsg) {
				t.Errorf("got %s %q, want %s %q", fe.Reason, fe.Message, tt.wantReason, tt.wantMsg)
			}
		})
	}
}

func TestTemplatesXLSX(t *testing.T) {
	tests := []struct {
		name       string
		write      func(io.Writer) error
		kind       Kind
		wantSheet  string
		wantHeader string
		wantRows   int
	}{
		{"users", func(w io.Writer) error {
			return UsersTemplateXLSX(w, []string{"Students", "Staff", "Parents", "Year 7"})
		},
			KindUsers, "Users", "email|first_name|last_name|group", 3},
		{"relationships", RelationshipsTemplateXLSX, KindRelationships, "Relationships", "student_email|parent_email|relationship_type", 7},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var b bytes.Buffer
			if err := tt.write(&b); err != nil {
				t.Fatal(err)
			}
			sink := &collect{}
			sum, err := Validate(context.Background(), bytes.NewReader(b.Bytes()), Options{Kind: tt.kind, Groups: schoolGroups}, sink)
			if err != nil {
				t.Fatal(err)
			}
			if got := strings.Join(sink.header, "|"); got != tt.wantHeader || sum.Total != tt.wantRows || len(sum.Columns) != len(sink.header) {
				t.Errorf("header %q, columns %v, %d rows; want %q and %d rows", got, sum.Columns, sum.Total, tt.wantHeader, tt.wantRows)
			}
			f, err := excelize.OpenReader(bytes.NewReader(b.Bytes()))
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			if got := f.GetSheetList(); len(got) != 1 || got[0] != tt.wantSheet {
				t.Errorf("sheets %q, want [%q]", got, tt.wantSheet)
			}
			// The header bold; every cell, and the columns' cells to type
			// into, formatted as text.
			for _, c := range []struct {
				cell string
				bold bool
			}{{"A1", true}, {"C1", true}, {"A2", false}, {"C3", false}} {
				id, _ := f.GetCellStyle(tt.wantSheet, c.cell)
				st, err := f.GetStyle(id)
				if err != nil || st.NumFmt != textFormat || (st.Font != nil && st.Font.Bold) != c.bold {
					t.Errorf("%s: style %+v (%v), want text, bold %v", c.cell, st, err, c.bold)
				}
			}
			cols, _ := f.GetCols(tt.wantSheet)
			if len(cols) != strings.Count(tt.wantHeader, "|")+1 {
				t.Errorf("%d columns", len(cols))
			}
		})
	}
	var b bytes.Buffer
	if err := UsersTemplateXLSX(&b, []string{"Students", "Staff", "Parents"}); err != nil {
		t.Fatal(err)
	}
	f, _ := excelize.OpenReader(&b)
	defer f.Close()
	if rows, _ := f.GetRows("Users"); fmt.Sprint(rows) != "[[email first_name last_name group] [alex.morgan@example.com Alex Morgan Students] [sam.patel@example.com Sam Patel Staff] [jo.williams@example.com Jo Williams Parents]]" {
		t.Errorf("users template rows = %q", rows)
	}
}
