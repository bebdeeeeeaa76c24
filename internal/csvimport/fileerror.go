package csvimport

import "fmt"

// Reasons a whole file is refused.
const (
	ReasonEmpty           = "empty"
	ReasonNoRows          = "no_rows"
	ReasonMissingColumn   = "missing_column"
	ReasonDuplicateColumn = "duplicate_column"
	ReasonBinary          = "binary"
	ReasonTooLarge        = "too_large"
	ReasonTooManyRows     = "too_many_rows"
	ReasonLineTooLong     = "line_too_long"
	ReasonUnclosedQuote   = "unclosed_quote"
)

// FileError is a file that cannot be read at all: one reason, in words an
// administrator can act on.
type FileError struct {
	Reason  string // one of the Reason constants
	Message string
}

func (e *FileError) Error() string { return e.Message }

func fileErrorf(reason, format string, args ...any) *FileError {
	return &FileError{Reason: reason, Message: fmt.Sprintf(format, args...)}
}

// Limits bound what a file may be; each is checked while streaming.
type Limits struct {
	MaxBytes     int64 // the whole file, as uploaded
	MaxRows      int   // data rows (blank rows do not count)
	MaxLineBytes int   // one row, including quoted line breaks
	MaxCellChars int   // one cell; a longer one is a row error
	// MaxUnzippedBytes bounds a workbook's parts once unzipped, all
	// together: a zip bomb is refused before anything is unzipped.
	MaxUnzippedBytes int64
}

// DefaultLimits are 50 MB, 500,000 data rows, 64 KiB a row, 1,000
// characters a cell and 256 MB of unzipped workbook.
func DefaultLimits() Limits {
	return Limits{MaxBytes: 50 << 20, MaxRows: 500_000, MaxLineBytes: 64 << 10, MaxCellChars: 1000, MaxUnzippedBytes: 256 << 20}
}

func (l Limits) withDefaults() Limits {
	d := DefaultLimits()
	if l.MaxBytes <= 0 {
		l.MaxBytes = d.MaxBytes
	}
	if l.MaxRows <= 0 {
		l.MaxRows = d.MaxRows
	}
	if l.MaxLineBytes <= 0 {
		l.MaxLineBytes = d.MaxLineBytes
	}
	if l.MaxCellChars <= 0 {
		l.MaxCellChars = d.MaxCellChars
	}
	if l.MaxUnzippedBytes <= 0 {
		l.MaxUnzippedBytes = d.MaxUnzippedBytes
	}
	return l
}

// humanBytes renders a size the way the messages quote limits.
func humanBytes(n int64) string {
	switch {
	case n >= 1<<20 && n%(1<<20) == 0:
		return fmt.Sprintf("%d MB", n>>20)
	case n >= 1<<10 && n%(1<<10) == 0:
		return fmt.Sprintf("%d KiB", n>>10)
	default:
		return fmt.Sprintf("%d bytes", n)
	}
}

// Thousands renders 500000 as 500,000, as messages show counts.
func Thousands(n int) string {
	s := fmt.Sprint(n)
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}
