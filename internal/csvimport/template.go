package csvimport

import (
	"encoding/csv"
	"io"
	"strings"

	"github.com/xuri/excelize/v2"
)

// UsersTemplate writes the users template: the columns and one example row
// for each of the school's groups (up to three), so the admin sees real group
// names. The examples are at example.com, which the email rule refuses, so
// rows left in by mistake invite nobody.
// Errors: w's.
func UsersTemplate(w io.Writer, groups []string) error {
	rows := usersTemplateRows(groups)
	for i := 1; i < len(rows); i++ {
		rows[i][3] = SafeCell(rows[i][3])
	}
	return writeCSVTemplate(w, rows)
}

// RelationshipsTemplate writes the relationships template: the columns and
// one example row for each of the seven relationship types.
// Errors: w's.
func RelationshipsTemplate(w io.Writer) error {
	return writeCSVTemplate(w, relationshipsTemplateRows())
}

// UsersTemplateXLSX writes UsersTemplate's columns and rows as an Excel
// workbook (.xlsx) with one sheet, "Users": the header bold, and every cell
// of the columns formatted as text, so ids typed in keep their leading
// zeros.
// Errors: w's; excelize's, which a valid template never meets.
func UsersTemplateXLSX(w io.Writer, groups []string) error {
	return writeXLSXTemplate(w, "Users", usersTemplateRows(groups))
}

// RelationshipsTemplateXLSX writes RelationshipsTemplate's columns and rows
// as an Excel workbook (.xlsx) with one sheet, "Relationships", formatted
// as UsersTemplateXLSX's.
// Errors: as UsersTemplateXLSX.
func RelationshipsTemplateXLSX(w io.Writer) error {
	return writeXLSXTemplate(w, "Relationships", relationshipsTemplateRows())
}

func usersTemplateRows(groups []string) [][]string {
	rows := [][]string{{"email", "first_name", "last_name", "group"}}
	examples := [][2]string{{"Alex", "Morgan"}, {"Sam", "Patel"}, {"Jo", "Williams"}}
	if len(groups) == 0 {
		groups = []string{""}
	}
	for i, g := range groups {
		if i == len(examples) {
			break
		}
		first, last := examples[i][0], examples[i][1]
		email := strings.ToLower(first+"."+last) + "@example.com"
		rows = append(rows, []string{email, first, last, g})
	}
	return rows
}

func relationshipsTemplateRows() [][]string {
	rows := [][]string{{"student_email", "parent_email", "relationship_type"}}
	for i, t := range RelationshipTypes {
		student := "student" + string(rune('1'+i/4)) + "@example.com"
		parent := "parent" + string(rune('1'+i)) + "@example.com"
		rows = append(rows, []string{student, parent, t})
	}
	return rows
}

func writeCSVTemplate(w io.Writer, rows [][]string) error {
	cw := csv.NewWriter(w)
	cw.UseCRLF = true
	if _, err := io.WriteString(w, "\uFEFF"); err != nil {
		return err
	}
	_ = cw.WriteAll(rows)
	return cw.Error()
}

// textFormat is the built-in number format "@": the cell holds text as
// typed.
const textFormat = 49

// writeXLSXTemplate writes rows, the first the header, as the one sheet of
// a workbook, with excelize's StreamWriter.
func writeXLSXTemplate(w io.Writer, sheet string, rows [][]string) (err error) {
	f := excelize.NewFile()
	defer func() {
		if cerr := f.Close(); err == nil {
			err = cerr
		}
	}()
	if err := f.SetSheetName("Sheet1", sheet); err != nil {
		return err
	}
	text, err := f.NewStyle(&excelize.Style{NumFmt: textFormat})
	if err != nil {
		return err
	}
	bold, err := f.NewStyle(&excelize.Style{NumFmt: textFormat, Font: &excelize.Font{Bold: true}})
	if err != nil {
		return err
	}
	sw, err := f.NewStreamWriter(sheet)
	if err != nil {
		return err
	}
	cols := len(rows[0])
	if err := sw.SetColWidth(1, cols, 28); err != nil {
		return err
	}
	// Cells typed in later are text too: the columns' style.
	if err := sw.SetColStyle(1, cols, text); err != nil {
		return err
	}
	for i, row := range rows {
		style := text
		if i == 0 {
			style = bold
		}
		cells := make([]any, len(row))
		for j, v := range row {
			cells[j] = excelize.Cell{StyleID: style, Value: v}
		}
		cell, err := excelize.CoordinatesToCellName(1, i+1)
		if err != nil {
			return err
		}
		if err := sw.SetRow(cell, cells); err != nil {
			return err
		}
	}
	if err := sw.Flush(); err != nil {
		return err
	}
	return f.Write(w)
}
