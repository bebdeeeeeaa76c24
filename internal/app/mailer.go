package app

import (
	"context"
	"fmt"
	"log/slog"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/schoolroster/rosterimport/internal/backoff"
	"github.com/schoolroster/rosterimport/internal/roster"
)

// MailerStore is what sending invitations needs from storage.
type MailerStore interface {
	GetSchool(ctx context.Context, schoolID string) (roster.School, error)
	// MailStates reads users consistently.
	MailStates(ctx context.Context, schoolID string, emails []string) (map[string]roster.MailState, error)
	MarkSent(ctx context.Context, sent []roster.SentMail, now time.Time) error
	MarkMailFailed(ctx context.Context, schoolID, email string, sendCount int, reason string) error
}

// Email is one invitation email to send.
type Email struct {
	To         string
	FirstName  string
	SchoolName string
	AcceptURL  string
}

// SendOutcome is what became of one email of a bulk send. Permanent means
// refused for good (Err says why); otherwise a non-nil Err means try later.
type SendOutcome struct {
	MessageID string
	Permanent bool
	Code      string // the mail service's reason for a permanent refusal, e.g. MESSAGE_REJECTED
	Err       error
}

// BulkSender sends up to MaxBulk emails in one call.
type BulkSender interface {
	// SendBulk returns one outcome per email, or an error when nothing was
	// sent (throttled, unreachable): all may be tried again.
	SendBulk(ctx context.Context, emails []Email) ([]SendOutcome, error)
}

// MaxBulk is how many emails go in one SES call.
const MaxBulk = 50

// QueuedMail is a stream record of a user whose mail became queued.
type QueuedMail struct {
	RecordID  string // the stream record's sequence number, for batch item failures
	SchoolID  string
	Email     string
	SendCount int
}

// Pacer spaces sends to a rate (emails a second) within an invocation.
type Pacer struct {
	Rate  float64
	mu    sync.Mutex
	next  time.Time
	sleep func(context.Context, time.Duration) error
}

// Wait blocks until n more emails may be sent.
func (p *Pacer) Wait(ctx context.Context, n int) error {
	if p == nil || p.Rate <= 0 {
		return nil
	}
	p.mu.Lock()
	now := time.Now()
	if p.next.Before(now) {
		p.next = now
	}
	wait := p.next.Sub(now)
	p.next = p.next.Add(time.Duration(float64(n) / p.Rate * float64(time.Second)))
	p.mu.Unlock()
	if wait <= 0 {
		return nil
	}
	if p.sleep != nil {
		return p.sleep(ctx, wait)
	}
	return backoff.Sleep(ctx, wait)
}

// Mailer sends invitation emails for queued invitations.
type Mailer struct {
	Store      MailerStore
	Sender     BulkSender
	Sealer     *roster.Sealer
	AppBaseURL string
	Pacer      *Pacer
	Now        func() time.Time
	Log        *slog.Logger
}

// Send sends the invitations the records ask for and returns the record ids
// to retry (throttling, transient faults): those are never lost, and a record
// whose invitation was already sent, cancelled or resent since sends nothing.
func (m *Mailer) Send(ctx context.Context, records []QueuedMail) (retry []string) {
	bySchool := map[string][]QueuedMail{}
	var order []string
	for _, r := range records {
		if _, ok := bySchool[r.SchoolID]; !ok {
			order = append(order, r.SchoolID)
		}
		bySchool[r.SchoolID] = append(bySchool[r.SchoolID], r)
	}
	for _, schoolID := range order {
		retry = append(retry, m.sendSchool(ctx, schoolID, bySchool[schoolID])...)
	}
	return retry
}

type pending struct {
	rec   QueuedMail
	state roster.MailState
	email Email
}

func (m *Mailer) sendSchool(ctx context.Context, schoolID string, recs []QueuedMail) (retry []string) {
	log := m.Log.With("schoolId", schoolID)
	ids := func(ps []QueuedMail) []string {
		out := make([]string, len(ps))
		for i, p := range ps {
			out[i] = p.RecordID
		}
		return out
	}
	school, err := m.Store.GetSchool(ctx, schoolID)
	if err != nil {
		log.Error("read school", "err", err)
		return ids(recs)
	}
	var emails []string
	for _, r := range recs {
		emails = append(emails, r.Email)
	}
	states, err := m.Store.MailStates(ctx, schoolID, emails)
	if err != nil {
		log.Error("read invitations", "err", err)
		return ids(recs)
	}
	seen := map[string]bool{}
	var todo []pending
	for _, r := range recs {
		st, ok := states[r.Email]
		key := fmt.Sprintf("%s/%d", r.Email, r.SendCount)
		switch {
		case !ok, st.Status != roster.StatusInvited, st.MailStatus != roster.MailQueued, st.SendCount != r.SendCount, seen[key]:
			continue // sent already, cancelled, accepted, or resent since: nothing to do
		}
		seen[key] = true
		token, err := m.Sealer.Open(st.SealedToken, schoolID, r.Email)
		if err != nil {
			log.Error("invitation token does not open", "err", err)
			if err := m.Store.MarkMailFailed(ctx, schoolID, r.Email, r.SendCount, "The invitation could not be prepared; resend it."); err != nil {
				retry = append(retry, r.RecordID)
			}
			continue
		}
		todo = append(todo, pending{rec: r, state: st, email: Email{
			To: r.Email, FirstName: st.FirstName, SchoolName: school.Name, AcceptURL: m.acceptURL(token),
		}})
	}
	for len(todo) > 0 {
		n := min(len(todo), MaxBulk)
		batch := todo[:n]
		todo = todo[n:]
		if err := m.Pacer.Wait(ctx, n); err != nil {
			for _, p := range append(batch, todo...) {
				retry = append(retry, p.rec.RecordID)
			}
			return retry
		}
		retry = append(retry, m.sendBatch(ctx, log, batch)...)
	}
	return retry
}

func (m *Mailer) sendBatch(ctx context.Context, log *slog.Logger, batch []pending) (retry []string) {
	emails := make([]Email, len(batch))
	for i, p := range batch {
		emails[i] = p.email
	}
	outcomes, err := m.Sender.SendBulk(ctx, emails)
	if err != nil {
		log.Warn("invitations not sent; will retry", "count", len(batch), "err", err)
		for _, p := range batch {
			retry = append(retry, p.rec.RecordID)
		}
		return retry
	}
	var sent []roster.SentMail
	for i, o := range outcomes {
		p := batch[i]
		switch {
		case o.Err == nil:
			sent = append(sent, roster.SentMail{SchoolID: p.rec.SchoolID, Email: p.rec.Email, SendCount: p.rec.SendCount, MessageID: o.MessageID})
		case o.Permanent:
			// The service's own text goes to the log; the user's record (and
			// the clients that read it) get a message of ours.
			log.Warn("invitation refused by SES", "code", o.Code, "err", o.Err)
			if err := m.Store.MarkMailFailed(ctx, p.rec.SchoolID, p.rec.Email, p.rec.SendCount, refusal(o.Code)); err != nil {
				retry = append(retry, p.rec.RecordID)
			}
		default:
			retry = append(retry, p.rec.RecordID)
		}
	}
	if len(sent) > 0 {
		if err := m.Store.MarkSent(ctx, sent, m.Now().UTC()); err != nil {
			// The mails went out; only the record of it failed. Retrying would
			// send them again, so log loudly instead of retrying.
			log.Error("invitations sent but not marked sent", "count", len(sent), "err", err)
		}
		log.Info("invitations sent", "count", len(sent))
	}
	return retry
}

// refusal is the message stored for an invitation the mail service refused.
func refusal(code string) string {
	switch code {
	case "MESSAGE_REJECTED":
		return "The mail service refused to send this invitation. Check the address, then resend it."
	case "INVALID_PARAMETER":
		return "The mail service did not accept this address. Correct it and invite the person again."
	}
	return "The invitation could not be sent. Resend it later."
}

func (m *Mailer) acceptURL(token string) string {
	return strings.TrimRight(m.AppBaseURL, "/") + "/accept?token=" + url.QueryEscape(token)
}
