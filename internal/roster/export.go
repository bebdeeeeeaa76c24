package roster

import (
	"strings"
	"time"
)

// Export is a background export of every user of a school as a CSV file
// that can be edited and imported again: the request stores it queued, a
// worker writes the file and marks it done with the rows it wrote.
type Export struct {
	SchoolID      string       `json:"schoolId"`
	ID            string       `json:"id"`
	Status        ExportStatus `json:"status"`
	RequestedBy   string       `json:"requestedBy"`
	CreatedAt     time.Time    `json:"createdAt"`
	UpdatedAt     time.Time    `json:"updatedAt"`
	Rows          int          `json:"rows"`                    // users written so far (all of them once done)
	FailureReason string       `json:"failureReason,omitempty"` // why it failed, safe to show

	FileName  string `json:"-"` // the name the download saves as
	ObjectKey string `json:"-"` // where the file is, once done
	Claim     string `json:"-"` // the stream record working on it
	Attempts  int    `json:"-"` // claims taken so far, redeliveries included
}

// ExportStatus is where an export is: queued (waiting for a worker),
// running, done (the file is ready) or failed.
type ExportStatus string

// Export statuses.
const (
	ExportQueued  ExportStatus = "queued"
	ExportRunning ExportStatus = "running"
	ExportDone    ExportStatus = "done"
	ExportFailed  ExportStatus = "failed"
)

// Waiting reports whether a worker still has the export to do.
func (s ExportStatus) Waiting() bool { return s == ExportQueued || s == ExportRunning }

// ExportKeptFor is how long an export's file can be downloaded after it is
// done. The bucket's lifecycle rule deletes exports after a day, which S3
// counts from the object's creation rounded up to the next midnight UTC, so
// the file is always there while a download link is offered.
const ExportKeptFor = 24 * time.Hour

// ExportStaleAfter is how long a queued or running export is taken to be
// under way: a new request within it answers that export instead of starting
// another. The worker's own timeout (15 minutes) is within it.
const ExportStaleAfter = 15 * time.Minute

// ExportFileName is the name a school's users export saves as:
// users-{school}-{yyyy-mm-dd}.csv, the school's name folded to lower-case
// ASCII words joined by hyphens (whole words, at most 60 characters), or
// its id when nothing is left.
func ExportFileName(schoolID, schoolName string, at time.Time) string {
	const maxName = 60
	words := strings.FieldsFunc(Fold(schoolName), func(r rune) bool {
		return !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9')
	})
	name := ""
	for _, w := range words {
		if name == "" {
			name = Clip(w, maxName)
			continue
		}
		if len(name)+1+len(w) > maxName {
			break
		}
		name += "-" + w
	}
	if name == "" {
		name = schoolID
	}
	return "users-" + name + "-" + at.UTC().Format(time.DateOnly) + ".csv"
}
