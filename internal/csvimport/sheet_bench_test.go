package csvimport

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/xuri/excelize/v2"
)

// writeUsersWorkbook writes a users workbook of rows rows (the benchmark's
// users, as usersFile makes them) with excelize's StreamWriter, and returns
// its path.
func writeUsersWorkbook(tb testing.TB, dir string, rows int) string {
	tb.Helper()
	f := excelize.NewFile()
	defer f.Close()
	sw, err := f.NewStreamWriter("Sheet1")
	if err != nil {
		tb.Fatal(err)
	}
	row := []any{"email", "first_name", "last_name", "group"}
	if err := sw.SetRow("A1", row); err != nil {
		tb.Fatal(err)
	}
	for i := range rows {
		row[0] = fmt.Sprintf("pupil%d.%d@hill-school.example.org", i, i%97)
		row[1], row[2], row[3] = firstNames[i%10], lastNames[(i/10)%10], benchGroup[i%4]
		cell, _ := excelize.CoordinatesToCellName(1, i+2)
		if err := sw.SetRow(cell, row); err != nil {
			tb.Fatal(err)
		}
	}
	if err := sw.Flush(); err != nil {
		tb.Fatal(err)
	}
	path := filepath.Join(dir, "users.xlsx")
	if err := f.SaveAs(path); err != nil {
		tb.Fatal(err)
	}
	return path
}

// BenchmarkValidateXLSX validates a 100,000-row workbook, as
// BenchmarkValidate100k does the CSV of the same rows.
func BenchmarkValidateXLSX(b *testing.B) {
	path := writeUsersWorkbook(b, b.TempDir(), benchRows)
	data, err := os.ReadFile(path)
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	reportRows(b, benchRows, func() {
		f, err := os.Open(path)
		if err != nil {
			b.Fatal(err)
		}
		defer f.Close()
		sum, err := Validate(context.Background(), f, Options{Kind: KindUsers, Groups: []string{"Students", "Staff", "Parents"}}, discard{})
		if err != nil || sum.Total != benchRows {
			b.Fatalf("%v %+v", err, sum)
		}
	})
}

// TestWorkbookSpillsToTempFiles: a sheet over xlsxSpillBytes is read from a
// temporary file, which is gone once the reader is done with it.
func TestWorkbookSpillsToTempFiles(t *testing.T) {
	tmp := t.TempDir()
	t.Setenv("TMPDIR", tmp) // where excelize unzips
	const rows = 18_000     // a 4.7 MB sheet
	path := writeUsersWorkbook(t, t.TempDir(), rows)
	for _, finish := range []string{"read to the end", "closed early"} {
		f, err := os.Open(path)
		if err != nil {
			t.Fatal(err)
		}
		rd, err := NewReaderFor(f, KindUsers, Limits{})
		f.Close()
		if err != nil {
			t.Fatal(err)
		}
		if spilled, _ := os.ReadDir(tmp); len(spilled) == 0 {
			t.Errorf("%s: nothing unzipped to a temporary file", finish)
		}
		n := 0
		for finish == "read to the end" {
			if _, err := rd.Next(); err == io.EOF {
				break
			} else if err != nil {
				t.Fatal(err)
			}
			n++
		}
		if finish == "read to the end" && n != rows {
			t.Errorf("read %d rows, want %d", n, rows)
		}
		if finish == "closed early" {
			if err := rd.Close(); err != nil {
				t.Fatal(err)
			}
		}
		if left, _ := os.ReadDir(tmp); len(left) != 0 {
			t.Errorf("%s: %d temporary files left", finish, len(left))
		}
	}
}
