package app

import (
	"context"
	"time"

	"github.com/schoolroster/rosterimport/internal/roster"
)

// Invitations lists the school's pending invitations (users invited and not
// yet joined) with their mail status, sorted by name.
// Errors: as List.
func (u *Users) Invitations(ctx context.Context, caller Caller, schoolID, cursor string, limit int) (UserList, error) {
	return u.List(ctx, caller, schoolID, ListUsersRequest{Status: string(roster.StatusInvited), Cursor: cursor, Limit: limit})
}

// Resend sends a pending invitation again (or for the first time, when it
// was held) with a new token; the old token stops working.
// Errors: EUNAUTHORIZED, EFORBIDDEN; ENOTFOUND; ECONFLICT when the user has
// no pending invitation; ETOOMANYREQUESTS within a minute of the last send;
// EINTERNAL.
func (u *Users) Resend(ctx context.Context, caller Caller, schoolID, email string) (UserView, error) {
	admin, err := authorizeAdmin(ctx, u.Store, caller, schoolID)
	if err != nil {
		return UserView{}, err
	}
	saved, err := u.change(ctx, schoolID, email, func(before roster.Member) (MemberChange, error) {
		if before.Status != roster.StatusInvited {
			return MemberChange{}, roster.Errorf(roster.ECONFLICT, "%s has no pending invitation.", before.Email)
		}
		now := u.Now().UTC()
		interval := u.ResendInterval
		if interval <= 0 {
			interval = time.Minute
		}
		if before.MailQueuedAt != nil && now.Sub(*before.MailQueuedAt) < interval {
			return MemberChange{}, roster.Errorf(roster.ETOOMANYREQUESTS, "An invitation was sent to %s moments ago. Try again in a minute.", before.Email)
		}
		after := before
		queueMail(u.Sealer, &after, now)
		after.UpdatedAt, after.UpdatedBy = &now, admin.Email
		return MemberChange{Before: &before, After: after, By: admin.Email}, nil
	})
	if err != nil {
		return UserView{}, err
	}
	return u.view(ctx, saved)
}

// Cancel withdraws a pending invitation: its token stops working and the
// person is no longer invited (their record stays, as removed).
// Errors: EUNAUTHORIZED, EFORBIDDEN (an owner's invitation by a manager);
// ENOTFOUND; ECONFLICT when there is no pending invitation; EINTERNAL.
func (u *Users) Cancel(ctx context.Context, caller Caller, schoolID, email string) (UserView, error) {
	admin, err := authorizeAdmin(ctx, u.Store, caller, schoolID)
	if err != nil {
		return UserView{}, err
	}
	saved, err := u.change(ctx, schoolID, email, func(before roster.Member) (MemberChange, error) {
		if before.Status != roster.StatusInvited {
			return MemberChange{}, roster.Errorf(roster.ECONFLICT, "%s has no pending invitation.", before.Email)
		}
		if err := roster.CanRemove(admin, before); err != nil {
			return MemberChange{}, err
		}
		return MemberChange{Before: &before, After: removed(before, admin.Email, u.Now().UTC()), By: admin.Email,
			OwnerOnly: before.Role == roster.RoleOwner}, nil
	})
	if err != nil {
		return UserView{}, err
	}
	return u.view(ctx, saved)
}

// SendRequest asks to send held invitations: those of Emails, or All of
// the school's.
type SendRequest struct {
	Emails []string `json:"emails"`
	All    bool     `json:"all"`
}

// SendResult says what became of each invitation asked for.
type SendResult struct {
	Queued  []string      `json:"queued"`
	Skipped []SkippedSend `json:"skipped"`
	Job     *SendJobView  `json:"job,omitempty"` // when All: the background job doing it
}

// SkippedSend is an invitation that was not sent, and why.
type SkippedSend struct {
	Email  string `json:"email"`
	Reason string `json:"reason"`
}

// SendJobView is a background job sending all held invitations.
type SendJobView = roster.SendJob

// maxSendList is how many invitations one request sends by email.
const maxSendList = 100

// errNotHeld says an invitation was not waiting to be sent.
var errNotHeld = roster.Errorf(roster.ECONFLICT, "The invitation is not held.")

// Send sends held invitations. A list (at most 100) is sent at once, each
// email's outcome said; All starts a background job through the table and
// answers at once, however many there are.
// Errors: EUNAUTHORIZED, EFORBIDDEN; EINVALID for an empty or too long
// request; EINTERNAL.
func (u *Users) Send(ctx context.Context, caller Caller, schoolID string, req SendRequest, jobs SendJobStarter) (SendResult, error) {
	admin, err := authorizeAdmin(ctx, u.Store, caller, schoolID)
	if err != nil {
		return SendResult{}, err
	}
	switch {
	case req.All && len(req.Emails) > 0:
		return SendResult{}, roster.Errorf(roster.EINVALID, "Send either a list of emails or all, not both.")
	case req.All:
		job, err := jobs.StartSendJob(ctx, schoolID, admin.Email)
		if err != nil {
			return SendResult{}, err
		}
		return SendResult{Queued: []string{}, Skipped: []SkippedSend{}, Job: &job}, nil
	case len(req.Emails) == 0:
		return SendResult{}, roster.Errorf(roster.EINVALID, `Give the emails to send, or "all": true.`)
	case len(req.Emails) > maxSendList:
		return SendResult{}, roster.Errorf(roster.EINVALID, `At most %d emails at a time; use "all": true for more.`, maxSendList)
	}
	res := SendResult{Queued: []string{}, Skipped: []SkippedSend{}}
	for _, e := range req.Emails {
		email := roster.NormalizeEmail(e)
		_, err := u.change(ctx, schoolID, email, func(before roster.Member) (MemberChange, error) {
			if before.Status != roster.StatusInvited || before.MailStatus != roster.MailHeld {
				return MemberChange{}, errNotHeld
			}
			after := before
			now := u.Now().UTC()
			queueMail(u.Sealer, &after, now)
			after.UpdatedAt, after.UpdatedBy = &now, admin.Email
			return MemberChange{Before: &before, After: after, By: admin.Email}, nil
		})
		switch {
		case err == nil:
			res.Queued = append(res.Queued, email)
		case err == errNotHeld:
			res.Skipped = append(res.Skipped, SkippedSend{Email: email, Reason: "The invitation is not held (already sent, or not pending)."})
		case roster.ErrorCode(err) == roster.ENOTFOUND:
			res.Skipped = append(res.Skipped, SkippedSend{Email: email, Reason: "No such user."})
		default:
			return res, err
		}
	}
	return res, nil
}

// SendJobStarter starts the background job that sends all held invitations.
type SendJobStarter interface {
	StartSendJob(ctx context.Context, schoolID, requestedBy string) (roster.SendJob, error)
}
