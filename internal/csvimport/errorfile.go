package csvimport

import (
	"encoding/csv"
	"io"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/schoolroster/rosterimport/internal/roster"
)

// ErrorFile writes the error file as rows come: the original header and cells
// of every invalid row plus an "error" column, as UTF-8 with a BOM and CRLF
// line endings so Excel opens it as it was, and with every cell that a
// spreadsheet would run as a formula neutralised. Fixing the rows and
// uploading the file again works: the reader drops the neutralising
// apostrophe and ignores the error column.
type ErrorFile struct {
	w      *csv.Writer
	out    io.Writer
	width  int
	record []string
	Rows   int // invalid rows written
}

var _ Sink = (*ErrorFile)(nil)

// NewErrorFile returns an ErrorFile writing to w.
func NewErrorFile(w io.Writer) *ErrorFile {
	cw := csv.NewWriter(w)
	cw.UseCRLF = true
	return &ErrorFile{w: cw, out: w}
}

// Start writes the BOM and the header with the error column.
func (e *ErrorFile) Start(header []string) error {
	if _, err := io.WriteString(e.out, "\uFEFF"); err != nil {
		return err
	}
	e.width = len(header)
	rec := make([]string, 0, len(header)+1)
	for _, h := range header {
		rec = append(rec, SafeCell(h))
	}
	return e.w.Write(append(rec, "error"))
}

// Row writes r if it is invalid: its cells under the header, the error, then
// any cells beyond the header's columns.
func (e *ErrorFile) Row(r *RowResult) error {
	if r.Status != StatusInvalid {
		return nil
	}
	e.record = e.record[:0]
	for i := 0; i < e.width; i++ {
		c := ""
		if i < len(r.Cells) {
			c = r.Cells[i]
		}
		e.record = append(e.record, SafeCell(c))
	}
	e.record = append(e.record, SafeCell(r.Error))
	for i := e.width; i < len(r.Cells); i++ {
		e.record = append(e.record, SafeCell(r.Cells[i]))
	}
	e.Rows++
	return e.w.Write(e.record)
}

// Close flushes what is buffered.
func (e *ErrorFile) Close() error {
	e.w.Flush()
	return e.w.Error()
}

// SafeCell neutralises a cell a spreadsheet would evaluate, in any locale: a
// cell that starts with = + - @ (or their full-width forms), even after
// spaces, no-break spaces or a byte order mark, or with a tab or a carriage
// return, gets a leading apostrophe, which spreadsheets show as text
// (OWASP's advice for CSV injection). A spreadsheet set to a locale whose
// separator is ";" splits a cell there: each part after a ";" that would
// start a formula gets its apostrophe too.
func SafeCell(s string) string {
	if s == "" {
		return s
	}
	if s[0] == '\t' || s[0] == '\r' || startsFormula(s) {
		s = "'" + s
	}
	if !strings.Contains(s, ";") {
		return s
	}
	parts := strings.Split(s, ";")
	for i := 1; i < len(parts); i++ {
		if startsFormula(parts[i]) || strings.HasPrefix(parts[i], "\t") || strings.HasPrefix(parts[i], "\r") {
			parts[i] = "'" + parts[i]
		}
	}
	return strings.Join(parts, ";")
}

// startsFormula reports whether s, after any white space, no-break space,
// zero-width space or byte order mark, starts with a character that makes a
// spreadsheet evaluate the cell.
func startsFormula(s string) bool {
	t := strings.TrimLeftFunc(s, func(r rune) bool { return unicode.IsSpace(r) || r == '\u00a0' || r == '\u200b' || r == '\ufeff' })
	r, _ := utf8.DecodeRuneInString(t)
	switch r {
	case '=', '+', '-', '@', '\uff1d', '\uff0b', '\uff0d', '\uff20': // and ＝ ＋ － ＠
		return true
	}
	return false
}

// Sinks sends every row to each sink in turn.
func Sinks(sinks ...Sink) Sink { return multiSink(sinks) }

type multiSink []Sink

func (m multiSink) Start(header []string) error {
	for _, s := range m {
		if err := s.Start(header); err != nil {
			return err
		}
	}
	return nil
}

// Link hands a parent link to each sink that takes links.
func (m multiSink) Link(l *roster.PreviewRow) error {
	for _, s := range m {
		if ls, ok := s.(LinkSink); ok {
			if err := ls.Link(l); err != nil {
				return err
			}
		}
	}
	return nil
}

func (m multiSink) Row(r *RowResult) error {
	for _, s := range m {
		if err := s.Row(r); err != nil {
			return err
		}
	}
	return nil
}
