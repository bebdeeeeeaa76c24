package app

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/schoolroster/rosterimport/internal/backoff"
	"github.com/schoolroster/rosterimport/internal/roster"
)

// Wait says why the mail service did not take an email now; the zero Wait
// is none.
type Wait string

// Why mail waits.
const (
	WaitRate        Wait = "rate"        // the account's sending rate: try again in a moment
	waitRetried     Wait = "rate-again"  // still rate-limited after a few tries: defer briefly
	WaitQuota       Wait = "quota"       // the account's daily sending quota is used up
	WaitPaused      Wait = "paused"      // sending is paused or suspended on the account
	WaitUnavailable Wait = "unavailable" // the service failed or did not answer
)

// SendOutcome is what became of one email of a bulk send: sent (MessageID),
// refused for good (Permanent, Code the service's reason, e.g.
// MESSAGE_REJECTED), or waiting (Wait). Err says why it was not sent.
type SendOutcome struct {
	MessageID string
	Permanent bool
	Code      string
	Wait      Wait
	Err       error
}

// SendError is a bulk send that sent nothing; Wait says why.
type SendError struct {
	Wait Wait
	Err  error
}

func (e *SendError) Error() string { return fmt.Sprintf("mail service (%s): %v", e.Wait, e.Err) }
func (e *SendError) Unwrap() error { return e.Err }

// BulkSender sends up to MaxBulk emails in one call.
type BulkSender interface {
	// SendBulk returns one outcome per email, or an error when nothing was
	// sent: a *SendError saying why, or any other error for a fault.
	SendBulk(ctx context.Context, emails []Email) ([]SendOutcome, error)
}

// How long mail waits, by why, before the sweeper queues it again. SES asks
// for a wait of up to 10 minutes after throttling; its daily quota is a
// rolling 24 hours, so an hour later some of it has come back.
var waitFor = map[Wait]time.Duration{
	waitRetried:     time.Minute,
	WaitQuota:       time.Hour,
	WaitPaused:      time.Hour,
	WaitUnavailable: 5 * time.Minute,
}

// rateTries is how often a rate-limited email is tried in one invocation.
const rateTries = 3

// waitNote is what the administrator reads while the mail waits.
func waitNote(w Wait, due time.Time) string {
	at := due.UTC().Format("2006-01-02 15:04 UTC")
	switch w {
	case WaitQuota:
		return "Daily sending quota reached; sending resumes at " + at + "."
	case WaitPaused:
		return "Sending is paused on the mail account; trying again at " + at + "."
	case waitRetried:
		return "The mail service is busy; sending again at " + at + "."
	}
	return "The mail service did not answer; trying again at " + at + "."
}

// AccountPacer keeps every mailer of the account, together, to its sending
// rate: each bulk call of n emails takes the account's next slot of n/Rate
// seconds from a store they all share, and waits for it to start.
type AccountPacer struct {
	Store interface {
		// ReserveSend takes the next slot of length d and returns when it starts.
		ReserveSend(ctx context.Context, now time.Time, d time.Duration) (time.Time, error)
	}
	Rate  float64 // emails a second; see PaceFor
	Now   func() time.Time
	Sleep func(context.Context, time.Duration) error // default backoff.Sleep
}

var _ SendPacer = (*AccountPacer)(nil)

// Wait takes a slot for n emails and blocks until it starts.
// Errors: the store's faults; ctx's end.
func (p *AccountPacer) Wait(ctx context.Context, n int) error {
	if p.Rate <= 0 || n <= 0 {
		return nil
	}
	now := p.Now()
	at, err := p.Store.ReserveSend(ctx, now, time.Duration(float64(n)/p.Rate*float64(time.Second)))
	if err != nil {
		return err
	}
	wait := at.Sub(now)
	if wait <= 0 {
		return nil
	}
	if p.Sleep != nil {
		return p.Sleep(ctx, wait)
	}
	return backoff.Sleep(ctx, wait)
}

// pace waits for a slot for n emails; without a Pacer, none is waited for.
func (m *Mailer) pace(ctx context.Context, n int) error {
	if m.Pacer == nil {
		return nil
	}
	return m.Pacer.Wait(ctx, n)
}

// PaceFor returns, for an account allowed maxRate emails a second, the
// rate to pace at and the most emails a turn sends (one call). Calls of up
// to turn emails spaced at rate never put more than maxRate within any one
// second (rate + turn <= maxRate); slow accounts keep at least half their
// rate.
func PaceFor(maxRate float64) (rate float64, turn int) {
	turn = max(1, min(MaxBulk, int(maxRate/10)))
	return max(maxRate-float64(turn), maxRate/2), turn
}

// sendRun sends one school's claimed mail of one invocation.
type sendRun struct {
	m       *Mailer
	log     *slog.Logger
	stopped Wait // set when the account cannot send (quota, paused): the rest waits too
}

// send sends claimed mail in bulk calls, paced; rate-limited mail is tried
// again after a backoff, a few times, and then deferred.
func (r *sendRun) send(ctx context.Context, todo []pending) {
	for round := 0; len(todo) > 0; round++ {
		var again []pending
		for len(todo) > 0 {
			n := min(len(todo), MaxBulk)
			batch := todo[:n]
			todo = todo[n:]
			if r.stopped != "" {
				r.deferAll(ctx, batch, r.stopped)
				continue
			}
			if err := r.m.pace(ctx, n); err != nil {
				r.log.Warn("no sending slot; mail deferred", "count", len(batch)+len(todo), "err", err)
				r.deferAll(ctx, append(batch, todo...), WaitUnavailable)
				return
			}
			again = append(again, r.sendBatch(ctx, batch)...)
		}
		if len(again) == 0 {
			return
		}
		if err := r.m.sleep(ctx, time.Second<<round); err != nil {
			r.deferAll(ctx, again, waitRetried)
			return
		}
		todo = again
	}
}

// sendBatch makes one bulk call and records each outcome; it returns the
// mail to try again for the sending rate.
func (r *sendRun) sendBatch(ctx context.Context, batch []pending) (again []pending) {
	emails := make([]Email, len(batch))
	for i, p := range batch {
		emails[i] = p.email
	}
	outcomes, err := r.m.Sender.SendBulk(ctx, emails)
	if err != nil {
		wait := WaitUnavailable
		var se *SendError
		if errors.As(err, &se) {
			wait = se.Wait
		}
		outcomes = make([]SendOutcome, len(batch))
		for i := range outcomes {
			outcomes[i] = SendOutcome{Wait: wait, Err: err}
		}
		r.log.Warn("bulk send refused", "count", len(batch), "wait", wait, "err", err)
	}
	var sent []roster.SentMail
	waiting := map[Wait][]pending{}
	for i, o := range outcomes {
		p := batch[i]
		switch {
		case o.Err == nil:
			sent = append(sent, roster.SentMail{SchoolID: p.ref.SchoolID, Email: p.ref.Email, SendCount: p.ref.SendCount, MessageID: o.MessageID})
		case o.Permanent:
			// The service's own text goes to the log; the user's record (and
			// the clients that read it) get a code's message of ours.
			r.log.Warn("invitation refused by SES", "code", o.Code, "err", o.Err)
			if err := r.m.Store.MarkMailFailed(ctx, p.ref.SchoolID, p.ref.Email, p.ref.SendCount, refusal(o.Code)); err != nil {
				r.log.Error("mark mail failed; the sweeper will re-drive it", "err", err)
			}
		default:
			waiting[o.Wait] = append(waiting[o.Wait], p)
		}
	}
	if len(sent) > 0 {
		if err := r.m.Store.MarkSent(ctx, sent, r.m.Now().UTC()); err != nil {
			// The mails went out; only the record of it failed. They stay
			// claimed, and the sweeper's re-drive after the claim timeout
			// is the one way they could go twice.
			r.log.Error("invitations sent but not marked sent", "count", len(sent), "err", err)
		}
		r.log.Info("invitations sent", "count", len(sent))
	}
	for wait, ps := range waiting {
		if wait == WaitRate {
			for _, p := range ps {
				if p.tries++; p.tries < rateTries {
					again = append(again, p)
				} else {
					r.deferAll(ctx, []pending{p}, waitRetried)
				}
			}
			r.log.Warn("sending rate exceeded; will try again", "count", len(ps))
			continue
		}
		if wait == WaitQuota || wait == WaitPaused {
			r.stopped = wait
		}
		if wait == "" {
			wait = WaitUnavailable
		}
		r.deferAll(ctx, ps, wait)
	}
	return again
}

// deferAll puts claimed mail back to wait, with the note that says why.
func (r *sendRun) deferAll(ctx context.Context, ps []pending, wait Wait) {
	if len(ps) == 0 {
		return
	}
	due := r.m.Now().Add(waitFor[wait])
	note := waitNote(wait, due)
	r.log.Warn("invitations deferred", "count", len(ps), "wait", wait, "due", due)
	for _, p := range ps {
		if err := r.m.Store.DeferMail(ctx, p.ref.SchoolID, p.ref.Email, p.ref.SendCount, note, due); err != nil {
			r.log.Error("defer mail; the sweeper will re-drive it", "err", err)
		}
	}
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
