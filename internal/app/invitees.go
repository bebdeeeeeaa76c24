package app

import (
	"context"
	"strings"
	"time"

	"github.com/schoolroster/rosterimport/internal/roster"
)

// InviteeStore is what invited people's own requests need from storage.
type InviteeStore interface {
	MemberGetter
	GetSchool(ctx context.Context, schoolID string) (roster.School, error)
	// TokenHolder finds who holds a live invitation token, by its hash;
	// ENOTFOUND when nobody does.
	TokenHolder(ctx context.Context, hash string) (schoolID, email string, err error)
	// MemberSchools lists every membership of an email, in any school.
	MemberSchools(ctx context.Context, email string) ([]roster.Member, error)
	SaveMember(ctx context.Context, c MemberChange) (roster.Member, error)
}

// Invitees serves the requests of signed-in people about themselves:
// accepting an invitation, and the schools they belong to.
type Invitees struct {
	Store InviteeStore
	Now   func() time.Time
}

// Membership is one school the caller belongs to.
type Membership struct {
	SchoolID   string            `json:"schoolId"`
	SchoolName string            `json:"schoolName"`
	Role       roster.Role       `json:"role"`
	Status     roster.UserStatus `json:"status"`
}

// Me is the signed-in person and their schools.
type Me struct {
	Email   string       `json:"email"`
	Schools []Membership `json:"schools"`
}

// Me returns the schools where the caller is invited or active, with their
// role, for a school picker.
// Errors: EUNAUTHORIZED without a verified email; EINTERNAL.
func (iv *Invitees) Me(ctx context.Context, caller Caller) (Me, error) {
	email, err := caller.email()
	if err != nil {
		return Me{}, err
	}
	members, err := iv.Store.MemberSchools(ctx, email)
	if err != nil {
		return Me{}, err
	}
	me := Me{Email: email, Schools: []Membership{}}
	for _, m := range members {
		if m.Status == roster.StatusRemoved {
			continue
		}
		school, err := iv.Store.GetSchool(ctx, m.SchoolID)
		if roster.ErrorCode(err) == roster.ENOTFOUND {
			continue
		}
		if err != nil {
			return Me{}, err
		}
		me.Schools = append(me.Schools, Membership{SchoolID: m.SchoolID, SchoolName: school.Name, Role: m.Role, Status: m.Status})
	}
	return me, nil
}

// Accepted is the membership an accepted invitation made active.
type Accepted struct {
	Membership
	Email    string     `json:"email"`
	JoinedAt *time.Time `json:"joinedAt"`
}

var (
	errDeadToken    = roster.Errorf(roster.ENOTFOUND, "This invitation is not valid any more: it may have been cancelled or sent again. Ask the school for a new one.")
	errOtherAddress = roster.Errorf(roster.EFORBIDDEN, "This invitation was sent to another email address. Sign in with the address it was sent to.")
)

// Accept makes the caller an active member of the school whose invitation
// token they hold, and binds their login to the membership. The caller's
// verified email must be the one invited. Accepting again is a harmless
// success for the same person.
// Errors: EUNAUTHORIZED without a verified email; EINVALID without a token;
// ENOTFOUND for an unknown, cancelled or replaced token; EFORBIDDEN for
// another email (the invited address is not revealed) or another login;
// EINTERNAL.
func (iv *Invitees) Accept(ctx context.Context, caller Caller, token string) (Accepted, error) {
	email, err := caller.email()
	if err != nil {
		return Accepted{}, err
	}
	token = strings.TrimSpace(token)
	if token == "" {
		return Accepted{}, roster.Errorf(roster.EINVALID, "token is required: the token from the invitation's link.")
	}
	hash := roster.HashToken(token)
	schoolID, invited, err := iv.Store.TokenHolder(ctx, hash)
	if roster.ErrorCode(err) == roster.ENOTFOUND {
		return Accepted{}, errDeadToken
	}
	if err != nil {
		return Accepted{}, err
	}
	for attempt := 0; attempt < 3; attempt++ {
		m, err := iv.Store.GetMember(ctx, schoolID, invited)
		if roster.ErrorCode(err) == roster.ENOTFOUND {
			return Accepted{}, errDeadToken
		}
		if err != nil {
			return Accepted{}, err
		}
		switch {
		case m.TokenHash != hash || m.Status == roster.StatusRemoved:
			return Accepted{}, errDeadToken // the index is behind a resend or cancel
		case m.Email != email:
			return Accepted{}, errOtherAddress
		case m.Status == roster.StatusActive && m.Sub != "" && caller.Sub != "" && m.Sub != caller.Sub:
			return Accepted{}, errOtherLogin
		case m.Status == roster.StatusActive:
			return iv.accepted(ctx, m)
		}
		now := iv.Now().UTC()
		after := m
		after.Status, after.JoinedAt, after.Sub, after.SealedToken = roster.StatusActive, &now, caller.Sub, ""
		after.UpdatedAt, after.UpdatedBy = &now, email
		saved, err := iv.Store.SaveMember(ctx, MemberChange{Before: &m, After: after})
		if roster.ErrorCode(err) == roster.ECONFLICT {
			continue
		}
		if err != nil {
			return Accepted{}, err
		}
		return iv.accepted(ctx, saved)
	}
	return Accepted{}, errKeptChanging
}

func (iv *Invitees) accepted(ctx context.Context, m roster.Member) (Accepted, error) {
	school, err := iv.Store.GetSchool(ctx, m.SchoolID)
	if err != nil {
		return Accepted{}, err
	}
	return Accepted{Membership: Membership{SchoolID: m.SchoolID, SchoolName: school.Name, Role: m.Role, Status: m.Status},
		Email: m.Email, JoinedAt: m.JoinedAt}, nil
}
