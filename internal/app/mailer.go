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
	// QueuedMails returns a school's oldest queued mail, from an index that
	// may lag a little behind.
	QueuedMails(ctx context.Context, schoolID string, limit int) ([]roster.MailRef, error)
	// MailTurn reads a school's turn at sending, consistently.
	MailTurn(ctx context.Context, schoolID string) (roster.MailTurn, error)
	// OpenMailTurn and CloseMailTurn report false when the turn moved on
	// from was.
	OpenMailTurn(ctx context.Context, schoolID string, was roster.MailTurn, empty int, now time.Time) (bool, error)
	CloseMailTurn(ctx context.Context, schoolID string, was roster.MailTurn, now time.Time) (bool, error)
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

// QueuedMail is a stream record for the mailer: a user whose mail became
// queued, or a school's next turn at sending (Turn > 0, no Email).
type QueuedMail struct {
	RecordID  string // the stream record's sequence number, for batch item failures
	SchoolID  string
	Email     string
	SendCount int
	Turn      int
}

// TurnStale is how long an open turn may go unserved before a school's
// next queued mail takes a turn anyway: its record was lost.
const TurnStale = 2 * time.Minute

// Mailer sends invitation emails for queued invitations, fairly between
// schools and together with every other mailer within the account's rate.
//
// Schools send in turns (docs/architecture.md, "Term start"): a turn
// sends up to TurnSize of the school's oldest queued mail, then opens the
// school's next turn, whose stream record comes behind the other schools'
// work in the same stream lane; records of a school whose turn is open are
// only wake-ups and are passed over. So a school of 20 is not held behind a
// school of 20,000 in its lane, and every school in a lane gets the same
// share. The Pacer, shared by every mailer, keeps them all to the account's
// rate.
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
	Pacer      SendPacer
	// TurnSize is the most mail a school sends in one turn (default
	// MaxBulk): one bulk call.
	TurnSize int
	// DailyLimit is the invitations one school may send a UTC day (0: no
	// limit); over it, invitations are held with a note.
	DailyLimit int
	Now        func() time.Time
	Sleep      func(context.Context, time.Duration) error // backoff between rate-limited tries; default backoff.Sleep
	Log        *slog.Logger
}

// SendPacer holds sending to the account's rate.
type SendPacer interface {
	// Wait blocks until n more emails may be sent.
	Wait(ctx context.Context, n int) error
}

// Send takes the turns the records ask for and returns the record ids to
// retry: a school's records when its turn could not be read or its next
// turn not opened (storage faults). Mail the service cannot take now is
// deferred with a note and re-queued by the sweeper when due, so no record
// holds up the ones behind it.
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

func (m *Mailer) turnSize() int {
	if m.TurnSize <= 0 || m.TurnSize > MaxBulk {
		return MaxBulk
	}
	return m.TurnSize
}

// sendSchool takes the school's turn if the records call for one: sends
// its share of queued mail and opens its next turn.
func (m *Mailer) sendSchool(ctx context.Context, schoolID string, recs []QueuedMail) (retry []string) {
	log := m.Log.With("schoolId", schoolID)
	turn, err := m.Store.MailTurn(ctx, schoolID)
	if err != nil {
		log.Error("read mail turn; records will be retried", "err", err)
		return recordIDs(recs)
	}
	if !m.isTurn(turn, recs) {
		return nil // the open turn sends this mail
	}
	refs, err := m.Store.QueuedMails(ctx, schoolID, m.turnSize())
	if err != nil {
		log.Error("read queued mail; records will be retried", "err", err)
		return recordIDs(recs)
	}
	queued := 0
	if refs = withRecords(refs, recs, m.turnSize()); len(refs) > 0 {
		queued = m.sendTurn(ctx, log, schoolID, refs)
	}
	if err := m.nextTurn(ctx, schoolID, turn, queued); err != nil {
		log.Error("open next mail turn; records will be retried", "err", err)
		return recordIDs(recs)
	}
	return nil
}

// isTurn reports whether the records call for the school's turn now: one
// is the open turn's own record, or no turn is open (or the open one is
// lost) and one is a queued mail.
func (m *Mailer) isTurn(turn roster.MailTurn, recs []QueuedMail) bool {
	for _, r := range recs {
		switch {
		case r.Turn > 0 && turn.Open && r.Turn == turn.Turn:
			return true
		case r.Turn == 0 && (!turn.Open || m.Now().Sub(turn.At) > TurnStale):
			return true
		}
	}
	return false
}

// withRecords adds to refs the records' mails it lacks (the index may lag
// behind them), up to limit.
func withRecords(refs []roster.MailRef, recs []QueuedMail, limit int) []roster.MailRef {
	have := map[string]bool{}
	for _, r := range refs {
		have[r.Email] = true
	}
	for _, r := range recs {
		if len(refs) >= limit {
			break
		}
		if r.Turn == 0 && !have[r.Email] {
			have[r.Email] = true
			refs = append(refs, roster.MailRef{SchoolID: r.SchoolID, Email: r.Email, SendCount: r.SendCount})
		}
	}
	return refs
}

// nextTurn opens the school's next turn while it may have mail left, and
// closes its turn after two looks in a row found none (the second because
// the index may have lagged behind the first); queued is the mail this
// turn found queued.
func (m *Mailer) nextTurn(ctx context.Context, schoolID string, turn roster.MailTurn, queued int) error {
	now := m.Now().UTC()
	var err error
	switch {
	case queued >= m.turnSize():
		_, err = m.Store.OpenMailTurn(ctx, schoolID, turn, 0, now)
	case queued > 0 || (turn.Open && turn.Empty == 0):
		_, err = m.Store.OpenMailTurn(ctx, schoolID, turn, 1, now)
	case turn.Open:
		_, err = m.Store.CloseMailTurn(ctx, schoolID, turn, now)
	}
	return err
}

// sendTurn sends the mail of one turn: each still queued for its send is
// claimed, held to the school's daily limit, and sent. A mail not claimed
// for a storage fault stays queued for a later turn. It returns how many
// of refs were queued for their send (or could not be read).
func (m *Mailer) sendTurn(ctx context.Context, log *slog.Logger, schoolID string, refs []roster.MailRef) int {
	school, err := m.Store.GetSchool(ctx, schoolID)
	if err != nil {
		log.Error("read school; mail stays queued for the next turn", "err", err)
		return len(refs)
	}
	emails := make([]string, len(refs))
	for i, r := range refs {
		emails[i] = r.Email
	}
	states, err := m.Store.MailStates(ctx, schoolID, emails)
	if err != nil {
		log.Error("read invitations; mail stays queued for the next turn", "err", err)
		return len(refs)
	}
	todo, queued := m.prepare(ctx, log, school, refs, states)
	todo = m.claim(ctx, log, todo)
	todo = m.withinDailyLimit(ctx, log, schoolID, todo)
	run := &sendRun{m: m, log: log}
	run.send(ctx, todo)
	return queued
}

// prepare keeps the mail still queued for its send, once each, with the
// email to send, and counts the mail that was queued; a mail that can never
// be sent (the address or the token cannot be used) fails with its reason.
func (m *Mailer) prepare(ctx context.Context, log *slog.Logger, school roster.School, refs []roster.MailRef, states map[string]roster.MailState) (todo []pending, queued int) {
	seen := map[string]bool{}
	for _, r := range refs {
		st, ok := states[r.Email]
		switch {
		case !ok, st.Status != roster.StatusInvited, st.MailStatus != roster.MailQueued, st.SendCount != r.SendCount, seen[r.Email]:
			continue // sent already, claimed, cancelled, accepted, or resent since: nothing to do
		}
		seen[r.Email] = true
		queued++
		to, ok := roster.ASCIIAddress(r.Email)
		if !ok {
			log.Warn("invitation address cannot be sent to", "reason", "not ASCII after IDNA")
			if err := m.Store.MarkMailFailed(ctx, r.SchoolID, r.Email, r.SendCount, msgUndeliverableAddress); err != nil {
				log.Error("mark mail failed; a later turn tries again", "err", err)
			}
			continue
		}
		token, err := m.Sealer.Open(st.SealedToken, r.SchoolID, r.Email)
		if err != nil {
			log.Error("invitation token does not open", "err", err)
			if err := m.Store.MarkMailFailed(ctx, r.SchoolID, r.Email, r.SendCount, msgTokenUnusable); err != nil {
				log.Error("mark mail failed; a later turn tries again", "err", err)
			}
			continue
		}
		todo = append(todo, pending{ref: r, email: Email{
			To: to, FirstName: st.FirstName, SchoolName: school.Name, AcceptURL: m.acceptURL(token),
		}})
	}
	return todo, queued
}

// Messages stored with a mail that cannot be sent.
const (
	msgUndeliverableAddress = "This address cannot receive mail (it must be plain ASCII before the @). Correct it and invite the person again."
	msgTokenUnusable        = "The invitation could not be prepared; resend it."
)

type pending struct {
	ref   roster.MailRef
	email Email
	tries int // rate-limited tries so far
}

// claim takes each mail for sending, ten at a time; a mail another worker
// claimed or that moved on is dropped, and one a storage fault left queued
// waits for a later turn.
func (m *Mailer) claim(ctx context.Context, log *slog.Logger, todo []pending) (claimed []pending) {
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
			ok[i], errs[i] = m.Store.ClaimMail(ctx, p.ref.SchoolID, p.ref.Email, p.ref.SendCount, due)
		}()
	}
	wg.Wait()
	for i, p := range todo {
		switch {
		case errs[i] != nil:
			log.Warn("invitation not claimed; a later turn tries again", "err", errs[i])
		case ok[i]:
			claimed = append(claimed, p)
		}
	}
	return claimed
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
			if err := m.Store.HoldMail(ctx, p.ref.SchoolID, p.ref.Email, p.ref.SendCount, note); err != nil {
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
