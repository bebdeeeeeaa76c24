package roster

import (
	"strings"
	"time"
)

// Role is a user's administrative role in a school. The zero value is no role.
type Role string

// Roles. Owners have full control and cannot be removed; managers manage users,
// imports and settings.
const (
	RoleNone    Role = ""
	RoleOwner   Role = "owner"
	RoleManager Role = "manager"
)

// CanAdminister reports whether the role may use the administration API of a school.
func (r Role) CanAdminister() bool { return r == RoleOwner || r == RoleManager }

// UserStatus is the state of a person's membership of a school.
type UserStatus string

// User statuses.
const (
	StatusInvited UserStatus = "invited" // pending invitation
	StatusActive  UserStatus = "active"
	StatusRemoved UserStatus = "removed" // access revoked, record kept
)

// MailStatus tracks the delivery of an invitation email.
type MailStatus string

// Mail statuses.
const (
	MailHeld   MailStatus = "held" // not sent yet, by choice
	MailQueued MailStatus = "queued"
	// MailSending: the mailer claimed it and an SES call is in flight. Only
	// the sweeper, after MailClaimTimeout, puts it back in the queue.
	MailSending MailStatus = "sending"
	// MailDeferred: waiting for the mail service (quota, paused account,
	// outage) until MailDueAt; MailNote says why.
	MailDeferred MailStatus = "deferred"
	MailSent     MailStatus = "sent"
	MailFailed   MailStatus = "failed"
	MailBounced  MailStatus = "bounced"
)

// School is a tenant: everything else belongs to exactly one school.
type School struct {
	ID        string    `json:"id"`
	Name      string    `json:"name"`
	CreatedAt time.Time `json:"createdAt"`
}

// Group is a named set of users in a school. Names are unique without regard
// to case; the id stays when the group is renamed, so memberships (which hold
// ids) follow a rename. MemberCount counts invited and active members.
type Group struct {
	ID          string    `json:"id"`
	Name        string    `json:"name"`
	MemberCount int       `json:"memberCount"`
	CreatedAt   time.Time `json:"createdAt"`
}

// DefaultGroups are created with every school, with these ids; a blank group
// in a users CSV means Students.
var DefaultGroups = []Group{{ID: "students", Name: "Students"}, {ID: "staff", Name: "Staff"}, {ID: "parents", Name: "Parents"}}

// DefaultGroup is the group of a users CSV row that names none.
const DefaultGroup = "Students"

// GroupKey is the case-insensitive identity of a group name.
func GroupKey(name string) string { return strings.ToLower(strings.TrimSpace(name)) }

// MaxGroupName is the longest group name, in characters.
const MaxGroupName = 60

// Member is a person's membership of a school (a "user" in the product), with
// the invitation state it carries.
type Member struct {
	SchoolID        string
	Email           string
	FirstName       string
	LastName        string
	Role            Role
	Groups          []string // group ids
	UserID          string
	Status          UserStatus
	MailStatus      MailStatus
	InvitedAt       time.Time
	InvitedBy       string
	InvitedByImport string // the import that invited them, if one did
	UpdatedByImport string // the last import that updated them, if one did
	JoinedAt        *time.Time

	// The invitation's delivery.
	SendCount     int        // invitations queued for this person so far
	MailQueuedAt  *time.Time // when the last one was queued
	SealedToken   string     // the token sealed for the mailer, until it is sent
	MailMessageID string
	MailSentAt    *time.Time
	MailError     string     // why the last one failed
	MailNote      string     // why it waits (deferred, or held by the school's daily limit)
	MailDueAt     *time.Time // when a claimed or deferred mail is looked at again

	// Who changed the membership last, and its removal.
	UpdatedAt *time.Time
	UpdatedBy string
	RemovedAt *time.Time
	RemovedBy string

	Sub       string // the login bound when the invitation was accepted (or at an owner's first sign-in)
	TokenHash string // of the pending or accepted invitation; "" once it is dead
	Version   int    // increases with every change an administrator or the invitee makes
}

// CountedGroups are the groups whose member counts include m: a removed
// user counts in none.
func (m Member) CountedGroups() []string {
	if m.Status == StatusRemoved {
		return nil
	}
	return m.Groups
}

// ActiveOwner is a school's first owner, active from at and in Staff, as a
// school is created for someone who needs no invitation (the local stack's
// demo school, tests).
func ActiveOwner(email string, at time.Time) Member {
	return Member{Email: NormalizeEmail(email), Role: RoleOwner, Groups: []string{"staff"}, Status: StatusActive, InvitedAt: at, JoinedAt: &at}
}

// Administers reports whether the member may use the school's administration API.
func (m Member) Administers() bool { return m.Status == StatusActive && m.Role.CanAdminister() }

// NormalizeEmail returns the stored form of an email: trimmed and lower-cased.
func NormalizeEmail(s string) string { return strings.ToLower(strings.TrimSpace(s)) }

// Invitation is a person invited to a school, as confirm or an admin creates it.
type Invitation struct {
	SchoolID        string
	Email           string
	FirstName       string
	LastName        string
	Role            Role
	Groups          []string // group ids
	UserID          string   // the school's own id of the person, if any
	InvitedBy       string   // who confirmed the import or invited the person
	InvitedByImport string   // the import that created it, if any
	TokenHash       string   // hex SHA-256 of the token; the token is never stored
	SealedToken     string   // the token sealed for the mailer, dropped once sent
	MailStatus      MailStatus
	InvitedAt       time.Time
}

// Member is the membership the invitation creates: invited, its mail held or
// queued (queued is the first send).
func (inv Invitation) Member() Member {
	m := Member{
		SchoolID: inv.SchoolID, Email: inv.Email, FirstName: inv.FirstName, LastName: inv.LastName, Role: inv.Role,
		Groups: inv.Groups, UserID: inv.UserID, Status: StatusInvited, MailStatus: inv.MailStatus, InvitedAt: inv.InvitedAt,
		InvitedBy: inv.InvitedBy, InvitedByImport: inv.InvitedByImport, TokenHash: inv.TokenHash, SealedToken: inv.SealedToken,
		Version: 1,
	}
	if inv.MailStatus == MailQueued {
		at := inv.InvitedAt
		m.SendCount, m.MailQueuedAt = 1, &at
	}
	return m
}

// MemberState is what an import needs to know of an existing user.
type MemberState struct {
	Status          UserStatus
	InvitedByImport string
	UpdatedByImport string // the last import that updated them, if one did
	FirstName       string
	LastName        string
	Groups          []string // group ids
	UserID          string
}

// Public is the status clients see: claimed and deferred mail is still
// queued to them (MailNote says why it waits).
func (s MailStatus) Public() MailStatus {
	if s == MailSending || s == MailDeferred {
		return MailQueued
	}
	return s
}

// Waiting says whether the mail is on its way but not sent yet: what the
// sweeper re-drives when it is stuck.
func (s MailStatus) Waiting() bool {
	return s == MailQueued || s == MailSending || s == MailDeferred
}

// MailState is a user's invitation as the mailer reads it.
type MailState struct {
	SchoolID    string
	Email       string
	FirstName   string
	Status      UserStatus
	MailStatus  MailStatus
	SendCount   int
	SealedToken string
}

// SentMail is one invitation that SES accepted.
type SentMail struct {
	SchoolID  string
	Email     string
	SendCount int // the send it was: a later resend is not marked by it
	MessageID string
}

// SendJob sends a school's held invitations in the background, when an
// administrator asks to send them all: there may be more than one request
// can do.
type SendJob struct {
	SchoolID    string    `json:"schoolId"`
	ID          string    `json:"id"`
	Status      JobStatus `json:"status"`
	RequestedBy string    `json:"requestedBy"`
	CreatedAt   time.Time `json:"createdAt"`
	UpdatedAt   time.Time `json:"updatedAt"`
	Sent        int       `json:"sent"` // invitations queued for sending so far

	Claim  string `json:"-"` // the stream record working on it
	Cursor string `json:"-"` // the sort key of the last user done
}

// JobStatus is where a background job is: queued (for a fresh invocation),
// running, or done.
type JobStatus string

// Job statuses.
const (
	JobQueued  JobStatus = "queued"
	JobRunning JobStatus = "running"
	JobDone    JobStatus = "done"
)

// ValidID reports whether s is a valid school, import or job id: 1 to 64
// letters, digits, - and _ (ids are parts of object keys and routes).
func ValidID(s string) bool {
	if s == "" || len(s) > 64 {
		return false
	}
	for _, r := range s {
		if !(r == '-' || r == '_' || r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z') {
			return false
		}
	}
	return true
}

// MailRef names one queued invitation mail: the send it is for.
type MailRef struct {
	SchoolID  string
	Email     string
	SendCount int
}

// MailTurn is a school's turn at sending invitation mail. While a school
// has queued mail its turn is open, and each turn sends a share and opens
// the next one behind the other schools' work on the stream; a turn that
// finds nothing left looks once more, then closes.
type MailTurn struct {
	Turn  int       // counts the turns taken; 0 before the first
	Open  bool      // a next turn is on its way
	Empty int       // turns in a row that found no queued mail
	At    time.Time // when the last turn was opened
}
