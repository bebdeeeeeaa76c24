package roster

import "time"

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
	SendInvitations bool          `json:"sendInvitations"`
	ConfirmedBy     string        `json:"confirmedBy,omitempty"`
	ConfirmedAt     *time.Time    `json:"confirmedAt,omitempty"`
	Progress        Progress      `json:"progress"`
	Results         ImportResults `json:"results"`
	CompletedAt     *time.Time    `json:"completedAt,omitempty"`

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

// ChunkOutcome is what confirming one chunk of rows did.
type ChunkOutcome struct {
	Chunk          int
	Rows           int
	Created        int
	Updated        int // relationships whose type changed
	Unchanged      int // relationships that were there already
	SkippedMember  int
	SkippedInvited int
	Failed         int
	Failures       map[int]string // row -> reason
	Groups         map[string]int // group id -> members created
}

// PreviewCounts are the counts of a previewed file.
type PreviewCounts struct {
	Total     int `json:"total"`
	Valid     int `json:"valid"`
	Invalid   int `json:"invalid"`
	Skipped   int `json:"skipped"`
	Updated   int `json:"updated"`
	Unchanged int `json:"unchanged"`
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
}
