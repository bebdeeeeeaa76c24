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
	day    int // sends reserved today
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
	f := &mailerFixture{sealer: sealer, store: &fakeMailerStore{failed: map[string]string{}, notes: map[string]string{}, states: map[string]roster.MailState{}},
		sender: &fakeSender{outcome: sent}}
	for _, e := range emails {
		f.queue(e, 1)
	}
	f.m = &Mailer{Store: f.store, Sender: f.sender, Sealer: sealer, AppBaseURL: "https://app.school/", Now: func() time.Time { return mailT0 },
		Sleep: func(_ context.Context, d time.Duration) error { f.sleeps = append(f.sleeps, d); return nil },
		Log:   slog.New(slog.NewTextHandler(io.Discard, nil))}
	return f
}

func (f *mailerFixture) queue(email string, n int) {
	f.store.states[email] = roster.MailState{SchoolID: "s", Email: email, FirstName: "F", Status: roster.StatusInvited, MailStatus: roster.MailQueued,
		SendCount: n, SealedToken: f.sealer.Seal("tok-"+email, "s", email)}
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
	retry := f.m.Send(context.Background(), records("ok@x.school", "dup@x.school", "dup@x.school", // the same send twice
		"resent@x.school",                                        // an older send: a newer record will come
		"rejected@x.school", "sent@x.school", "claimed@x.school", // claimed by another worker: nothing to send
		"gone@x.school", "badseal@x.school", "zoe@école.fr", "zoë@x.school"))
	if len(retry) != 0 {
		t.Errorf("retry = %v, want none", retry)
	}
	if len(f.sender.calls) != 1 || len(f.sender.calls[0]) != 4 {
		t.Fatalf("calls = %v, want one call with ok, dup, rejected, zoe", f.sender.calls)
	}
	if got := f.sender.calls[0][0]; got.AcceptURL != "https://app.school/accept?token=tok-ok%40x.school" || got.SchoolName != "Hill & Dale" {
		t.Errorf("email = %+v", got)
	}
	if got := f.sender.calls[0][3].To; got != "zoe@xn--cole-9oa.fr" {
		t.Errorf("an IDN domain is sent as %q, want punycode", got)
	}
	var marked []string
	for _, s := range f.store.sent {
		marked = append(marked, s.Email)
	}
	if strings.Join(marked, ",") != "ok@x.school,dup@x.school,zoe@école.fr" {
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
			wantCalls: 2, want: map[roster.MailStatus]int{roster.MailSent: 70, roster.MailDeferred: 50},
			wantNote: "Daily sending quota reached; sending resumes at 2026-11-22 10:30 UTC."},
		{name: "quota spent before the call", n: 60, err: func(int) error { return &SendError{Wait: WaitQuota, Err: errors.New("Daily message quota exceeded.")} },
			wantCalls: 1, want: map[roster.MailStatus]int{roster.MailDeferred: 60},
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
			if retry := f.m.Send(context.Background(), records(emails...)); len(retry) != 0 {
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
			f.m.Send(context.Background(), records(emails...))
			if len(f.sender.calls) != calls {
				t.Errorf("a redelivery called SES again")
			}
		})
	}
}

func TestPacer(t *testing.T) {
	var waits []time.Duration
	p := &Pacer{Rate: 100, sleep: func(_ context.Context, d time.Duration) error { waits = append(waits, d); return nil }}
	for i := 0; i < 4; i++ {
		if err := p.Wait(context.Background(), 50); err != nil {
			t.Fatal(err)
		}
	}
	// 50 emails at 100 a second take half a second: batch k may go k/2 s
	// after the first (no time passes in the fake sleep, so the waits show
	// the schedule).
	if len(waits) != 3 {
		t.Fatalf("waits = %v, want the first batch at once and three waits", waits)
	}
	for i, w := range waits {
		want := time.Duration(i+1) * 500 * time.Millisecond
		if w < want-10*time.Millisecond || w > want {
			t.Errorf("wait %d = %v, want about %v", i, w, want)
		}
	}
}
