// Package csvimport reads the spreadsheets schools upload and validates every
// row: pure Go, io.Reader in, row results and a summary out, no AWS.
//
// Reading: UTF-8 (with or without BOM), UTF-16 LE/BE (BOM), and text that is
// not valid UTF-8 as Windows-1252; comma, semicolon, tab or pipe delimiters
// detected from the header line; CRLF, LF or CR line endings; quoted fields
// with delimiters, quotes and line breaks. It streams: memory does not depend
// on the file's length except for the duplicate index (16 bytes a row).
//
// Row numbers are those an administrator sees in a spreadsheet: the header
// is row 1, and blank rows count (they are skipped, not reported).
//
// A file that cannot be read at all fails with a *FileError and one reason;
// rows already passed to the Sink before such a failure must be discarded.
package csvimport
