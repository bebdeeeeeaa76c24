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
	"github.com/schoolroster/rosterimport/internal/csvimport"
	"github.com/schoolroster/rosterimport/internal/roster"
)

// MailerStore is what sending invitations needs from storage. Every write
// is conditional on the send it is for, so it reports (or ignores) mail
// that moved on: resent, cancelled, claimed by another worker.
type MailerStore interface {
	GetSchool(ctx context.Context, schoolID string) (roster.School, error)
	// MailStates reads users consistently.
	MailStates(ctx context.Context, schoolID string, emails []string) (map[string]roster.MailState, error)
	// ClaimMail reports false when the mail is not queued for that send.
	ClaimMail(ctx context.Context, schoolID, email string, sendCount int, due time.Time) (bool, error)
	// ReserveDailyMail returns how many of n the school's daily limit allows.
	ReserveDailyMail(ctx context.Context, schoolID, day string, n, limit int) (int, error)
	MarkSent(ctx context.Context, sent []roster.SentMail, now time.Time) error
	MarkMailFailed(ctx context.Context, schoolID, email string, sendCount int, reason string) error
	DeferMail(ctx context.Context, schoolID, email string, sendCount int, note string, due time.Time) error
	HoldMail(ctx context.Context, schoolID, email string, sendCount int, note string) error
}

// Email is one invitation email to send.
type Email struct {
	To         string // as SES takes it: ASCII, the domain in punycode
	FirstName  string
	SchoolName string
	AcceptURL  string
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

// Mailer sends invitation emails for queued invitations.
//
// Each mail is claimed (queued → sending) before SES is called, so a
// redelivered or duplicate record sends nothing twice. What remains possible:
// a crash after SES accepted a mail and before it was marked sent leaves it
// claimed; the sweeper re-queues it after roster.MailClaimTimeout and it is
// sent a second time (docs/architecture.md, "Nothing stuck").
type Mailer struct {
	Store      MailerStore
	Sender     BulkSender
	Sealer     *roster.Sealer
	AppBaseURL string
	Pacer      *Pacer
	// DailyLimit is the invitations one school may send a UTC day (0: no
	// limit); over it, invitations are held with a note.
	DailyLimit int
	Now        func() time.Time
	Sleep      func(context.Context, time.Duration) error // backoff between rate-limited tries; default backoff.Sleep
	Log        *slog.Logger
}

// Send sends the invitations the records ask for and returns the record ids
// to retry: only those whose mail could not be claimed for a storage fault.
// Mail the service cannot take now is deferred with a note and re-queued
// by the sweeper when due, so no record holds up the ones behind it.
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

func recordIDs(recs []QueuedMail) []string {
	out := make([]string, len(recs))
	for i, r := range recs {
		out[i] = r.RecordID
	}
	return out
}

func (m *Mailer) sendSchool(ctx context.Context, schoolID string, recs []QueuedMail) (retry []string) {
	log := m.Log.With("schoolId", schoolID)
	school, err := m.Store.GetSchool(ctx, schoolID)
	if err != nil {
		log.Error("read school; records will be retried", "err", err)
		return recordIDs(recs)
	}
	var emails []string
	for _, r := range recs {
		emails = append(emails, r.Email)
	}
	states, err := m.Store.MailStates(ctx, schoolID, emails)
	if err != nil {
		log.Error("read invitations; records will be retried", "err", err)
		return recordIDs(recs)
	}
	todo, retry := m.prepare(ctx, log, school, recs, states)
	todo, claimRetry := m.claim(ctx, log, todo)
	retry = append(retry, claimRetry...)
	todo = m.withinDailyLimit(ctx, log, schoolID, todo)
	run := &sendRun{m: m, log: log}
	run.send(ctx, todo)
	return retry
}

// prepare keeps the records whose mail is still queued for their send, once
// each, with the email to send; a mail that can never be sent (the address
// or the token cannot be used) fails with its reason.
func (m *Mailer) prepare(ctx context.Context, log *slog.Logger, school roster.School, recs []QueuedMail, states map[string]roster.MailState) (todo []pending, retry []string) {
	seen := map[string]bool{}
	for _, r := range recs {
		st, ok := states[r.Email]
		key := fmt.Sprintf("%s/%d", r.Email, r.SendCount)
		switch {
		case !ok, st.Status != roster.StatusInvited, st.MailStatus != roster.MailQueued, st.SendCount != r.SendCount, seen[key]:
			continue // sent already, claimed, cancelled, accepted, or resent since: nothing to do
		}
		seen[key] = true
		to, ok := roster.ASCIIAddress(r.Email)
		if !ok {
			log.Warn("invitation address cannot be sent to", "reason", "not ASCII after IDNA")
			if err := m.Store.MarkMailFailed(ctx, r.SchoolID, r.Email, r.SendCount, msgUndeliverableAddress); err != nil {
				retry = append(retry, r.RecordID)
			}
			continue
		}
		token, err := m.Sealer.Open(st.SealedToken, r.SchoolID, r.Email)
		if err != nil {
			log.Error("invitation token does not open", "err", err)
			if err := m.Store.MarkMailFailed(ctx, r.SchoolID, r.Email, r.SendCount, msgTokenUnusable); err != nil {
				retry = append(retry, r.RecordID)
			}
			continue
		}
		todo = append(todo, pending{rec: r, email: Email{
			To: to, FirstName: st.FirstName, SchoolName: school.Name, AcceptURL: m.acceptURL(token),
		}})
	}
	return todo, retry
}

// Messages stored with a mail that cannot be sent.
const (
	msgUndeliverableAddress = "This address cannot receive mail (it must be plain ASCII before the @). Correct it and invite the person again."
	msgTokenUnusable        = "The invitation could not be prepared; resend it."
)

type pending struct {
	rec   QueuedMail
	email Email
	tries int // rate-limited tries so far
}

// claim takes each mail for sending, ten at a time; a mail another worker
// claimed or that moved on is dropped, and a storage fault leaves it queued
// with its record retried.
func (m *Mailer) claim(ctx context.Context, log *slog.Logger, todo []pending) (claimed []pending, retry []string) {
	due := m.Now().Add(roster.MailClaimTimeout)
	ok := make([]bool, len(todo))
	errs := make([]error, len(todo))
	sem := make(chan struct{}, 10)
	var wg sync.WaitGroup
	for i, p := range todo {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; wg.Done() }()
			ok[i], errs[i] = m.Store.ClaimMail(ctx, p.rec.SchoolID, p.rec.Email, p.rec.SendCount, due)
		}()
	}
	wg.Wait()
	for i, p := range todo {
		switch {
		case errs[i] != nil:
			log.Warn("invitation not claimed; its record will be retried", "err", errs[i])
			retry = append(retry, p.rec.RecordID)
		case ok[i]:
			claimed = append(claimed, p)
		}
	}
	return claimed, retry
}

// withinDailyLimit keeps the claimed mail the school's daily limit allows
// and holds the rest with a note.
func (m *Mailer) withinDailyLimit(ctx context.Context, log *slog.Logger, schoolID string, todo []pending) []pending {
	if m.DailyLimit <= 0 || len(todo) == 0 {
		return todo
	}
	now := m.Now().UTC()
	granted, err := m.Store.ReserveDailyMail(ctx, schoolID, now.Format(time.DateOnly), len(todo), m.DailyLimit)
	if err != nil {
		log.Warn("daily limit not read; mail deferred", "count", len(todo), "err", err)
		(&sendRun{m: m, log: log}).deferAll(ctx, todo, WaitUnavailable)
		return nil
	}
	if granted < len(todo) {
		tomorrow := now.Truncate(24 * time.Hour).Add(24 * time.Hour)
		note := fmt.Sprintf("This school has sent its daily limit of %s invitations; this one is held. Send held invitations again after %s.",
			csvimport.Thousands(m.DailyLimit), tomorrow.Format("2006-01-02 15:04 UTC"))
		log.Warn("daily invitation limit reached; invitations held", "held", len(todo)-granted, "limit", m.DailyLimit)
		for _, p := range todo[granted:] {
			if err := m.Store.HoldMail(ctx, p.rec.SchoolID, p.rec.Email, p.rec.SendCount, note); err != nil {
				log.Error("hold mail; the sweeper will re-drive it", "err", err)
			}
		}
	}
	return todo[:granted]
}

func (m *Mailer) acceptURL(token string) string {
	return strings.TrimRight(m.AppBaseURL, "/") + "/accept?token=" + url.QueryEscape(token)
}

func (m *Mailer) sleep(ctx context.Context, d time.Duration) error {
	if m.Sleep != nil {
		return m.Sleep(ctx, d)
	}
	return backoff.Sleep(ctx, d)
}
