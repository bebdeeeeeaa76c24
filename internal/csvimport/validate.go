package csvimport

import (
	"context"
	"fmt"
	"io"

	"github.com/schoolroster/rosterimport/internal/roster"
)

// Status is what will become of a row: the domain's row status.
type Status = roster.RowStatus

// Row statuses.
const (
	StatusValid     = roster.RowValid
	StatusInvalid   = roster.RowInvalid
	StatusSkipped   = roster.RowSkipped
	StatusUpdated   = roster.RowUpdated
	StatusUnchanged = roster.RowUnchanged
)

// RowResult is the outcome of one row, with its normalised values.
type RowResult struct {
	// The row as the preview judged it: its number, status, error or
	// reason, and normalised values (for relationships, each party's email,
	// given or found from the id given).
	roster.PreviewRow
	// Cells are the row as it was in the file, for the error file.
	Cells []string `json:"-"`

	errorKey string // Error without its row number, for counting
	dupKey   string // what must be unique in the file, once the earlier checks pass
}

// Pair is a student-parent link, by normalised emails: the domain's pair.
type Pair = roster.Pair

// Directory answers what the school already holds. The preview Lambda backs
// it with batched DynamoDB reads; calls carry at most Options.BatchSize keys.
type Directory interface {
	// Members returns the state of each email that is a user of the school,
	// with their groups by name; emails of no user are absent from the map.
	Members(ctx context.Context, emails []string) (map[string]roster.MemberState, error)
	// Relationships returns the type of each pair that is already linked.
	Relationships(ctx context.Context, pairs []Pair) (map[Pair]string, error)
	// UserIDs returns the email of the user who carries each id; ids no user
	// carries are absent from the map.
	UserIDs(ctx context.Context, ids []string) (map[string]string, error)
}

// Sink receives the header and then every row result, in file order. A
// *RowResult is only valid during the call: a sink that keeps it copies it.
type Sink interface {
	Start(header []string) error
	Row(r *RowResult) error
}

// Options configure a validation.
type Options struct {
	Kind      Kind
	Groups    []string  // users: the school's group names
	Directory Directory // nil: the school has nobody yet
	Limits    Limits
	BatchSize int // keys per Directory call; default 100 (DynamoDB's BatchGetItem)
	// LookupConcurrency is how many Directory calls may run at once
	// (default 8): rows are looked up LookupConcurrency batches at a time.
	LookupConcurrency int
	// SizeHint is the file's size in bytes when known (the S3 object's), so
	// the duplicate index starts at about the right size.
	SizeHint int64
}

// Summary is what the preview shows about a whole file.
type Summary struct {
	Kind      Kind              `json:"kind"`
	Encoding  string            `json:"encoding"`
	Delimiter string            `json:"delimiter"`
	Header    []string          `json:"header"`
	Columns   map[string]string `json:"columns"` // field -> header cell it was read from
	roster.PreviewCounts
	// SkipReasons counts skipped rows by reason.
	SkipReasons map[string]int `json:"skipReasons"`
	// ErrorCounts counts invalid rows by message (row numbers left out).
	ErrorCounts map[string]int `json:"errorCounts"`
	Warnings    []string       `json:"warnings"`
	// Preview is at most PreviewRows rows: invalid rows first, then the
	// others, each in file order.
	Preview     []RowResult `json:"preview"`
	PreviewNote string      `json:"previewNote,omitempty"`
}

// bytesPerRowGuess turns a file size into a row estimate: users rows are
// about 45-80 bytes, so the duplicate index is sized about right or grows
// once.
const bytesPerRowGuess = 48

// PreviewRows is how many rows the preview shows at most.
const PreviewRows = 50

// The seven relationship types; the first is the default.
var RelationshipTypes = []string{"guardian", "mother", "father", "step_parent", "grandparent", "carer", "other"}

// Relationships messages, in the words of docs/product.md.
const (
	msgStudentRequired  = "Student email: email is required"
	msgParentRequired   = "Parent email: email is required"
	msgStudentNotFound  = "Student not found in organisation"
	msgParentNotFound   = "Parent not found in organisation"
	msgSamePerson       = "Student and parent cannot be the same person"
	msgInvalidRelType   = "Invalid relationship type"
	msgStudentMissing   = "Student: email or id is required"
	msgParentMissing    = "Parent: email or id is required"
	msgStudentMismatch  = "Student email and student id are different people"
	msgParentMismatch   = "Parent email and parent id are different people"
	keyDuplicateUserID  = "Duplicate user id"
	keyUserIDTaken      = "User id already in use"
	keyUserIDTooLong    = "User id too long"
	maxUserID           = 100
	keyDuplicateEmail   = "Duplicate email"
	keyDuplicatePair    = "Duplicate of an earlier row"
	keyExtraCells       = "More values than columns"
	keyCellTooLong      = "Cell too long"
	defaultRelationType = "guardian"
)

// Validate reads an upload and validates every row, sending each result to
// sink in file order, and returns the summary.
//
// Users rows are checked in this order, and get the first error that
// applies: more non-empty cells than the header has columns; a cell over the
// length limit; "Email is required"; "Email contains spaces"; "Invalid email
// format"; "Duplicate email (same as row N)"; "Unknown group: X"; "User id is
// longer than 100 characters"; "Duplicate user id (same as row N)"; "User id
// X already belongs to Y". An empty email is taken from a username column
// that holds a valid address (the preview says how many). The group cell
// may name several groups, separated by ";". A row that passes is "skipped"
// when the person is already a member or already invited, or when the
// file's status column says "removed"; else "valid" (a removed person is
// invited again). A skipped row of someone in the school also says what an
// import that updates existing users would do (UpdateOutcome, Changes).
// Parent columns on a users row name parents to link the row's person to;
// each link is decided once the whole file is read (LinkSink).
//
// Relationships rows: each party by email or id. More cells than columns; a
// cell too long; "Student email: email is required" (or, when the file has
// an id column, "Student: email or id is required"); the same for the
// parent; "Student and parent cannot be the same person"; "Invalid
// relationship type" (words other systems use are mapped, and the preview
// says so); "Duplicate of row N"; "Student email and student id are
// different people" (likewise the parent); "Student not found in
// organisation"; "Parent not found in organisation". A row that passes is
// "updated" when the pair exists with another type, "unchanged" when with
// the same type, else "valid".
//
// Errors: a *FileError when the file cannot be read at all (then the rows
// already sent to sink must be discarded); errors of the Directory or the
// Sink as they come; ctx's error if it ends.
func Validate(ctx context.Context, r io.Reader, opts Options, sink Sink) (*Summary, error) {
	if opts.Kind != KindUsers && opts.Kind != KindRelationships {
		return nil, fmt.Errorf("csvimport: unknown kind %q", opts.Kind)
	}
	if opts.BatchSize <= 0 {
		opts.BatchSize = 100
	}
	if opts.LookupConcurrency <= 0 {
		opts.LookupConcurrency = 8
	}
	opts.Limits = opts.Limits.withDefaults()
	rd, err := NewReaderFor(r, opts.Kind, opts.Limits)
	if err != nil {
		return nil, err
	}
	defer rd.Close() // a workbook's temporary files go even when the file is refused part way
	cols, err := mapHeader(opts.Kind, rd.Header)
	if err != nil {
		return nil, err
	}
	v := newValidator(opts, rd, cols)
	if err := sink.Start(rd.Header); err != nil {
		return nil, err
	}
	for {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		rec, err := rd.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, err
		}
		v.check(rec)
		// Enough to look up LookupConcurrency batches at once.
		if batch := opts.BatchSize * opts.LookupConcurrency; v.lookups >= batch || len(v.pending) >= 4*batch {
			if err := v.flush(ctx, sink); err != nil {
				return nil, err
			}
		}
	}
	if err := v.flush(ctx, sink); err != nil {
		return nil, err
	}
	v.settleLaterLinks()
	if err := v.sendLinks(sink); err != nil {
		return nil, err
	}
	if v.sum.Total == 0 {
		return nil, fileErrorf(ReasonNoRows, "The file has a header row but no data rows.")
	}
	v.finish()
	return &v.sum, nil
}
