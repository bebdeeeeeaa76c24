package roster

import "time"

// Relationship links a student to a parent (both users of the school, by
// email) with a type. There is at most one per pair.
type Relationship struct {
	SchoolID  string
	Student   string
	Parent    string
	Type      string
	CreatedAt time.Time
	UpdatedAt time.Time

	// The import that last wrote it and what that import did, so a retried
	// import counts the pair as it did the first time.
	LastImport  string
	LastOutcome LinkOutcome
}

// LinkOutcome is what importing a pair did.
type LinkOutcome string

// Outcomes of importing a pair.
const (
	LinkCreated   LinkOutcome = "created"
	LinkUpdated   LinkOutcome = "updated"   // the pair was there with another type
	LinkUnchanged LinkOutcome = "unchanged" // the pair was there with this type
)

// Pair names a student-parent link by emails.
type Pair struct {
	Student, Parent string
}
