package app

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/schoolroster/rosterimport/internal/roster"
)

type fakeJobs struct {
	*fakeUsers
	job      roster.SendJob
	progress []string
}

var _ SendJobStore = (*fakeJobs)(nil)

func (f *fakeJobs) CreateSendJob(_ context.Context, j roster.SendJob) error { f.job = j; return nil }
func (f *fakeJobs) ClaimSendJob(_ context.Context, _, _, claim string, _ time.Time) (roster.SendJob, error) {
	if f.job.Status != roster.JobQueued && f.job.Claim != claim {
		return roster.SendJob{}, roster.Errorf(roster.ECONFLICT, "moved on")
	}
	f.job.Status, f.job.Claim = roster.JobRunning, claim
	return f.job, nil
}
func (f *fakeJobs) SendJobProgress(_ context.Context, _, _, claim, cursor string, sent int, status roster.JobStatus, _ time.Time) (roster.SendJob, error) {
	if f.job.Claim != claim || f.job.Status != roster.JobRunning {
		return roster.SendJob{}, roster.Errorf(roster.ECONFLICT, "moved on")
	}
	f.job.Cursor, f.job.Sent, f.job.Status = cursor, f.job.Sent+sent, status
	f.progress = append(f.progress, fmt.Sprintf("%s+%d:%s", cursor, sent, status))
	return f.job, nil
}
func (f *fakeJobs) HeldInvitations(_ context.Context, _, after string, limit int) ([]roster.Member, string, error) {
	var emails []string
	for e := range f.members {
		emails = append(emails, e)
	}
	sort.Strings(emails)
	var out []roster.Member
	for i, e := range emails {
		if e <= after {
			continue
		}
		if m := f.members[e]; m.Status == roster.StatusInvited && m.MailStatus == roster.MailHeld {
			out = append(out, m)
		}
		if len(out) == limit {
			next := ""
			if i < len(emails)-1 {
				next = e
			}
			return out, next, nil
		}
	}
	return out, "", nil
}

func TestSendJobSendsEveryHeldInvitationOnce(t *testing.T) {
	ctx := context.Background()
	var members []roster.Member
	for i := range 7 {
		members = append(members, roster.Member{Email: fmt.Sprintf("h%d@hill.school", i), Status: roster.StatusInvited, MailStatus: roster.MailHeld, Version: 1})
	}
	members = append(members, roster.Member{Email: "sent@hill.school", Status: roster.StatusInvited, MailStatus: roster.MailSent, SendCount: 1, Version: 1})
	f := &fakeJobs{fakeUsers: newFakeUsers(members...)}
	sealer, _ := roster.NewSealer(strings.Repeat("k", 32))
	j := &SendJobs{Store: f, Sealer: sealer, Now: func() time.Time { return t0 }, NewID: func() string { return "J1" },
		Log: slog.New(slog.NewTextHandler(io.Discard, nil)), PageSize: 3}
	job, err := j.StartSendJob(ctx, "s1", "mgr@hill.school")
	if err != nil || job.Status != roster.JobQueued || f.job.ID != "J1" {
		t.Fatalf("start = %+v, %v", job, err)
	}
	if err := j.Queued(ctx, "s1", "J1", "seq-1"); err != nil {
		t.Fatal(err)
	}
	if f.job.Status != roster.JobDone || f.job.Sent != 7 {
		t.Errorf("job = %+v, progress %v", f.job, f.progress)
	}
	for _, m := range f.members {
		if m.Email != "sent@hill.school" && (m.MailStatus != roster.MailQueued || m.SendCount != 1 || m.SealedToken == "" || m.UpdatedBy != "mgr@hill.school") {
			t.Errorf("%s = %+v", m.Email, m)
		}
	}
	if f.members["sent@hill.school"].SendCount != 1 {
		t.Error("a sent invitation was sent again")
	}
	// A redelivery of the record after the job is done does nothing.
	if err := j.Queued(ctx, "s1", "J1", "seq-2"); err != nil || len(f.saved) != 7 {
		t.Errorf("redelivered: %v, %d saves", err, len(f.saved))
	}
}

func TestSendJobHandsOffBeforeTheDeadline(t *testing.T) {
	var members []roster.Member
	for i := range 7 {
		members = append(members, roster.Member{Email: fmt.Sprintf("h%d@hill.school", i), Status: roster.StatusInvited, MailStatus: roster.MailHeld, Version: 1})
	}
	f := &fakeJobs{fakeUsers: newFakeUsers(members...), job: roster.SendJob{SchoolID: "s1", ID: "J1", Status: roster.JobQueued}}
	sealer, _ := roster.NewSealer(strings.Repeat("k", 32))
	j := &SendJobs{Store: f, Sealer: sealer, Now: func() time.Time { return t0 }, Log: slog.New(slog.NewTextHandler(io.Discard, nil)),
		PageSize: 3, Reserve: time.Hour}
	// An invocation out of time does one page, then hands off.
	ctx, cancel := context.WithDeadline(context.Background(), time.Now().Add(-time.Second))
	defer cancel()
	if err := j.Queued(ctx, "s1", "J1", "seq-1"); err != nil {
		t.Fatal(err)
	}
	if f.job.Status != roster.JobQueued || f.job.Sent != 3 || f.job.Cursor == "" {
		t.Fatalf("after the first page: %+v", f.job)
	}
	// The fresh invocation goes on from the cursor.
	if err := j.Queued(context.Background(), "s1", "J1", "seq-2"); err != nil {
		t.Fatal(err)
	}
	if f.job.Status != roster.JobDone || f.job.Sent != 7 {
		t.Errorf("finished = %+v (%v)", f.job, f.progress)
	}
}
