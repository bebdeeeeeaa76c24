package roster

import (
	"strconv"
	"time"
)

// ImportKind is what an import file holds.
type ImportKind string

// Import kinds.
const (
	KindUsers         ImportKind = "users"
	KindRelationships ImportKind = "relationships"
)

// ImportStatus is where an import is in its lifecycle:
// awaiting_upload → validating → ready | failed → queued → importing →
// completed | completed_with_errors | failed. Every change is conditional.
type ImportStatus string

// Import statuses.
const (
	ImportAwaitingUpload      ImportStatus = "awaiting_upload"
	ImportValidating          ImportStatus = "validating"
	ImportReady               ImportStatus = "ready"
	ImportQueued              ImportStatus = "queued"
	ImportImporting           ImportStatus = "importing"
	ImportCompleted           ImportStatus = "completed"
	ImportCompletedWithErrors ImportStatus = "completed_with_errors"
	ImportFailed              ImportStatus = "failed"
)

// Confirmed reports whether the import has been confirmed (whatever became of it since).
func (s ImportStatus) Confirmed() bool {
	switch s {
	case ImportQueued, ImportImporting, ImportCompleted, ImportCompletedWithErrors:
		return true
	}
	return false
}

// Import is one uploaded file and what became of it.
type Import struct {
	SchoolID     string       `json:"schoolId"`
	ID           string       `json:"id"`
	Kind         ImportKind   `json:"kind"`
	Status       ImportStatus `json:"status"`
	FileName     string       `json:"fileName"`
	DeclaredSize int64        `json:"declaredSize"`
	UploadedBy   string       `json:"uploadedBy"`
	CreatedAt    time.Time    `json:"createdAt"`
	UpdatedAt    time.Time    `json:"updatedAt"`

	// Preview.
	Counts        PreviewCounts  `json:"counts"`
	ErrorCounts   map[string]int `json:"errorCounts,omitempty"`
	SkipReasons   map[string]int `json:"skipReasons,omitempty"`
	Warnings      []string       `json:"warnings,omitempty"`
	Preview       []PreviewRow   `json:"preview,omitempty"`
	PreviewNote   string         `json:"previewNote,omitempty"`
	FailureReason string         `json:"failureReason,omitempty"`
	ValidatedAt   *time.Time     `json:"validatedAt,omitempty"`

	// Confirmation and import.
	SendInvitations bool `json:"sendInvitations"`
	// UpdateExisting: users rows of people already in the school update
	// their names, groups and id (never re-inviting them) instead of being
	// skipped.
	UpdateExisting bool          `json:"updateExisting"`
	ConfirmedBy    string        `json:"confirmedBy,omitempty"`
	ConfirmedAt    *time.Time    `json:"confirmedAt,omitempty"`
	Progress       Progress      `json:"progress"`
	Results        ImportResults `json:"results"`
	CompletedAt    *time.Time    `json:"completedAt,omitempty"`

	// Bookkeeping of the functions, not shown to clients.
	Claim      string              `json:"-"` // who holds the current step (validation or import)
	ChunksDone []string            `json:"-"` // chunks whose outcome is counted
	Failures   map[int]string      `json:"-"` // row -> why it failed (the first 100)
	Artifacts  map[Artifact]string `json:"-"` // artifact -> object key
}

// Artifact names one of the files an import keeps in object storage.
type Artifact string

// Artifacts of an import.
const (
	ArtifactUploaded Artifact = "uploaded" // the file as the administrator sent it
	ArtifactRows     Artifact = "rows"     // every row as the preview judged it, one JSON line each (PreviewRow)
	ArtifactErrors   Artifact = "errors"   // the original columns plus an error column, to fix and upload again
	ArtifactResults  Artifact = "results"  // every row's outcome after the import
)

// Downloadable reports whether administrators may download the artifact
// (the rows file is the functions' own).
func (a Artifact) Downloadable() bool {
	return a == ArtifactUploaded || a == ArtifactErrors || a == ArtifactResults
}

// RowStatus is what will become of one row of a file, as the preview judged it.
type RowStatus string

// Row statuses.
const (
	RowValid     RowStatus = "valid"     // will be created
	RowInvalid   RowStatus = "invalid"   // has an error; will not be imported
	RowSkipped   RowStatus = "skipped"   // users: already a member or already invited
	RowUpdated   RowStatus = "updated"   // relationships: the pair exists with another type
	RowUnchanged RowStatus = "unchanged" // relationships: the pair exists with this type
)

// Users rows of people already in the school are skipped unless the import
// updates existing users. For such a row the preview also says what an
// update would do: UpdateOutcome.
const (
	UpdateChanges   = "update"    // their names, groups or id would change
	UpdateUnchanged = "unchanged" // the file says what the school has
	UpdateRemoved   = "removed"   // removed from the school: an update never brings them back
)

// ConfirmOptions are the administrator's choices when confirming an import.
type ConfirmOptions struct {
	SendInvitations bool // queue the invitation emails now (else hold them)
	UpdateExisting  bool // users: update people already in the school instead of skipping them
}

// ToImport is how many lines of the rows file confirming imports with
// these options: the progress's total. Users: the new people, the links
// that can be made,
// and with updates the people already in the school (a removed person is
// counted once, as new or as left removed).
func (c PreviewCounts) ToImport(kind ImportKind, opts ConfirmOptions) int {
	if kind == KindRelationships {
		return c.Valid + c.Updated + c.Unchanged
	}
	n := c.Valid + c.Links
	if opts.UpdateExisting {
		n += c.UpdateChanges + c.UpdateUnchanged
	}
	return n
}

// PreviewResult is what validation records on an import.
type PreviewResult struct {
	Counts      PreviewCounts
	ErrorCounts map[string]int
	SkipReasons map[string]int
	Warnings    []string
	Preview     []PreviewRow
	PreviewNote string
	ToImport    int                 // the rows confirm will import: the progress's total
	Artifacts   map[Artifact]string // added to the import's artifacts
}

// ChunkKey names chunk k of an import's rows, or of its parent links.
func ChunkKey(k int, links bool) string {
	if links {
		return "L" + strconv.Itoa(k)
	}
	return strconv.Itoa(k)
}

// ChunkOutcome is what confirming one chunk of rows did.
type ChunkOutcome struct {
	Chunk          int
	LinkPass       bool // the chunk is of a users import's parent links
	Rows           int
	Created        int
	Updated        int // relationships whose type changed
	Unchanged      int // relationships that were there already
	SkippedMember  int
	SkippedInvited int
	Failed         int
	Failures       map[int]string // row -> reason
	Groups         map[string]int // group id -> members created
	SkippedRemoved int            // users: removed people an update left removed
	Links          LinkCounts     // users: parents linked to the students on their rows
}

// LinkCounts count the student-parent links a users file asks for.
type LinkCounts struct {
	Created   int `json:"created"`
	Updated   int `json:"updated"`   // the pair was there with another type
	Unchanged int `json:"unchanged"` // the pair was there with this type
	Failed    int `json:"failed"`    // could not be made (the parent is not in the school, ...)
}

// PreviewCounts are the counts of a previewed file.
type PreviewCounts struct {
	Total     int `json:"total"`
	Valid     int `json:"valid"`
	Invalid   int `json:"invalid"`
	Skipped   int `json:"skipped"`
	Updated   int `json:"updated"`
	Unchanged int `json:"unchanged"`
	// Users: of the rows of people already in the school, how many an
	// import that updates existing users would change, leave unchanged, and
	// leave out because the person was removed.
	UpdateChanges   int `json:"updateChanges"`
	UpdateUnchanged int `json:"updateUnchanged"`
	UpdateRemoved   int `json:"updateRemoved"`
	// Users: the parent links the file's parent columns ask for, that can be
	// made and that cannot.
	Links      int `json:"links"`
	LinkErrors int `json:"linkErrors"`
}

// FieldChange is one value an update would change: the user's field as it
// is, and as the file has it.
type FieldChange struct {
	Field  string `json:"field"` // first_name, last_name, group, user_id
	Before string `json:"before"`
	After  string `json:"after"`
}

// PreviewRow is one row as the preview table shows it.
type PreviewRow struct {
	Row       int       `json:"row"`
	Status    RowStatus `json:"status"`
	Error     string    `json:"error,omitempty"`
	Reason    string    `json:"reason,omitempty"`
	Email     string    `json:"email,omitempty"`
	FirstName string    `json:"firstName,omitempty"`
	LastName  string    `json:"lastName,omitempty"`
	Group     string    `json:"group,omitempty"`
	UserID    string    `json:"userId,omitempty"`
	// Users: GroupDefaulted is set when the group cell was blank (Students
	// for someone new; an update leaves the groups as they are).
	GroupDefaulted bool `json:"groupDefaulted,omitempty"`
	// Users: MarkedRemoved is set when the file's status column says the
	// person is removed (an export of the school): they are never invited.
	MarkedRemoved bool `json:"markedRemoved,omitempty"`
	// Users, for a person already in the school: their status there, what an
	// update would do (UpdateChanges, UpdateUnchanged, UpdateRemoved), and
	// the values it would change.
	Existing      UserStatus    `json:"existing,omitempty"`
	UpdateOutcome string        `json:"updateOutcome,omitempty"`
	Changes       []FieldChange `json:"changes,omitempty"`
	// Users: the parents named on the row, with what will become of each link.
	Parents []ParentLink `json:"parents,omitempty"`
	// Relationships: each party's email (found from the id when an id was
	// given) and id as the file gave it.
	StudentEmail     string `json:"studentEmail,omitempty"`
	StudentID        string `json:"studentId,omitempty"`
	ParentEmail      string `json:"parentEmail,omitempty"`
	ParentID         string `json:"parentId,omitempty"`
	RelationshipType string `json:"relationshipType,omitempty"`
}

// Progress is how far an import has got: rows done of rows to import.
type Progress struct {
	Done  int `json:"done"`
	Total int `json:"total"`
}

// ImportResults are the counts of a confirmed import.
type ImportResults struct {
	Created        int `json:"created"`
	Updated        int `json:"updated"`
	Unchanged      int `json:"unchanged"`
	SkippedMember  int `json:"skippedMember"`
	SkippedInvited int `json:"skippedInvited"`
	Failed         int `json:"failed"`
	// Users imports that update existing users: removed people left removed.
	SkippedRemoved int `json:"skippedRemoved"`
	// Users: the links made to the parents named on student rows.
	Links LinkCounts `json:"links"`
}

// ParentLink is a parent a users row names, as the preview judged the link.
type ParentLink struct {
	Email string `json:"email"`
	Type  string `json:"type"`
	Error string `json:"error,omitempty"` // why the link cannot be made
}
