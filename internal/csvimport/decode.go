package csvimport

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"unicode/utf8"

	"golang.org/x/text/encoding/charmap"
	"golang.org/x/text/encoding/unicode"
	"golang.org/x/text/transform"
)

// Encodings the reader reports.
const (
	EncodingUTF8        = "UTF-8"
	EncodingUTF8BOM     = "UTF-8 with BOM"
	EncodingUTF16LE     = "UTF-16 LE"
	EncodingUTF16BE     = "UTF-16 BE"
	EncodingWindows1252 = "Windows-1252"
	// EncodingXLSX is not a text encoding: the upload was a workbook.
	EncodingXLSX = "Excel workbook (.xlsx)"
)

var errTooLarge = errors.New("file over the byte limit")

// limitReader fails with errTooLarge once more than max bytes were read.
type limitReader struct {
	r   io.Reader
	n   int64
	max int64
}

func (l *limitReader) Read(p []byte) (int, error) {
	if l.n > l.max {
		return 0, errTooLarge
	}
	if rest := l.max + 1 - l.n; int64(len(p)) > rest {
		p = p[:rest]
	}
	n, err := l.r.Read(p)
	l.n += int64(n)
	if l.n > l.max {
		return n, errTooLarge
	}
	return n, err
}

// signatures of files that are neither CSV nor a workbook, with what to tell
// the administrator: msg in full, or what the file is (then the message says
// to upload a CSV).
var signatures = []struct {
	magic []byte
	what  string
	msg   string
}{
	// Excel 97-2003, and also any workbook saved with a password: both are
	// OLE2 compound files.
	{magic: []byte("\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1"), msg: msgOLE2},
	{magic: []byte("%PDF-"), what: "a PDF document, not a CSV file. Export the list from your spreadsheet or MIS as CSV"},
	{magic: []byte("\x89PNG\r\n\x1a\n"), what: "a PNG image, not a CSV file. Export the list from your spreadsheet or MIS as CSV"},
	{magic: []byte("\xFF\xD8\xFF"), what: "a JPEG image, not a CSV file. Export the list from your spreadsheet or MIS as CSV"},
	{magic: []byte("GIF8"), what: "a GIF image, not a CSV file. Export the list from your spreadsheet or MIS as CSV"},
	{magic: []byte("{\\rtf"), what: "a Word (RTF) document, not a CSV file. Export the list from your spreadsheet or MIS as CSV"},
}

const msgOLE2 = "This file is an Excel 97-2003 workbook (.xls), or a workbook saved with a password, which cannot be read. " +
	"In Excel choose File > Save As and pick Excel Workbook (.xlsx) or CSV UTF-8, without a password, then upload it again."

// zipMagic starts every zip file, so every .xlsx.
var zipMagic = []byte("PK\x03\x04")

// decoded is an upload turned into a UTF-8 stream with "\n" line endings,
// or, when zip is set, the upload as it is (a workbook to unzip).
type decoded struct {
	r        io.Reader
	encoding string
	zip      bool
}

// decode sniffs the start of an upload: passes a zip (a workbook) on as it
// is, refuses what is not text, picks the encoding, and returns the text as
// UTF-8 with CR and CRLF turned into LF. Either way the upload is read
// through the byte limit.
func decode(r io.Reader, maxBytes int64) (decoded, error) {
	br := bufio.NewReaderSize(&limitReader{r: r, max: maxBytes}, 64<<10)
	sample, err := br.Peek(8 << 10)
	if errors.Is(err, errTooLarge) {
		return decoded{}, tooLarge(maxBytes)
	}
	if err != nil && err != io.EOF && err != bufio.ErrBufferFull {
		return decoded{}, err
	}
	if len(bytes.TrimSpace(sample)) == 0 && len(sample) < 8<<10 {
		return decoded{}, fileErrorf(ReasonEmpty, "The file is empty.")
	}
	if bytes.HasPrefix(sample, zipMagic) {
		return decoded{r: br, encoding: EncodingXLSX, zip: true}, nil
	}
	for _, s := range signatures {
		switch {
		case !bytes.HasPrefix(sample, s.magic):
		case s.msg != "":
			return decoded{}, fileErrorf(ReasonBinary, "%s", s.msg)
		default:
			return decoded{}, fileErrorf(ReasonBinary, "This file is %s, then upload the CSV.", s.what)
		}
	}
	var d decoded
	switch {
	case bytes.HasPrefix(sample, []byte{0xEF, 0xBB, 0xBF}):
		_, _ = br.Discard(3)
		d = decoded{r: br, encoding: EncodingUTF8BOM}
	case bytes.HasPrefix(sample, []byte{0xFF, 0xFE}):
		d = decoded{r: transform.NewReader(br, unicode.UTF16(unicode.LittleEndian, unicode.ExpectBOM).NewDecoder()), encoding: EncodingUTF16LE}
	case bytes.HasPrefix(sample, []byte{0xFE, 0xFF}):
		d = decoded{r: transform.NewReader(br, unicode.UTF16(unicode.BigEndian, unicode.ExpectBOM).NewDecoder()), encoding: EncodingUTF16BE}
	case bytes.IndexByte(sample, 0) >= 0:
		switch utf16Guess(sample) {
		case EncodingUTF16LE:
			d = decoded{r: transform.NewReader(br, unicode.UTF16(unicode.LittleEndian, unicode.IgnoreBOM).NewDecoder()), encoding: EncodingUTF16LE}
		case EncodingUTF16BE:
			d = decoded{r: transform.NewReader(br, unicode.UTF16(unicode.BigEndian, unicode.IgnoreBOM).NewDecoder()), encoding: EncodingUTF16BE}
		default:
			return decoded{}, binaryFile()
		}
	case looksBinary(sample):
		return decoded{}, binaryFile()
	case validUTF8Prefix(sample):
		d = decoded{r: br, encoding: EncodingUTF8}
	default:
		d = decoded{r: charmap.Windows1252.NewDecoder().Reader(br), encoding: EncodingWindows1252}
	}
	// Lines may end with LF, CRLF or a lone CR (old Mac files, and files
	// pasted together from several), anywhere in the file, not only where
	// the sample looked: every one becomes LF.
	d.r = &lineEndings{r: d.r}
	return d, nil
}

func binaryFile() *FileError {
	return fileErrorf(ReasonBinary, "This file is not a CSV: it contains binary data. Save it from your spreadsheet as CSV UTF-8 and upload it again.")
}

func tooLarge(maxBytes int64) *FileError {
	return fileErrorf(ReasonTooLarge, "The file is larger than %s. Split it into smaller files and upload each one.", humanBytes(maxBytes))
}

// utf16Guess recognises UTF-16 text without a BOM: ASCII characters with a
// zero byte beside each.
func utf16Guess(b []byte) string {
	var evenZero, oddZero, pairs int
	for i := 0; i+1 < len(b); i += 2 {
		pairs++
		if b[i] == 0 && b[i+1] != 0 {
			evenZero++
		}
		if b[i+1] == 0 && b[i] != 0 {
			oddZero++
		}
	}
	switch {
	case pairs == 0:
		return ""
	case oddZero*10 >= pairs*9:
		return EncodingUTF16LE
	case evenZero*10 >= pairs*9:
		return EncodingUTF16BE
	}
	return ""
}

// looksBinary reports control characters no text export contains.
func looksBinary(b []byte) bool {
	n := 0
	for _, c := range b {
		if c < 0x20 && c != '\t' && c != '\n' && c != '\r' && c != '\f' {
			n++
		}
	}
	return n > 0 && n*100 > len(b) // over 1%
}

// validUTF8Prefix is utf8.Valid, allowing the sample to end mid-character.
func validUTF8Prefix(b []byte) bool {
	for i := 0; i < utf8.UTFMax && len(b) > 0; i++ {
		if utf8.Valid(b) {
			return true
		}
		b = b[:len(b)-1]
	}
	return utf8.Valid(b)
}

// lineEndings turns CRLF and lone CR into LF, in place.
type lineEndings struct {
	r      io.Reader
	skipLF bool // the last byte was a CR: drop an LF that follows
}

func (l *lineEndings) Read(p []byte) (int, error) {
	n, err := l.r.Read(p)
	i, w := 0, 0
	if l.skipLF && n > 0 {
		l.skipLF = false
		if p[0] == '\n' {
			i = 1
		}
	}
	for i < n {
		j := bytes.IndexByte(p[i:n], '\r')
		if j < 0 {
			w += copy(p[w:], p[i:n])
			break
		}
		w += copy(p[w:], p[i:i+j])
		p[w] = '\n'
		w++
		i += j + 1
		if i == n {
			l.skipLF = true
		} else if p[i] == '\n' {
			i++
		}
	}
	return w, err
}
