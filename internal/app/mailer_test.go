package app

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/schoolroster/rosterimport/internal/roster"
)

// fakeMailerStore keeps mail states and applies the moves as the table's
// conditions do: each holds only for the send and status it is for.
type fakeMailerStore struct {
	mu     sync.Mutex
	states map[string]roster.MailState
	notes  map[string]string
	sent   []roster.SentMail
	failed map[string]string
	day    int                        // sends reserved today
	turns  map[string]roster.MailTurn // by school
	opened []QueuedMail               // turn records to deliver, in the order opened
}

func (f *fakeMailerStore) QueuedMails(_ context.Context, school string, limit int) ([]roster.MailRef, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []roster.MailRef
	for _, e := range slices.Sorted(maps.Keys(f.states)) {
		if st := f.states[e]; st.SchoolID == school && st.Status == roster.StatusInvited && st.MailStatus == roster.MailQueued && len(out) < limit {
			out = append(out, roster.MailRef{SchoolID: school, Email: e, SendCount: st.SendCount})
		}
	}
	return out, nil
}
func (f *fakeMailerStore) MailTurn(_ context.Context, school string) (roster.MailTurn, error) {
	return f.turns[school], nil
}
func (f *fakeMailerStore) OpenMailTurn(_ context.Context, school string, was roster.MailTurn, empty int, now time.Time) (bool, error) {
	if was != f.turns[school] {
		return false, nil
	}
	t := roster.MailTurn{Turn: was.Turn + 1, Open: true, Empty: empty, At: now}
	f.turns[school] = t
	f.opened = append(f.opened, QueuedMail{RecordID: fmt.Sprint("turn-", school, t.Turn), SchoolID: school, Turn: t.Turn})
	return true, nil
}
func (f *fakeMailerStore) CloseMailTurn(_ context.Context, school string, was roster.MailTurn, now time.Time) (bool, error) {
	if was != f.turns[school] {
		return false, nil
	}
	f.turns[school] = roster.MailTurn{Turn: was.Turn, At: now}
	return true, nil
}

func (f *fakeMailerStore) GetSchool(context.Context, string) (roster.School, error) {
	return roster.School{ID: "s", Name: "Hill & Dale"}, nil
}
func (f *fakeMailerStore) MailStates(_ context.Context, _ string, emails []string) (map[string]roster.MailState, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := map[string]roster.MailState{}
	for _, e := range emails {
		if st, ok := f.states[e]; ok {
			out[e] = st
		}
	}
	return out, nil
}

// move changes email's mail status to to when it is send n in one of from.
func (f *fakeMailerStore) move(email string, n int, to roster.MailStatus, from ...roster.MailStatus) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	st, ok := f.states[email]
	if !ok || st.SendCount != n || !slices.Contains(from, st.MailStatus) {
		return false
	}
	st.MailStatus = to
	f.states[email] = st
	return true
}
func (f *fakeMailerStore) ClaimMail(_ context.Context, _, email string, n int, _ time.Time) (bool, error) {
	return f.move(email, n, roster.MailSending, roster.MailQueued), nil
}
func (f *fakeMailerStore) ReserveDailyMail(_ context.Context, _, _ string, n, limit int) (int, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	got := max(min(n, limit-f.day), 0)
	f.day += got
	return got, nil
}
func (f *fakeMailerStore) MarkSent(_ context.Context, sent []roster.SentMail, _ time.Time) error {
	for _, m := range sent {
		if f.move(m.Email, m.SendCount, roster.MailSent, roster.MailSending) {
			f.sent = append(f.sent, m)
		}
	}
	return nil
}
func (f *fakeMailerStore) MarkMailFailed(_ context.Context, _, email string, n int, reason string) error {
	if f.move(email, n, roster.MailFailed, roster.MailQueued, roster.MailSending, roster.MailDeferred) {
		f.failed[email] = reason
	}
	return nil
}
func (f *fakeMailerStore) DeferMail(_ context.Context, _, email string, n int, note string, _ time.Time) error {
	if f.move(email, n, roster.MailDeferred, roster.MailSending) {
		f.notes[email] = note
	}
	return nil
}
func (f *fakeMailerStore) HoldMail(_ context.Context, _, email string, n int, note string) error {
	if f.move(email, n, roster.MailHeld, roster.MailSending) {
		f.notes[email] = note
	}
	return nil
}

// statuses counts the store's mails by status.
func (f *fakeMailerStore) statuses() map[roster.MailStatus]int {
	out := map[roster.MailStatus]int{}
	for _, st := range f.states {
		out[st.MailStatus]++
	}
	return out
}

type fakeSender struct {
	calls   [][]Email
	outcome func(Email) SendOutcome
	err     func(call int) error // nil: every call answers
}

func (f *fakeSender) SendBulk(_ context.Context, emails []Email) ([]SendOutcome, error) {
	f.calls = append(f.calls, emails)
	if f.err != nil {
		if err := f.err(len(f.calls)); err != nil {
			return nil, err
		}
	}
	out := make([]SendOutcome, len(emails))
	for i, e := range emails {
		out[i] = f.outcome(e)
	}
	return out, nil
}

func sent(e Email) SendOutcome { return SendOutcome{MessageID: "m-" + e.To} }

type mailerFixture struct {
	store  *fakeMailerStore
	sender *fakeSender
	m      *Mailer
	sealer *roster.Sealer
	sleeps []time.Duration
}

var mailT0 = time.Date(2026, 11, 22, 9, 30, 0, 0, time.UTC)

func newMailerFixture(t *testing.T, emails ...string) *mailerFixture {
	t.Helper()
	sealer, _ := roster.NewSealer(strings.Repeat("k", 32))
	f := &mailerFixture{sealer: sealer, store: &fakeMailerStore{failed: map[string]string{}, notes: map[string]string{}, states: map[string]roster.MailState{},
		turns: map[string]roster.MailTurn{}},
		sender: &fakeSender{outcome: sent}}
	for _, e := range emails {
		f.queue(e, 1)
	}
	f.m = &Mailer{Store: f.store, Sender: f.sender, Sealer: sealer, AppBaseURL: "https://app.school/", Now: func() time.Time { return mailT0 },
		Sleep: func(_ context.Context, d time.Duration) error { f.sleeps = append(f.sleeps, d); return nil },
		Log:   slog.New(slog.NewTextHandler(io.Discard, nil))}
	return f
}

func (f *mailerFixture) queue(email string, n int) { f.queueIn("s", email, n) }

func (f *mailerFixture) queueIn(school, email string, n int) {
	f.store.states[email] = roster.MailState{SchoolID: school, Email: email, FirstName: "F", Status: roster.StatusInvited, MailStatus: roster.MailQueued,
		SendCount: n, SealedToken: f.sealer.Seal("tok-"+email, school, email)}
}

// send delivers the records, then each turn record the mailer opens, as
// the stream would, until no turn is open; it returns the records to retry
// and the turns taken after the records.
func (f *mailerFixture) send(t *testing.T, recs []QueuedMail) (retry []string, turns int) {
	t.Helper()
	retry = f.m.Send(context.Background(), recs)
	for ; len(f.store.opened) > 0; turns++ {
		if turns > 1000 {
			t.Fatal("the schools' turns never closed")
		}
		next := f.store.opened[0]
		f.store.opened = f.store.opened[1:]
		retry = append(retry, f.m.Send(context.Background(), []QueuedMail{next})...)
	}
	for school, turn := range f.store.turns {
		if turn.Open {
			t.Errorf("%s's turn is still open", school)
		}
	}
	return retry, turns
}

func records(emails ...string) []QueuedMail {
	out := make([]QueuedMail, len(emails))
	for i, e := range emails {
		out[i] = QueuedMail{RecordID: fmt.Sprint(i + 1), SchoolID: "s", Email: e, SendCount: 1}
	}
	return out
}

func TestMailerSend(t *testing.T) {
	f := newMailerFixture(t, "ok@x.school", "dup@x.school", "rejected@x.school", "zoe@école.fr", "zoë@x.school")
	f.queue("resent@x.school", 2)
	f.store.states["sent@x.school"] = roster.MailState{SchoolID: "s", Email: "sent@x.school", Status: roster.StatusInvited, MailStatus: roster.MailSent, SendCount: 1}
	f.store.states["claimed@x.school"] = roster.MailState{SchoolID: "s", Email: "claimed@x.school", Status: roster.StatusInvited, MailStatus: roster.MailSending, SendCount: 1}
	f.store.states["badseal@x.school"] = roster.MailState{SchoolID: "s", Email: "badseal@x.school", Status: roster.StatusInvited, MailStatus: roster.MailQueued, SendCount: 1, SealedToken: "garbage"}
	f.sender.outcome = func(e Email) SendOutcome {
		if e.To == "rejected@x.school" {
			return SendOutcome{Permanent: true, Code: "MESSAGE_REJECTED", Err: errors.New("MESSAGE_REJECTED: Email address is not verified. <script>")}
		}
		return sent(e)
	}
	retry, turns := f.send(t, records("ok@x.school", "dup@x.school", "dup@x.school", // the same send twice
		"resent@x.school",                                        // an older send: the turn sends the newer one
		"rejected@x.school", "sent@x.school", "claimed@x.school", // claimed by another worker: nothing to send
		"gone@x.school", "badseal@x.school", "zoe@école.fr", "zoë@x.school"))
	if len(retry) != 0 {
		t.Errorf("retry = %v, want none", retry)
	}
	if len(f.sender.calls) != 1 || len(f.sender.calls[0]) != 5 {
		t.Fatalf("calls = %v, want one call with dup, ok, rejected, resent, zoe", f.sender.calls)
	}
	// One turn sent it all; one more looked and found nothing; then the
	// turn closed.
	if turns != 1 {
		t.Errorf("%d turns after the first, want 1", turns)
	}
	byTo := map[string]Email{}
	for _, e := range f.sender.calls[0] {
		byTo[e.To] = e
	}
	if got := byTo["ok@x.school"]; got.AcceptURL != "https://app.school/accept?token=tok-ok%40x.school" || got.SchoolName != "Hill & Dale" {
		t.Errorf("email = %+v", got)
	}
	if _, ok := byTo["zoe@xn--cole-9oa.fr"]; !ok {
		t.Errorf("an IDN domain is not sent in punycode: %v", slices.Collect(maps.Keys(byTo)))
	}
	var marked []string
	for _, s := range f.store.sent {
		marked = append(marked, s.Email)
	}
	if strings.Join(marked, ",") != "dup@x.school,ok@x.school,resent@x.school,zoe@école.fr" {
		t.Errorf("marked sent = %v", marked)
	}
	want := map[string]string{
		"rejected@x.school": "The mail service refused to send this invitation. Check the address, then resend it.",
		"badseal@x.school":  msgTokenUnusable,
		"zoë@x.school":      msgUndeliverableAddress,
	}
	if !maps.Equal(f.store.failed, want) {
		t.Errorf("marked failed = %v, want %v (our messages, never the service's text)", f.store.failed, want)
	}
	if f.store.states["claimed@x.school"].MailStatus != roster.MailSending {
		t.Errorf("a mail claimed elsewhere was touched")
	}
}

// TestMailerWaits: mail the service will not take now waits, deferred with
// a note, and nothing is retried through the stream or sent twice.
func TestMailerWaits(t *testing.T) {
	quotaAfter := func(n int) func(Email) SendOutcome {
		count := 0
		return func(e Email) SendOutcome {
			if count++; count > n {
				return SendOutcome{Wait: WaitQuota, Err: errors.New("ACCOUNT_DAILY_QUOTA_EXCEEDED")}
			}
			return sent(e)
		}
	}
	rate := &SendError{Wait: WaitRate, Err: errors.New("Maximum sending rate exceeded.")}
	tests := []struct {
		name       string
		n          int
		outcome    func(Email) SendOutcome
		err        func(call int) error
		limit      int
		wantCalls  int
		want       map[roster.MailStatus]int
		wantNote   string
		wantSleeps int
	}{
		{name: "the daily quota runs out mid-way: the rest waits an hour, unsent", n: 120, outcome: quotaAfter(70),
			wantCalls: 3, want: map[roster.MailStatus]int{roster.MailSent: 70, roster.MailDeferred: 50},
			wantNote: "Daily sending quota reached; sending resumes at 2026-11-22 10:30 UTC."},
		{name: "quota spent before the call", n: 60, err: func(int) error { return &SendError{Wait: WaitQuota, Err: errors.New("Daily message quota exceeded.")} },
			wantCalls: 2, want: map[roster.MailStatus]int{roster.MailDeferred: 60},
			wantNote: "Daily sending quota reached; sending resumes at 2026-11-22 10:30 UTC."},
		{name: "rate exceeded once: tried again after a second", n: 10, err: func(call int) error {
			if call == 1 {
				return rate
			}
			return nil
		}, wantCalls: 2, want: map[roster.MailStatus]int{roster.MailSent: 10}, wantSleeps: 1},
		{name: "rate exceeded every time: deferred a minute", n: 10, err: func(int) error { return rate },
			wantCalls: 3, want: map[roster.MailStatus]int{roster.MailDeferred: 10}, wantSleeps: 2,
			wantNote: "The mail service is busy; sending again at 2026-11-22 09:31 UTC."},
		{name: "sending paused", n: 5, err: func(int) error { return &SendError{Wait: WaitPaused, Err: errors.New("paused")} },
			wantCalls: 1, want: map[roster.MailStatus]int{roster.MailDeferred: 5},
			wantNote: "Sending is paused on the mail account; trying again at 2026-11-22 10:30 UTC."},
		{name: "service down", n: 5, err: func(int) error { return errors.New("connection refused") },
			wantCalls: 1, want: map[roster.MailStatus]int{roster.MailDeferred: 5},
			wantNote: "The mail service did not answer; trying again at 2026-11-22 09:35 UTC."},
		{name: "the school's daily limit: the rest held", n: 8, limit: 5,
			wantCalls: 1, want: map[roster.MailStatus]int{roster.MailSent: 5, roster.MailHeld: 3},
			wantNote: "This school has sent its daily limit of 5 invitations; this one is held. Send held invitations again after 2026-11-23 00:00 UTC."},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var emails []string
			for i := range tt.n {
				emails = append(emails, fmt.Sprintf("p%03d@x.school", i))
			}
			f := newMailerFixture(t, emails...)
			if tt.outcome != nil {
				f.sender.outcome = tt.outcome
			}
			f.sender.err, f.m.DailyLimit = tt.err, tt.limit
			if retry, _ := f.send(t, records(emails...)); len(retry) != 0 {
				t.Errorf("retry = %v, want none: waiting mail must not hold the stream", retry)
			}
			if got := f.store.statuses(); !maps.Equal(got, tt.want) {
				t.Errorf("statuses = %v, want %v", got, tt.want)
			}
			if len(f.sender.calls) != tt.wantCalls || len(f.sleeps) != tt.wantSleeps {
				t.Errorf("calls = %d, sleeps = %v; want %d calls, %d sleeps", len(f.sender.calls), f.sleeps, tt.wantCalls, tt.wantSleeps)
			}
			for email, note := range f.store.notes {
				if note != tt.wantNote {
					t.Fatalf("note of %s = %q, want %q", email, note, tt.wantNote)
				}
			}
			// A redelivered batch sends nothing again.
			calls := len(f.sender.calls)
			f.send(t, records(emails...))
			if len(f.sender.calls) != calls {
				t.Errorf("a redelivery called SES again")
			}
		})
	}
}

// fakePace is the SENDPACE item: slots handed out one after another.
type fakePace struct{ tat time.Time }

func (p *fakePace) ReserveSend(_ context.Context, now time.Time, d time.Duration) (time.Time, error) {
	start := now
	if p.tat.After(now) {
		start = p.tat
	}
	p.tat = start.Add(d)
	return start, nil
}

func TestAccountPacer(t *testing.T) {
	// Two mailers share one pace: calls of 50 at 100 emails a second go
	// half a second apart whichever mailer makes them.
	pace := &fakePace{}
	var waits []time.Duration
	mk := func() *AccountPacer {
		return &AccountPacer{Store: pace, Rate: 100, Now: func() time.Time { return mailT0 },
			Sleep: func(_ context.Context, d time.Duration) error { waits = append(waits, d); return nil }}
	}
	a, b := mk(), mk()
	for _, p := range []*AccountPacer{a, b, a, b} {
		if err := p.Wait(context.Background(), 50); err != nil {
			t.Fatal(err)
		}
	}
	want := []time.Duration{500 * time.Millisecond, time.Second, 1500 * time.Millisecond}
	if !slices.Equal(waits, want) {
		t.Errorf("waits = %v, want %v (the first call at once)", waits, want)
	}
}

func TestPaceFor(t *testing.T) {
	tests := []struct {
		max      float64
		wantRate float64
		wantTurn int
	}{
		{max: 1000, wantRate: 950, wantTurn: 50},
		{max: 200, wantRate: 180, wantTurn: 20},
		{max: 14, wantRate: 13, wantTurn: 1},
		{max: 1, wantRate: 0.5, wantTurn: 1},
	}
	for _, tt := range tests {
		rate, turn := PaceFor(tt.max)
		if rate != tt.wantRate || turn != tt.wantTurn {
			t.Errorf("PaceFor(%v) = %v, %d; want %v, %d", tt.max, rate, turn, tt.wantRate, tt.wantTurn)
		}
		// Calls of turn emails spaced at rate: within any one second at
		// most floor(rate/turn)+1 calls.
		if got := (float64(int(rate/float64(turn))) + 1) * float64(turn); got > tt.max && tt.max >= 2 {
			t.Errorf("PaceFor(%v): up to %v emails within a second", tt.max, got)
		}
	}
}

// TestMailerTurns: schools send in turns. Records of a school whose turn is
// open are wake-ups only; a small school in the same stream lane as a big
// one is sent after one of the big school's turns, not after all of them.
func TestMailerTurns(t *testing.T) {
	f := newMailerFixture(t)
	var big []string
	for i := range 200 {
		e := fmt.Sprintf("b%03d@big.school", i)
		big = append(big, e)
		f.queueIn("big", e, 1)
	}
	small := []string{"s1@small.school", "s2@small.school"}
	for _, e := range small {
		f.queueIn("small", e, 1)
	}
	// The lane holds the big school's records, then the small school's.
	var lane []QueuedMail
	for _, e := range big {
		lane = append(lane, QueuedMail{RecordID: e, SchoolID: "big", Email: e, SendCount: 1})
	}
	for _, e := range small {
		lane = append(lane, QueuedMail{RecordID: e, SchoolID: "small", Email: e, SendCount: 1})
	}
	for len(lane) > 0 {
		n := min(len(lane), MaxBulk)
		if retry := f.m.Send(context.Background(), lane[:n]); len(retry) != 0 {
			t.Fatalf("retry %v", retry)
		}
		lane = lane[n:]
	}
	// Only the first batch took the big school's turn; its later records
	// were passed over, and the small school had its turn at once.
	sentTo := func() map[string]int {
		out := map[string]int{}
		for _, c := range f.sender.calls {
			for _, e := range c {
				_, domain, _ := strings.Cut(e.To, "@")
				out[domain]++
			}
		}
		return out
	}
	if got := sentTo(); got["big.school"] != MaxBulk || got["small.school"] != 2 {
		t.Fatalf("after the lane's records: sent %v, want one turn of the big school and all of the small one", got)
	}
	// The big school's next turns come from its turn records.
	// Three more full turns of the big school and two that find nothing
	// (the first could be the index lagging); one of the small school that
	// finds nothing after its short one.
	if _, turns := f.send(t, nil); turns != 6 {
		t.Errorf("%d turns, want 6", turns)
	}
	if got := sentTo(); got["big.school"] != 200 || got["small.school"] != 2 || len(f.store.sent) != 202 {
		t.Errorf("in the end sent %v, marked %d", got, len(f.store.sent))
	}

	// A turn record of a turn that has moved on does nothing; an open turn
	// whose record was lost is taken by the school's next mail record.
	f.queueIn("small", "s3@small.school", 1)
	f.store.turns["small"] = roster.MailTurn{Turn: 9, Open: true, At: mailT0}
	calls := len(f.sender.calls)
	f.m.Send(context.Background(), []QueuedMail{{RecordID: "old", SchoolID: "small", Turn: 3}, {RecordID: "s3", SchoolID: "small", Email: "s3@small.school", SendCount: 1}})
	if len(f.sender.calls) != calls {
		t.Fatal("sent while the school's turn was open and fresh")
	}
	f.store.turns["small"] = roster.MailTurn{Turn: 9, Open: true, At: mailT0.Add(-TurnStale - time.Second)}
	f.m.Send(context.Background(), []QueuedMail{{RecordID: "s3", SchoolID: "small", Email: "s3@small.school", SendCount: 1}})
	if len(f.sender.calls) != calls+1 {
		t.Fatal("a lost turn held the school's mail")
	}
}
