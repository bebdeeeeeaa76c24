package csvimport

import (
	"encoding/csv"
	"io"

	"github.com/schoolroster/rosterimport/internal/roster"
)

// ExportHeader is the header of a users export: the columns the users
// import reads, then each user's status, which the import ignores.
var ExportHeader = []string{fieldEmail, fieldFirstName, fieldLastName, fieldGroup, fieldUserID, fieldStatus}

// ExportRow is one user of a users export. Groups are the user's group
// names; the row sorts them.
type ExportRow struct {
	Email     string
	FirstName string
	LastName  string
	Groups    []string
	UserID    string
	Status    roster.UserStatus
}

// UsersExport writes a users export as rows come: UTF-8 with a byte order
// mark and CRLF line endings, so Excel opens it as it is, quoted as CSV
// needs, and with every cell a spreadsheet would run as a formula
// neutralised (SafeCell); the import drops the neutralising apostrophe
// again, so a file exported and imported reads the same values.
type UsersExport struct {
	w      *csv.Writer
	out    io.Writer
	record []string
	Rows   int // users written
}

// NewUsersExport returns a UsersExport writing to w.
func NewUsersExport(w io.Writer) *UsersExport {
	cw := csv.NewWriter(w)
	cw.UseCRLF = true
	return &UsersExport{w: cw, out: w, record: make([]string, len(ExportHeader))}
}

// Start writes the byte order mark and the header.
// Errors: the writer's.
func (e *UsersExport) Start() error {
	if _, err := io.WriteString(e.out, "\uFEFF"); err != nil {
		return err
	}
	return e.w.Write(ExportHeader)
}

// Row writes one user: groups sorted by name (without regard to case) and
// joined by "; " in one cell, as the import reads them (joinGroups).
// Errors: the writer's.
func (e *UsersExport) Row(r ExportRow) error {
	e.record[0] = SafeCell(r.Email)
	e.record[1] = SafeCell(r.FirstName)
	e.record[2] = SafeCell(r.LastName)
	e.record[3] = SafeCell(joinGroups(r.Groups))
	e.record[4] = SafeCell(r.UserID)
	e.record[5] = SafeCell(string(r.Status))
	e.Rows++
	return e.w.Write(e.record)
}

// Close flushes what is buffered; it does not close the underlying writer.
// Errors: the writer's.
func (e *UsersExport) Close() error {
	e.w.Flush()
	return e.w.Error()
}
