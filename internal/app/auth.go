// Package app holds the use cases of the service, written against small
// interfaces declared where they are used; the adapters in internal/dynamo,
// internal/blobs and internal/mail implement them.
package app

import (
	"context"

	"github.com/schoolroster/rosterimport/internal/roster"
)

// Caller is the signed-in person making a request, from the claims of the
// JWT the HTTP API's authorizer verified.
type Caller struct {
	Email         string // the email claim
	EmailVerified bool   // the email_verified claim: an unverified address is never trusted
	Sub           string // the login, bound to a membership when its invitation is accepted
}

// email is the caller's verified, normalised address.
// Errors: EUNAUTHORIZED without an email, or with one not verified.
func (c Caller) email() (string, error) {
	email := roster.NormalizeEmail(c.Email)
	if email == "" {
		return "", roster.Errorf(roster.EUNAUTHORIZED, "Sign in to continue.")
	}
	if !c.EmailVerified {
		return "", roster.Errorf(roster.EUNAUTHORIZED, "Your email address must be verified before you can use this service. Verify it with your sign-in provider, then sign in again.")
	}
	if c.Sub == "" {
		// Logins are bound by sub: a token without one cannot be checked.
		return "", roster.Errorf(roster.EUNAUTHORIZED, "The sign-in token has no subject (sub). Sign in again.")
	}
	return email, nil
}

// MemberGetter finds a person's membership of a school.
type MemberGetter interface {
	// GetMember returns ENOTFOUND when the person is not a member. It reads
	// consistently, so a role just taken away is gone.
	GetMember(ctx context.Context, schoolID, email string) (roster.Member, error)
	// BindSub records the login of a member who has none; ECONFLICT if one is bound.
	BindSub(ctx context.Context, schoolID, email, sub string) error
}

// authorizeAdmin checks that the caller is an active owner or manager of the
// school, signed in with the login bound to that membership. Every
// /schools/{id} use case calls it before anything else. A membership with no
// login yet (an owner an operator created) is bound to this one.
// Errors: EUNAUTHORIZED without a verified caller email; EFORBIDDEN when the
// caller is not an administrator of that school (including when the school
// does not exist, so ids cannot be probed) or signs in with another login;
// EINTERNAL on a store fault.
func authorizeAdmin(ctx context.Context, members MemberGetter, caller Caller, schoolID string) (roster.Member, error) {
	email, err := caller.email()
	if err != nil {
		return roster.Member{}, err
	}
	m, err := members.GetMember(ctx, schoolID, email)
	switch {
	case roster.ErrorCode(err) == roster.ENOTFOUND:
		return roster.Member{}, errForbidden
	case err != nil:
		return roster.Member{}, err
	case !m.Administers():
		return roster.Member{}, errForbidden
	}
	if err := checkLogin(ctx, members, &m, caller.Sub); err != nil {
		return roster.Member{}, err
	}
	return m, nil
}

// checkLogin refuses a login other than the one bound to m, and binds one
// to a membership that has none.
func checkLogin(ctx context.Context, members MemberGetter, m *roster.Member, sub string) error {
	if m.Sub == sub {
		return nil
	}
	if m.Sub != "" {
		return errOtherLogin
	}
	err := members.BindSub(ctx, m.SchoolID, m.Email, sub)
	if roster.ErrorCode(err) == roster.ECONFLICT {
		// Bound meanwhile: read which login won.
		again, gerr := members.GetMember(ctx, m.SchoolID, m.Email)
		if gerr != nil {
			return gerr
		}
		if again.Sub != sub {
			return errOtherLogin
		}
		return nil
	}
	if err == nil {
		m.Sub = sub
	}
	return err
}

var (
	errForbidden  = roster.Errorf(roster.EFORBIDDEN, "You must be an owner or manager of this school.")
	errOtherLogin = roster.Errorf(roster.EFORBIDDEN, "This sign-in is not the account that joined this school: the account may have been re-created. Ask an administrator of the school to remove you and invite you again.")
)
