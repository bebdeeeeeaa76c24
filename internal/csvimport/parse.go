package csvimport

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"strings"
	"unicode/utf8"

	"golang.org/x/text/encoding/charmap"
)

// Delimiters the reader detects, in order of preference on a tie.
var delimiters = []byte{',', ';', '\t', '|'}

// DelimiterName says a delimiter in words, for warnings.
func DelimiterName(d byte) string {
	switch d {
	case ',':
		return "comma"
	case ';':
		return "semicolon"
	case '\t':
		return "tab"
	case '|':
		return "pipe"
	}
	return string(d)
}

// Record is one row of the file as the administrator sees it.
type Record struct {
	Row   int      // spreadsheet row number (the header is row 1)
	Cells []string // as in the file, untrimmed
}

// Reader streams the records of an upload after its header: a CSV file, or
// one sheet of an Excel workbook (see sheet.go).
type Reader struct {
	Header    []string
	HeaderRow int
	// Encoding is the text's encoding, or EncodingXLSX for a workbook.
	Encoding string
	// Delimiter is the CSV's; a workbook's is ','.
	Delimiter byte
	// Fallbacks counts rows of a UTF-8 file that were read as Windows-1252.
	Fallbacks int
	// Warnings are for the preview to show about how the file was read,
	// such as which sheet of a workbook.
	Warnings []string

	sheet *sheetSource // a workbook's sheet, when the upload is one

	in       *bufio.Reader
	lim      Limits
	fallback bool // UTF-8 input: a cell that is not valid UTF-8 is read as Windows-1252
	row      int
	dataRows int
	rec      []byte
	starts   []int // cell i is rec[starts[i]:ends[i]]
	ends     []int
	// cellSlab backs the cells of records; Release hands it back once the
	// records it holds are no longer used.
	cellSlab []string
}

// Release tells the reader that no record it returned is used any more, so
// their cell slices can be reused. A caller that keeps records never calls it.
func (rd *Reader) Release() { rd.cellSlab = rd.cellSlab[:0] }

// Close frees what the reader holds outside memory: a workbook's temporary
// files. Next does so itself when it returns an error or io.EOF, and a
// reader dropped before then frees them when it is garbage collected, so
// Close only makes that prompt. Errors: none (a file that cannot be removed
// is left to the system's temporary directory).
func (rd *Reader) Close() error {
	if rd.sheet != nil {
		rd.sheet.close()
	}
	return nil
}

// NewReader is NewReaderFor with no kind: of a workbook it reads the first
// visible sheet.
// Errors: as NewReaderFor.
func NewReader(r io.Reader, lim Limits) (*Reader, error) {
	return NewReaderFor(r, "", lim)
}

// NewReaderFor sniffs the upload and reads its header. A CSV's delimiter is
// detected from its header line. A workbook (.xlsx) is opened and the sheet
// named for kind read (see sheet.go), else its first visible sheet.
// Errors: *FileError for an empty, binary, oversized or unreadable file, a
// workbook that cannot be read, or a zip that is not a workbook.
func NewReaderFor(r io.Reader, kind Kind, lim Limits) (*Reader, error) {
	lim = lim.withDefaults()
	d, err := decode(r, lim.MaxBytes)
	if err != nil {
		return nil, err
	}
	if d.zip {
		return openWorkbook(d.r, kind, lim)
	}
	rd := &Reader{
		in:       bufio.NewReaderSize(d.r, max(lim.MaxLineBytes+1, 4096)),
		lim:      lim,
		Encoding: d.encoding,
		fallback: d.encoding == EncodingUTF8 || d.encoding == EncodingUTF8BOM,
	}
	if rd.Delimiter, err = rd.detectDelimiter(); err != nil {
		return nil, err
	}
	for {
		cells, err := rd.record()
		if err == io.EOF {
			return nil, fileErrorf(ReasonEmpty, "The file is empty.")
		}
		if err != nil {
			return nil, err
		}
		if !blank(cells) {
			rd.Header, rd.HeaderRow = cells, rd.row
			return rd, nil
		}
	}
}

// detectDelimiter counts each candidate outside quotes on the first line
// that is not blank; the most frequent wins, comma when there is none.
func (rd *Reader) detectDelimiter() (byte, error) {
	peek, err := rd.in.Peek(rd.in.Size())
	if err != nil && err != io.EOF && err != bufio.ErrBufferFull {
		return 0, rd.readError(err)
	}
	for len(peek) > 0 {
		line := peek
		if i := bytes.IndexByte(peek, '\n'); i >= 0 {
			line, peek = peek[:i], peek[i+1:]
		} else {
			peek = nil
		}
		if len(bytes.Trim(line, " ,;\t|")) == 0 {
			continue
		}
		counts := map[byte]int{}
		inQuote := false
		for _, c := range line {
			if c == '"' {
				inQuote = !inQuote
			} else if !inQuote && bytes.IndexByte(delimiters, c) >= 0 {
				counts[c]++
			}
		}
		best := byte(',')
		for _, d := range delimiters {
			if counts[d] > counts[best] {
				best = d
			}
		}
		return best, nil
	}
	return ',', nil
}

// Next returns the next record that is not blank, or io.EOF.
// Errors: *FileError when the file breaks a limit or cannot be read further.
func (rd *Reader) Next() (Record, error) {
	for {
		cells, err := rd.record()
		if err != nil {
			rd.Close()
			return Record{}, err
		}
		if blank(cells) {
			continue
		}
		rd.dataRows++
		if rd.dataRows > rd.lim.MaxRows {
			rd.Close()
			return Record{}, fileErrorf(ReasonTooManyRows, "The file has more than %s rows. Split it into smaller files and upload each one.", Thousands(rd.lim.MaxRows))
		}
		return Record{Row: rd.row, Cells: cells}, nil
	}
}

func blank(cells []string) bool {
	for _, c := range cells {
		if strings.TrimSpace(c) != "" {
			return false
		}
	}
	return true
}

func (rd *Reader) readError(err error) error {
	if errors.Is(err, errTooLarge) {
		return tooLarge(rd.lim.MaxBytes)
	}
	return err
}

// record reads one record (one spreadsheet row, which may span several
// lines inside quotes) and splits it into cells.
func (rd *Reader) record() ([]string, error) {
	if rd.sheet != nil {
		return rd.sheetRecord()
	}
	rd.rec, rd.starts, rd.ends = rd.rec[:0], rd.starts[:0], rd.ends[:0]
	start := rd.row + 1
	inQuote, atFieldStart := false, true
	for lines := 0; ; lines++ {
		line, err := rd.in.ReadSlice('\n')
		switch {
		case err == bufio.ErrBufferFull:
			return nil, rd.tooLong(start, inQuote)
		case err == io.EOF && len(line) == 0:
			if lines == 0 {
				return nil, io.EOF
			}
			return nil, fileErrorf(ReasonUnclosedQuote, "Row %d has a quote (\") that is never closed. Check the quotes in that row.", start)
		case err != nil && err != io.EOF:
			return nil, rd.readError(err)
		}
		if lines == 0 {
			rd.row++
		}
		line = bytes.TrimSuffix(line, []byte{'\n'})
		line = bytes.TrimSuffix(line, []byte{'\r'}) // CRLF
		if bytes.IndexByte(line, 0) >= 0 {
			return nil, fileErrorf(ReasonBinary, "Row %d contains binary data (NUL bytes). Save the file from your spreadsheet as CSV UTF-8 and upload it again.", start)
		}
		if len(rd.rec)+len(line) > rd.lim.MaxLineBytes {
			return nil, rd.tooLong(start, inQuote)
		}
		if lines > 0 {
			rd.rec = append(rd.rec, '\n') // the line break inside a quoted cell
		} else if rd.splitUnquoted(line) {
			// No quotes: the common row, cut at the delimiters in one pass.
			rd.rec = append(rd.rec, line...)
			return rd.cells(), nil
		}
		if len(rd.starts) == 0 {
			rd.starts = append(rd.starts, 0)
		}
		for i := 0; i < len(line); i++ {
			c := line[i]
			switch {
			case inQuote:
				if c != '"' {
					// Copy the run up to the next quote at once.
					j := bytes.IndexByte(line[i:], '"')
					if j < 0 {
						j = len(line) - i
					}
					rd.rec = append(rd.rec, line[i:i+j]...)
					i += j - 1
				} else if i+1 < len(line) && line[i+1] == '"' {
					rd.rec = append(rd.rec, '"')
					i++
				} else {
					inQuote = false
				}
			case c == rd.Delimiter:
				rd.ends = append(rd.ends, len(rd.rec))
				rd.starts = append(rd.starts, len(rd.rec))
				atFieldStart = true
			case c == '"' && atFieldStart:
				inQuote, atFieldStart = true, false
			default:
				// Unquoted text, a stray quote, or text after a closing quote
				// ("ab"cd reads as abcd, as spreadsheets do).
				j := i + 1
				for j < len(line) && line[j] != rd.Delimiter && line[j] != '"' {
					j++
				}
				rd.rec = append(rd.rec, line[i:j]...)
				i = j - 1
				atFieldStart = false
			}
		}
		if !inQuote {
			break
		}
		if err == io.EOF {
			return nil, fileErrorf(ReasonUnclosedQuote, "Row %d has a quote (\") that is never closed. Check the quotes in that row.", start)
		}
	}
	rd.ends = append(rd.ends, len(rd.rec))
	return rd.cells(), nil
}

// splitUnquoted records the cell bounds of a line without quotes and
// reports true, or reports false (bounds cleared) when the line has a quote.
func (rd *Reader) splitUnquoted(line []byte) bool {
	from := 0
	for i, c := range line {
		switch c {
		case rd.Delimiter:
			rd.starts, rd.ends = append(rd.starts, from), append(rd.ends, i)
			from = i + 1
		case '"':
			rd.starts, rd.ends = rd.starts[:0], rd.ends[:0]
			return false
		}
	}
	rd.starts, rd.ends = append(rd.starts, from), append(rd.ends, len(line))
	return true
}

// cells cuts the record into cells: one string for the whole record, and
// the cells are slices of it.
func (rd *Reader) cells() []string {
	s := string(rd.rec)
	n := len(rd.ends)
	if cap(rd.cellSlab)-len(rd.cellSlab) < n {
		rd.cellSlab = make([]string, 0, max(1024, 4*n))
	}
	cells := rd.cellSlab[len(rd.cellSlab) : len(rd.cellSlab)+n : len(rd.cellSlab)+n]
	rd.cellSlab = rd.cellSlab[:len(rd.cellSlab)+n]
	for i := range n {
		cells[i] = s[rd.starts[i]:rd.ends[i]]
	}
	if rd.fallback && !utf8.ValidString(s) {
		// A UTF-8 file with a Windows-1252 row (an export edited in Excel).
		rd.Fallbacks++
		for i, c := range cells {
			if !utf8.ValidString(c) {
				cells[i] = windows1252(c)
			}
		}
	}
	return cells
}

func windows1252(s string) string {
	out, err := charmap.Windows1252.NewDecoder().String(s)
	if err != nil {
		return strings.ToValidUTF8(s, "\uFFFD")
	}
	return out
}

func (rd *Reader) tooLong(row int, inQuote bool) error {
	if inQuote {
		return fileErrorf(ReasonUnclosedQuote, "Row %d has a quote (\") that is never closed, or is longer than %s. Check the quotes in that row.", row, humanBytes(int64(rd.lim.MaxLineBytes)))
	}
	return fileErrorf(ReasonLineTooLong, "Row %d is longer than %s. Check that the file is a list of users, one per row.", row, humanBytes(int64(rd.lim.MaxLineBytes)))
}
