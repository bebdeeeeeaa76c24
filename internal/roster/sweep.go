package roster

import "time"

// The bounds the sweeper holds waiting work to (docs/architecture.md,
// "Nothing stuck"). Each is longer than any healthy wait, so the sweeper
// re-drives only work whose event was lost or whose worker died.
const (
	// MailRedriveAfter: an invitation queued this long without a send
	// lost its stream record (dead-lettered, or its worker crashed).
	MailRedriveAfter = time.Hour
	// MailClaimTimeout: a claim older than this outlived the mailer
	// invocation that made it (its timeout is 60 s).
	MailClaimTimeout = 15 * time.Minute
	// ValidateTimeout: a preview still validating this long will not
	// finish (the function's timeout is 5 minutes, with two async retries).
	ValidateTimeout = 30 * time.Minute
	// ImportStallAfter: an import queued or importing without a chunk
	// done for this long has stopped (a run hands off before its 15-minute
	// timeout, and each chunk moves the bound on).
	ImportStallAfter = 30 * time.Minute
	// MaxRedrives is how often the sweeper re-drives one mail or import
	// before it fails it with a reason.
	MaxRedrives = 3
)

// DueItem is one piece of work the sweeper found past its bound.
type DueItem struct {
	SchoolID string
	Email    string // a user's invitation mail, or
	ImportID string // an import
	// Status is the mail status of an invitation or the status of an import.
	Status    string
	SendCount int
	Redrives  int       // times the sweeper has re-driven it already
	Due       time.Time // the bound it passed, as stored (conditions use it)
}
