package csvimport

import (
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"
	"unicode/utf16"
)

// readAll reads a file and returns its header and records.
func readAll(t *testing.T, input []byte, lim Limits) (*Reader, []Record, error) {
	t.Helper()
	rd, err := NewReader(strings.NewReader(string(input)), lim)
	if err != nil {
		return nil, nil, err
	}
	var recs []Record
	for {
		r, err := rd.Next()
		if err == io.EOF {
			return rd, recs, nil
		}
		if err != nil {
			return rd, recs, err
		}
		recs = append(recs, r)
	}
}

func utf16le(s string, bom bool) []byte {
	var b []byte
	if bom {
		b = []byte{0xFF, 0xFE}
	}
	for _, u := range utf16.Encode([]rune(s)) {
		b = append(b, byte(u), byte(u>>8))
	}
	return b
}

func utf16be(s string) []byte {
	b := []byte{0xFE, 0xFF}
	for _, u := range utf16.Encode([]rune(s)) {
		b = append(b, byte(u>>8), byte(u))
	}
	return b
}

func TestReaderFormats(t *testing.T) {
	type row struct {
		n     int
		cells string // cells joined by |
	}
	tests := []struct {
		name         string
		input        []byte
		wantEncoding string
		wantDelim    byte
		wantHeader   string
		wantRows     []row
	}{
		{"UTF-8 LF", []byte("email,name\na@x.org,Zoë\n"), EncodingUTF8, ',', "email|name", []row{{2, "a@x.org|Zoë"}}},
		{"UTF-8 BOM CRLF", []byte("\xEF\xBB\xBFemail,name\r\na@x.org,Siân\r\n"), EncodingUTF8BOM, ',', "email|name", []row{{2, "a@x.org|Siân"}}},
		{"CR only", []byte("email,name\ra@x.org,Ann\rb@x.org,Bo"), EncodingUTF8, ',', "email|name", []row{{2, "a@x.org|Ann"}, {3, "b@x.org|Bo"}}},
		{"Windows-1252", []byte("email;name\r\na@x.org;Zo\xeb\r\nb@x.org;Jos\xe9\r\n"), EncodingWindows1252, ';', "email|name", []row{{2, "a@x.org|Zoë"}, {3, "b@x.org|José"}}},
		{"UTF-16 LE tab", utf16le("email\tname\r\na@x.org\tŁukasz\r\nb@x.org\tNgọc\r\n", true), EncodingUTF16LE, '\t', "email|name", []row{{2, "a@x.org|Łukasz"}, {3, "b@x.org|Ngọc"}}},
		{"UTF-16 LE without BOM", utf16le("email\tname\na@x.org\tAnn\n", false), EncodingUTF16LE, '\t', "email|name", []row{{2, "a@x.org|Ann"}}},
		{"UTF-16 BE", utf16be("email,name\na@x.org,Ann\n"), EncodingUTF16BE, ',', "email|name", []row{{2, "a@x.org|Ann"}}},
		{"pipe", []byte("email|name\na@x.org|Ann\n"), EncodingUTF8, '|', "email|name", []row{{2, "a@x.org|Ann"}}},
		{"delimiter inside quotes does not count", []byte("\"email;x\",\"name\"\na@x.org,Ann\n"), EncodingUTF8, ',', "email;x|name", []row{{2, "a@x.org|Ann"}}},
		{"quoted delimiter, quote and line break", []byte("email,name\na@x.org,\"Lee, \"\"Ann\"\"\nSmith\"\nb@x.org,Bo\n"), EncodingUTF8, ',', "email|name",
			[]row{{2, "a@x.org|Lee, \"Ann\"\nSmith"}, {3, "b@x.org|Bo"}}},
		{"blank rows skipped but counted", []byte("email,name\n\na@x.org,Ann\n,,\n , \nb@x.org,Bo\n\n\n"), EncodingUTF8, ',', "email|name", []row{{3, "a@x.org|Ann"}, {6, "b@x.org|Bo"}}},
		{"header after blank lines", []byte("\n,,\nemail,name\na@x.org,Ann\n"), EncodingUTF8, ',', "email|name", []row{{4, "a@x.org|Ann"}}},
		{"stray quote in an unquoted cell", []byte("email,name\na@x.org,O\"Neil\n"), EncodingUTF8, ',', "email|name", []row{{2, "a@x.org|O\"Neil"}}},
		{"text after a closing quote", []byte("email,name\na@x.org,\"Ann\" Lee\n"), EncodingUTF8, ',', "email|name", []row{{2, "a@x.org|Ann Lee"}}},
		{"UTF-8 file with a Windows-1252 row", []byte("email,name\na@x.org,Zoë\nb@x.org,Jos\xe9\n"), EncodingUTF8, ',', "email|name", []row{{2, "a@x.org|Zoë"}, {3, "b@x.org|José"}}},
		{"single column", []byte("email\na@x.org\n"), EncodingUTF8, ',', "email", []row{{2, "a@x.org"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rd, recs, err := readAll(t, tt.input, Limits{})
			if err != nil {
				t.Fatal(err)
			}
			if rd.Encoding != tt.wantEncoding || rd.Delimiter != tt.wantDelim {
				t.Errorf("encoding %q delimiter %q, want %q %q", rd.Encoding, rd.Delimiter, tt.wantEncoding, tt.wantDelim)
			}
			if got := strings.Join(rd.Header, "|"); got != tt.wantHeader {
				t.Errorf("header = %q, want %q", got, tt.wantHeader)
			}
			var got []row
			for _, r := range recs {
				got = append(got, row{r.Row, strings.Join(r.Cells, "|")})
			}
			if len(got) != len(tt.wantRows) {
				t.Fatalf("rows = %+v, want %+v", got, tt.wantRows)
			}
			for i := range got {
				if got[i] != tt.wantRows[i] {
					t.Errorf("row %d = %+v, want %+v", i, got[i], tt.wantRows[i])
				}
			}
		})
	}
}

func TestReaderFileErrors(t *testing.T) {
	small := Limits{MaxBytes: 100, MaxRows: 2, MaxLineBytes: 40}
	tests := []struct {
		name       string
		input      []byte
		lim        Limits
		wantReason string
		wantInMsg  string
	}{
		{"empty", nil, Limits{}, ReasonEmpty, "The file is empty."},
		{"only blank lines", []byte("\n\r\n , ,\n"), Limits{}, ReasonEmpty, "The file is empty."},
		{"zip cut short", []byte("PK\x03\x04\x14\x00\x06\x00rest of a zip"), Limits{}, ReasonBinary, "This Excel workbook could not be read: it may be damaged"},
		{"xls", []byte("\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1\x00\x00"), Limits{}, ReasonBinary, "This file is an Excel 97-2003 workbook (.xls), or a workbook saved with a password, which cannot be read. In Excel choose File > Save As and pick Excel Workbook (.xlsx) or CSV UTF-8"},
		{"pdf", []byte("%PDF-1.7\n%\xe2\xe3"), Limits{}, ReasonBinary, "PDF document"},
		{"png", []byte("\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR"), Limits{}, ReasonBinary, "PNG image"},
		{"jpeg", []byte("\xFF\xD8\xFF\xE0\x00\x10JFIF"), Limits{}, ReasonBinary, "JPEG image"},
		{"NUL bytes", []byte("email\x00,name\na\x00b\x00\x01\x02"), Limits{}, ReasonBinary, "binary data"},
		{"NUL byte past the sniffed start", []byte("email,name\n" + strings.Repeat("a@x.org,Ann\n", 1000) + "b@x.org,B\x00o\n"), Limits{}, ReasonBinary, "Row 1002 contains binary data"},
		{"too large", []byte("email\n" + strings.Repeat("a@x.org\n", 20)), small, ReasonTooLarge, "larger than 100 bytes"},
		{"too many rows", []byte("email\na@x.org\nb@x.org\n\nc@x.org\n"), small, ReasonTooManyRows, "more than 2 rows"},
		{"line too long", []byte("email\n" + strings.Repeat("a", 50) + "@x.org\n"), small, ReasonLineTooLong, "Row 2 is longer than 40 bytes"},
		{"quote never closed at end", []byte("email,name\na@x.org,\"Ann\nb@x.org,Bo\n"), Limits{}, ReasonUnclosedQuote, "Row 2 has a quote"},
		{"quote never closed, long", []byte("email,name\na@x.org,\"Ann\n" + strings.Repeat("b@x.org,Bo\n", 10)), Limits{MaxLineBytes: 50}, ReasonUnclosedQuote, "Row 2 has a quote"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, _, err := readAll(t, tt.input, tt.lim)
			var fe *FileError
			if !errors.As(err, &fe) {
				t.Fatalf("err = %v, want a FileError", err)
			}
			if fe.Reason != tt.wantReason || !strings.Contains(fe.Message, tt.wantInMsg) {
				t.Errorf("got %s %q, want %s containing %q", fe.Reason, fe.Message, tt.wantReason, tt.wantInMsg)
			}
		})
	}
}

func TestReaderCRLFInsideQuotes(t *testing.T) {
	_, recs, err := readAll(t, []byte("email,name\r\na@x.org,\"Ann\r\nLee\"\r\nb@x.org,Bo\r\n"), Limits{})
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) != 2 || recs[0].Cells[1] != "Ann\nLee" || recs[1].Row != 3 {
		t.Errorf("records = %+v", recs)
	}
}

// TestReaderMixedLineEndings: a file that ends its lines with CRLF where the
// reader first looks and with a lone CR or LF further on is read line by
// line all through, whichever comes where.
func TestReaderMixedLineEndings(t *testing.T) {
	var b strings.Builder
	b.WriteString("email,name\r\n")
	const first = 300 // well past the 8 KiB the reader samples
	for i := 0; i < first; i++ {
		fmt.Fprintf(&b, "p%03d@x.org,Person number %03d\r\n", i, i)
	}
	b.WriteString("late@x.org,Late\rlater@x.org,Later\nlast@x.org,Last\r\n")
	if b.Len() < 9000 {
		t.Fatalf("the file is only %d bytes", b.Len())
	}
	_, recs, err := readAll(t, []byte(b.String()), Limits{})
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) != first+3 {
		t.Fatalf("read %d records, want %d", len(recs), first+3)
	}
	for i, want := range []string{"late@x.org|Late", "later@x.org|Later", "last@x.org|Last"} {
		r := recs[first+i]
		if got := strings.Join(r.Cells, "|"); got != want || r.Row != first+2+i {
			t.Errorf("record %d = row %d %q, want row %d %q", first+i, r.Row, got, first+2+i, want)
		}
	}
}
