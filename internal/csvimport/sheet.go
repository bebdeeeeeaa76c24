package csvimport

import (
	"archive/zip"
	"bytes"
	"errors"
	"fmt"
	"io"
	"runtime"
	"slices"
	"strings"
	"sync"

	"github.com/xuri/excelize/v2"
)

// A workbook (.xlsx) is read with excelize's streaming row reader. Zip needs
// the whole file, so the upload is read into memory (at most
// Limits.MaxBytes); excelize then unzips each part, but a sheet or
// shared-strings table larger than xlsxSpillBytes goes to a temporary file
// and is streamed from there, so a large sheet costs disk, not memory.

// xlsxSpillBytes is the unzipped size over which a sheet or the shared
// strings are kept in a temporary file rather than in memory.
const xlsxSpillBytes = 4 << 20

// maxTitleRows is how many title rows may stand above a workbook's header.
const maxTitleRows = 5

// sheetNames are the sheet names, folded by foldSheetName, that say which
// sheet holds a kind's list.
var sheetNames = map[Kind][]string{
	KindUsers:         {"users", "user", "userlist", "userslist", "importusers", "usersimport"},
	KindRelationships: {"relationships", "relationship", "relationshiplist", "relationshipslist", "parentlinks", "links"},
}

// sheetSource streams the rows of one sheet of a workbook.
type sheetSource struct {
	f         *excelize.File
	rows      *excelize.Rows
	row       int        // the number of the sheet row last read
	ahead     []sheetRow // rows read while looking for the header, to return first
	closeOnce sync.Once
}

type sheetRow struct {
	n     int
	cells []string
}

// openWorkbook reads an .xlsx upload and the header of the sheet it holds
// for kind.
// Errors: *FileError for an upload over the limits, a zip that is not a
// workbook, a workbook that cannot be read, or an empty sheet; r's errors.
func openWorkbook(r io.Reader, kind Kind, lim Limits) (rd *Reader, err error) {
	b, err := io.ReadAll(r)
	if errors.Is(err, errTooLarge) {
		return nil, tooLarge(lim.MaxBytes)
	}
	if err != nil {
		return nil, err
	}
	if err := checkZip(b, lim); err != nil {
		return nil, err
	}
	defer func() {
		if p := recover(); p != nil {
			rd, err = nil, unreadableWorkbook()
		}
	}()
	f, err := excelize.OpenReader(bytes.NewReader(b), excelize.Options{
		UnzipSizeLimit: lim.MaxUnzippedBytes, UnzipXMLSizeLimit: min(xlsxSpillBytes, lim.MaxUnzippedBytes),
		// Excel's default date format shows a date as the computer's locale
		// does, which the reader cannot know: it reads as 2026-03-14.
		ShortDatePattern: "yyyy-mm-dd",
	})
	if err != nil {
		if f != nil {
			_ = f.Close()
		}
		if strings.HasPrefix(err.Error(), "unzip size exceeds") {
			return nil, unzipsTooLarge(lim)
		}
		return nil, unreadableWorkbook()
	}
	sheets := f.GetSheetList()
	if len(sheets) == 0 {
		_ = f.Close()
		return nil, notWorkbook("")
	}
	name := chooseSheet(f, sheets, kind)
	src := &sheetSource{f: f}
	rd = &Reader{Encoding: EncodingXLSX, Delimiter: ',', lim: lim, sheet: src}
	// Validate does not close its reader when it stops early (a missing
	// column, say): the temporary files go when the reader is collected.
	runtime.AddCleanup(rd, func(s *sheetSource) { s.close() }, src)
	if src.rows, err = f.Rows(name); err != nil {
		src.close()
		return nil, unreadableWorkbook()
	}
	if err := rd.readSheetHeader(); err == io.EOF {
		src.close()
		return nil, emptySheet(name, len(sheets), kind)
	} else if err != nil {
		src.close()
		return nil, err
	}
	if len(sheets) > 1 {
		rd.Warnings = append(rd.Warnings, fmt.Sprintf("Read the sheet %q (the workbook has %d sheets).", name, len(sheets)))
	}
	return rd, nil
}

// checkZip refuses, before anything is unzipped, a zip that is damaged,
// that unzips to more than the limit, or that is a document of another kind.
func checkZip(b []byte, lim Limits) error {
	zr, err := zip.NewReader(bytes.NewReader(b), int64(len(b)))
	if err != nil {
		return unreadableWorkbook()
	}
	var total uint64
	names := map[string]*zip.File{}
	for _, zf := range zr.File {
		total += zf.UncompressedSize64
		names[strings.ToLower(zf.Name)] = zf
	}
	if total > uint64(lim.MaxUnzippedBytes) {
		return unzipsTooLarge(lim)
	}
	switch {
	case names["xl/workbook.bin"] != nil:
		return fileErrorf(ReasonBinary, "This file is an Excel Binary Workbook (.xlsb), which cannot be read. In Excel choose File > Save As and pick Excel Workbook (.xlsx) or CSV UTF-8, then upload it again.")
	case names["word/document.xml"] != nil:
		return notWorkbook("a Word document (.docx)")
	case names["ppt/presentation.xml"] != nil:
		return notWorkbook("a PowerPoint presentation (.pptx)")
	case names["index/document.iwa"] != nil:
		return fileErrorf(ReasonBinary, "This file is an Apple Numbers spreadsheet, which cannot be read. In Numbers choose File > Export To > Excel (or CSV), then upload that file.")
	case names["mimetype"] != nil:
		return openDocument(names["mimetype"])
	}
	for name := range names {
		if strings.HasPrefix(name, "xl/") {
			return nil
		}
	}
	return notWorkbook("")
}

// openDocument names an OpenDocument file by its mimetype entry.
func openDocument(zf *zip.File) error {
	var mime []byte
	if rc, err := zf.Open(); err == nil {
		mime, _ = io.ReadAll(io.LimitReader(rc, 200))
		rc.Close()
	}
	switch kind := strings.TrimPrefix(string(mime), "application/vnd.oasis.opendocument."); kind {
	case "spreadsheet":
		return fileErrorf(ReasonBinary, "This file is an OpenDocument spreadsheet (.ods), which cannot be read. In LibreOffice choose File > Save As and pick Excel 2007-365 (.xlsx) or Text CSV, then upload it again.")
	case "text":
		return notWorkbook("an OpenDocument text document (.odt)")
	case "presentation":
		return notWorkbook("an OpenDocument presentation (.odp)")
	}
	return notWorkbook("")
}

func notWorkbook(what string) *FileError {
	if what == "" {
		what = "a zip archive"
	}
	return fileErrorf(ReasonBinary, "This file is %s, not an Excel workbook (.xlsx) or CSV file. Put the list in a spreadsheet and save it as Excel Workbook (.xlsx) or CSV UTF-8, then upload that file.", what)
}

func unreadableWorkbook() *FileError {
	return fileErrorf(ReasonBinary, "This Excel workbook could not be read: it may be damaged or not completely saved. Open it in Excel, choose File > Save As and pick Excel Workbook (.xlsx) or CSV UTF-8, then upload it again.")
}

func unzipsTooLarge(lim Limits) *FileError {
	return fileErrorf(ReasonTooLarge, "This workbook unzips to more than %s. Save the list as CSV UTF-8 (or delete the sheets and pictures it does not need), then upload it again.", humanBytes(lim.MaxUnzippedBytes))
}

func emptySheet(name string, sheets int, kind Kind) *FileError {
	if sheets == 1 {
		return fileErrorf(ReasonEmpty, "The file is empty.")
	}
	hint := "put the list on the workbook's first sheet"
	if kind == KindUsers {
		hint = `name the sheet that holds the list "Users"`
	} else if kind == KindRelationships {
		hint = `name the sheet that holds the list "Relationships"`
	}
	return fileErrorf(ReasonEmpty, "The sheet %q is empty. Check the workbook has the list on its first sheet, or %s, then upload it again.", name, hint)
}

// chooseSheet picks the visible sheet named for kind, else the first
// visible sheet (the first sheet when none is visible).
func chooseSheet(f *excelize.File, sheets []string, kind Kind) string {
	var visible []string
	for _, s := range sheets {
		if v, err := f.GetSheetVisible(s); err == nil && v {
			visible = append(visible, s)
		}
	}
	if len(visible) == 0 {
		visible = sheets
	}
	for _, s := range visible {
		if slices.Contains(sheetNames[kind], foldSheetName(s)) {
			return s
		}
	}
	return visible[0]
}

// foldSheetName folds case, spaces, hyphens and underscores away.
func foldSheetName(s string) string {
	return strings.Map(func(r rune) rune {
		if r == ' ' || r == '-' || r == '_' || r == '\u00a0' {
			return -1
		}
		return r
	}, strings.ToLower(s))
}

// readSheetHeader finds the header: the first row that is not blank, unless
// up to maxTitleRows title rows stand above it. A title row has one value
// (a title merged across the columns keeps its text in its first cell) that
// is neither an address nor a column name, and the header below it has two
// values or more or a column name. The rows read past the header are kept
// for Next.
// Errors: io.EOF when the sheet has no row that is not blank; as next.
func (rd *Reader) readSheetHeader() error {
	var lead []sheetRow
	for len(lead) <= maxTitleRows {
		cells, err := rd.sheetRecord()
		if err == io.EOF && len(lead) > 0 {
			break
		}
		if err != nil {
			return err
		}
		if blank(cells) {
			continue
		}
		lead = append(lead, sheetRow{rd.row, cells})
		if !titleLike(cells) {
			break
		}
	}
	h := 0
	if last := lead[len(lead)-1].cells; len(lead) > 1 && (filled(last) >= 2 || (filled(last) == 1 && knownColumn(firstFilled(last)))) {
		h = len(lead) - 1
	}
	rd.Header, rd.HeaderRow = lead[h].cells, lead[h].n
	rd.sheet.ahead = lead[h+1:]
	return nil
}

func titleLike(cells []string) bool {
	if filled(cells) != 1 {
		return false
	}
	v := firstFilled(cells)
	return !strings.Contains(v, "@") && !knownColumn(v)
}

func knownColumn(v string) bool {
	h := normalizeHeader(v)
	_, users := synonyms[KindUsers][h]
	_, rels := synonyms[KindRelationships][h]
	return users || rels
}

func filled(cells []string) int {
	n := 0
	for _, c := range cells {
		if strings.TrimSpace(c) != "" {
			n++
		}
	}
	return n
}

func firstFilled(cells []string) string {
	for _, c := range cells {
		if strings.TrimSpace(c) != "" {
			return c
		}
	}
	return ""
}

// sheetRecord reads the next row of the sheet into rd.row and its cells.
// Errors: io.EOF after the last row; *FileError for a row over the length
// limit or that cannot be read.
func (rd *Reader) sheetRecord() ([]string, error) {
	n, cells, err := rd.sheet.next()
	if err != nil {
		return nil, err
	}
	rd.row = n
	size := -1
	for _, c := range cells {
		size += len(c) + 1
	}
	if size > rd.lim.MaxLineBytes {
		return nil, rd.tooLong(n, false)
	}
	return cells, nil
}

// next returns the next row of the sheet, blank or not: its number as the
// spreadsheet shows it and its cells as displayed (formatted numbers and
// dates, formulas' cached values, never evaluated).
// Errors: io.EOF after the last row or once closed; *FileError when a row
// cannot be read.
func (s *sheetSource) next() (n int, cells []string, err error) {
	if len(s.ahead) > 0 {
		r := s.ahead[0]
		s.ahead = s.ahead[1:]
		return r.n, r.cells, nil
	}
	if s.rows == nil {
		return 0, nil, io.EOF
	}
	defer func() {
		if p := recover(); p != nil {
			n, cells, err = 0, nil, fileErrorf(ReasonBinary, "Row %d of the sheet could not be read. Open the workbook in Excel, save it again, then upload it again.", s.row)
		}
	}()
	// Rows.Next counts the rows that the sheet's XML leaves out (blank
	// ones), so the n-th call is row n.
	if !s.rows.Next() {
		return 0, nil, io.EOF
	}
	s.row++
	cells, err = s.rows.Columns()
	if err != nil {
		return 0, nil, fileErrorf(ReasonBinary, "Row %d of the sheet could not be read. Open the workbook in Excel, save it again, then upload it again.", s.row)
	}
	return s.row, cells, nil
}

// close removes the workbook's temporary files; next returns io.EOF after.
func (s *sheetSource) close() {
	s.closeOnce.Do(func() {
		if s.rows != nil {
			_ = s.rows.Close()
		}
		s.rows, s.ahead = nil, nil
		_ = s.f.Close()
	})
}
