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
	MailHeld    MailStatus = "held" // not sent yet, by choice
	MailQueued  MailStatus = "queued"
	MailSent    MailStatus = "sent"
	MailFailed  MailStatus = "failed"
	MailBounced MailStatus = "bounced"
)

// School is a tenant: everything else belongs to exactly one school.
type School struct {
	ID        string    `json:"id"`
	Name      string    `json:"name"`
	CreatedAt time.Time `json:"createdAt"`
}

// Group is a named set of users in a school. Names are unique without regard to case.
type Group struct {
	Name        string    `json:"name"`
	MemberCount int       `json:"memberCount"`
	CreatedAt   time.Time `json:"createdAt"`
}

// DefaultGroups are created with every school; a blank group in a users CSV means Students.
var DefaultGroups = []string{"Students", "Staff", "Parents"}

// DefaultGroup is the group of a users CSV row that names none.
const DefaultGroup = "Students"

// GroupKey is the case-insensitive identity of a group name.
func GroupKey(name string) string { return strings.ToLower(strings.TrimSpace(name)) }

// Member is a person's membership of a school (a "user" in the product), with
// the invitation state it carries.
type Member struct {
	SchoolID   string     `json:"schoolId"`
	Email      string     `json:"email"`
	FirstName  string     `json:"firstName"`
	LastName   string     `json:"lastName"`
	Role       Role       `json:"role"`
	Groups     []string   `json:"groups"`
	Status     UserStatus `json:"status"`
	MailStatus MailStatus `json:"mailStatus,omitempty"`
	InvitedAt  time.Time  `json:"invitedAt"`
	JoinedAt   *time.Time `json:"joinedAt,omitempty"`
}

// NormalizeEmail returns the stored form of an email: trimmed and lower-cased.
func NormalizeEmail(s string) string { return strings.ToLower(strings.TrimSpace(s)) }

// Invitation is a person invited to a school, as confirm or an admin creates it.
type Invitation struct {
	SchoolID        string
	Email           string
	FirstName       string
	LastName        string
	Group           string
	InvitedBy       string // who confirmed the import or invited the person
	InvitedByImport string // the import that created it, if any
	TokenHash       string // hex SHA-256 of the token; the token is never stored
	SealedToken     string // the token sealed for the mailer, dropped once sent
	MailStatus      MailStatus
	InvitedAt       time.Time
}

// MemberState is what an import needs to know of an existing user.
type MemberState struct {
	Status          UserStatus
	InvitedByImport string
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
