// Package app holds the use cases of the service, written against small
// interfaces declared where they are used; the adapters in internal/dynamo,
// internal/blobs and internal/mail implement them.
package app

import (
	"context"

	"github.com/schoolroster/rosterimport/internal/roster"
)

// Caller is the authenticated person making a request: the JWT's email claim.
type Caller struct {
	Email string
}

// MemberGetter finds a person's membership of a school.
type MemberGetter interface {
	// GetMember returns ENOTFOUND when the person is not a member.
	GetMember(ctx context.Context, schoolID, email string) (roster.Member, error)
}

// authorizeAdmin checks that the caller is an active owner or manager of the
// school. Every /schools/{id} use case calls it before anything else.
// Errors: EUNAUTHORIZED without a caller email; EFORBIDDEN when the caller is
// not an administrator of that school (including when the school does not
// exist, so ids cannot be probed); EINTERNAL on a store fault.
func authorizeAdmin(ctx context.Context, members MemberGetter, caller Caller, schoolID string) (roster.Member, error) {
	email := roster.NormalizeEmail(caller.Email)
	if email == "" {
		return roster.Member{}, roster.Errorf(roster.EUNAUTHORIZED, "Sign in to continue.")
	}
	m, err := members.GetMember(ctx, schoolID, email)
	switch {
	case roster.ErrorCode(err) == roster.ENOTFOUND:
		return roster.Member{}, errForbidden
	case err != nil:
		return roster.Member{}, err
	case m.Status != roster.StatusActive || !m.Role.CanAdminister():
		return roster.Member{}, errForbidden
	}
	return m, nil
}

var errForbidden = roster.Errorf(roster.EFORBIDDEN, "You must be an owner or manager of this school.")
