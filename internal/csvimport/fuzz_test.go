package csvimport

import (
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// FuzzValidate feeds arbitrary bytes through the reader and both validators
// and checks what must always hold: no panic, a FileError or a consistent
// summary, rows in file order, and an error file that reads back.
func FuzzValidate(f *testing.F) {
	for _, dir := range []string{"exports", "samples", "xlsx"} {
		files, _ := filepath.Glob(filepath.Join("testdata", dir, "*.*"))
		for _, p := range files {
			if b, err := os.ReadFile(p); err == nil {
				f.Add(b)
			}
		}
	}
	for _, s := range []string{
		"", "email\n", "email\na@b.co\n", "\"email\na@b.co", "email,group\n\"a@b.co\",\"Sta\"\"ff\"\r\n",
		"email;group\r\n=1+1;@x\r\n", "student_email,parent_email\na@b.co,c@d.co\n", "\xff\xfee\x00m\x00",
		"email\r\r\r\na@b.co\r", "email|x\n|||\n\"\"\"\n", "PK\x03\x04", "email\n\xe9@b.co\n",
	} {
		f.Add([]byte(s))
	}
	lim := Limits{MaxBytes: 1 << 16, MaxRows: 200, MaxLineBytes: 2048, MaxCellChars: 100}
	f.Fuzz(func(t *testing.T, data []byte) {
		watchdog := time.AfterFunc(10*time.Second, func() { panic("FuzzValidate: one input took over 10s") })
		defer watchdog.Stop()
		for _, kind := range []Kind{KindUsers, KindRelationships} {
			var errFile bytes.Buffer
			ef := NewErrorFile(&errFile)
			rows := &collect{}
			sum, err := Validate(context.Background(), bytes.NewReader(data), Options{Kind: kind, Groups: []string{"Students", "Staff"}, Limits: lim}, Sinks(rows, ef))
			if err != nil {
				var fe *FileError
				if !errors.As(err, &fe) || fe.Message == "" || fe.Reason == "" {
					t.Fatalf("%s: error %v is not a FileError with a reason", kind, err)
				}
				continue
			}
			if err := ef.Close(); err != nil {
				t.Fatal(err)
			}
			if n := sum.Valid + sum.Invalid + sum.Skipped + sum.Updated + sum.Unchanged; n != sum.Total || len(rows.rows) != sum.Total || sum.Total == 0 {
				t.Fatalf("%s: counts %+v do not add up to %d rows", kind, sum, len(rows.rows))
			}
			if len(sum.Preview) > PreviewRows || len(sum.Preview) > sum.Total {
				t.Fatalf("preview has %d rows", len(sum.Preview))
			}
			last := 0
			for _, r := range rows.rows {
				if r.Row <= last || r.Row < 2 {
					t.Fatalf("row numbers out of order: %d after %d", r.Row, last)
				}
				last = r.Row
				if (r.Status == StatusInvalid) != (r.Error != "") {
					t.Fatalf("row %d: status %s with error %q", r.Row, r.Status, r.Error)
				}
				if kind == KindUsers && r.Status == StatusValid && checkEmail(r.Email) != "" {
					t.Fatalf("row %d: valid with a bad email %q", r.Row, r.Email)
				}
			}
			// The error file reads back with one row per invalid row.
			back, err := NewReader(bytes.NewReader(errFile.Bytes()), Limits{MaxBytes: 1 << 24, MaxRows: 1 << 20, MaxLineBytes: 1 << 20})
			if err != nil {
				t.Fatalf("%s: error file does not read back: %v\n%q", kind, err, errFile.String())
			}
			n := 0
			for {
				_, err := back.Next()
				if err == io.EOF {
					break
				}
				if err != nil {
					t.Fatalf("error file row: %v", err)
				}
				n++
			}
			if n != sum.Invalid {
				t.Fatalf("%s: error file has %d rows, want %d\n%q", kind, n, sum.Invalid, errFile.String())
			}
		}
	})
}
