package app

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/schoolroster/rosterimport/internal/roster"
)

type fakeMailerStore struct {
	states map[string]roster.MailState
	sent   []roster.SentMail
	failed map[string]string
}

func (f *fakeMailerStore) GetSchool(context.Context, string) (roster.School, error) {
	return roster.School{ID: "s", Name: "Hill & Dale"}, nil
}
func (f *fakeMailerStore) MailStates(_ context.Context, _ string, emails []string) (map[string]roster.MailState, error) {
	out := map[string]roster.MailState{}
	for _, e := range emails {
		if st, ok := f.states[e]; ok {
			out[e] = st
		}
	}
	return out, nil
}
func (f *fakeMailerStore) MarkSent(_ context.Context, sent []roster.SentMail, _ time.Time) error {
	f.sent = append(f.sent, sent...)
	return nil
}
func (f *fakeMailerStore) MarkMailFailed(_ context.Context, _, email string, _ int, reason string) error {
	f.failed[email] = reason
	return nil
}

type fakeSender struct {
	calls   [][]Email
	outcome func(Email) SendOutcome
	err     error
}

func (f *fakeSender) SendBulk(_ context.Context, emails []Email) ([]SendOutcome, error) {
	f.calls = append(f.calls, emails)
	if f.err != nil {
		return nil, f.err
	}
	out := make([]SendOutcome, len(emails))
	for i, e := range emails {
		out[i] = f.outcome(e)
	}
	return out, nil
}

func TestMailerSend(t *testing.T) {
	sealer, _ := roster.NewSealer(strings.Repeat("k", 32))
	queued := func(email string, sendCount int) roster.MailState {
		return roster.MailState{SchoolID: "s", Email: email, FirstName: "F", Status: roster.StatusInvited, MailStatus: roster.MailQueued,
			SendCount: sendCount, SealedToken: sealer.Seal("tok-"+email, "s", email)}
	}
	store := &fakeMailerStore{failed: map[string]string{}, states: map[string]roster.MailState{
		"ok@x.school":       queued("ok@x.school", 1),
		"dup@x.school":      queued("dup@x.school", 1),
		"resent@x.school":   queued("resent@x.school", 2),
		"rejected@x.school": queued("rejected@x.school", 1),
		"later@x.school":    queued("later@x.school", 1),
		"sent@x.school":     {SchoolID: "s", Email: "sent@x.school", Status: roster.StatusInvited, MailStatus: roster.MailSent, SendCount: 1},
		"badseal@x.school":  {SchoolID: "s", Email: "badseal@x.school", Status: roster.StatusInvited, MailStatus: roster.MailQueued, SendCount: 1, SealedToken: "garbage"},
	}}
	sender := &fakeSender{outcome: func(e Email) SendOutcome {
		switch e.To {
		case "rejected@x.school":
			return SendOutcome{Permanent: true, Code: "MESSAGE_REJECTED", Err: errors.New("MESSAGE_REJECTED: Email address is not verified. <script>")}
		case "later@x.school":
			return SendOutcome{Err: errors.New("TRANSIENT_FAILURE")}
		}
		return SendOutcome{MessageID: "m-" + e.To}
	}}
	m := &Mailer{Store: store, Sender: sender, Sealer: sealer, AppBaseURL: "https://app.school/", Now: time.Now,
		Log: slog.New(slog.NewTextHandler(io.Discard, nil))}
	rec := func(id, email string, n int) QueuedMail {
		return QueuedMail{RecordID: id, SchoolID: "s", Email: email, SendCount: n}
	}
	retry := m.Send(context.Background(), []QueuedMail{
		rec("1", "ok@x.school", 1), rec("2", "dup@x.school", 1), rec("3", "dup@x.school", 1), // the same send twice
		rec("4", "resent@x.school", 1), // an older send: a newer record will come
		rec("5", "rejected@x.school", 1), rec("6", "later@x.school", 1), rec("7", "sent@x.school", 1),
		rec("8", "gone@x.school", 1), rec("9", "badseal@x.school", 1),
	})
	if strings.Join(retry, ",") != "6" {
		t.Errorf("retry = %v, want only the transient failure", retry)
	}
	if len(sender.calls) != 1 || len(sender.calls[0]) != 4 {
		t.Fatalf("calls = %v, want one call with ok, dup, rejected, later", sender.calls)
	}
	if got := sender.calls[0][0]; got.AcceptURL != "https://app.school/accept?token=tok-ok%40x.school" || got.SchoolName != "Hill & Dale" {
		t.Errorf("email = %+v", got)
	}
	var marked []string
	for _, s := range store.sent {
		marked = append(marked, s.Email)
	}
	if strings.Join(marked, ",") != "ok@x.school,dup@x.school" {
		t.Errorf("marked sent = %v", marked)
	}
	if store.failed["rejected@x.school"] != "The mail service refused to send this invitation. Check the address, then resend it." {
		t.Errorf("the stored reason is %q, not our own message", store.failed["rejected@x.school"])
	}
	if store.failed["rejected@x.school"] == "" || store.failed["badseal@x.school"] == "" || len(store.failed) != 2 {
		t.Errorf("marked failed = %v", store.failed)
	}

	// A throttled call sends nothing and asks for every record again.
	sender.err = errors.New("throttled")
	if retry := m.Send(context.Background(), []QueuedMail{rec("10", "ok@x.school", 1), rec("11", "later@x.school", 1)}); strings.Join(retry, ",") != "10,11" {
		t.Errorf("retry after throttling = %v", retry)
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
