// Package csvimport reads the spreadsheets schools upload and validates every
// row: pure Go, io.Reader in, row results and a summary out, no AWS.
//
// Reading CSV: UTF-8 (with or without BOM), UTF-16 LE/BE (BOM), and text
// that is not valid UTF-8 as Windows-1252; comma, semicolon, tab or pipe
// delimiters detected from the header line; CRLF, LF or CR line endings;
// quoted fields with delimiters, quotes and line breaks. It streams: memory
// does not depend on the file's length except for the duplicate index (16
// bytes a row).
//
// Reading an Excel workbook (.xlsx, sheet.go): with excelize's streaming row
// reader, the sheet named for the import kind ("Users", "Relationships",
// ignoring case and spaces), else the first visible sheet; cells as the
// spreadsheet shows them (number and date formats applied, formulas' cached
// values, never evaluated); title rows above the header skipped. A zip must
// be read whole: while it is opened, memory holds the upload (at most
// Limits.MaxBytes) a few times over (as read, excelize's copy, the growth of
// both); then only the workbook's unzipped parts, of which a sheet or
// shared-strings table over 4 MB is streamed from a temporary file instead
// (its shared strings cost an offset pair each in memory). The other parts
// (styles, pictures...) are unzipped into memory: Limits.MaxUnzippedBytes
// bounds all the parts together, checked before anything is unzipped.
// Legacy .xls files, other zipped documents (.docx, .ods...) and damaged
// workbooks are refused with a message saying what to save as.
//
// Row numbers are those an administrator sees in a spreadsheet: the header
// is row 1 (or the sheet's row), and blank rows count (they are skipped, not
// reported).
//
// A file that cannot be read at all fails with a *FileError and one reason;
// rows already passed to the Sink before such a failure must be discarded.
package csvimport
