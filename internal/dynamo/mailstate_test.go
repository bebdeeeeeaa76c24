package dynamo_test

import (
	"context"
	"testing"
	"time"

	"github.com/schoolroster/rosterimport/internal/dynamo"
	"github.com/schoolroster/rosterimport/internal/roster"
)

// dueOf returns the school's work due by now, by email or import id.
func dueOf(t *testing.T, s *dynamo.Store, school string, now time.Time) map[string]roster.DueItem {
	t.Helper()
	out := map[string]roster.DueItem{}
	for shard := range dynamo.DueShards {
		items, err := s.DueWork(context.Background(), shard, now, 1000)
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range items {
			if d.SchoolID == school {
				out[d.Email+d.ImportID] = d
			}
		}
	}
	return out
}

func readMember(t *testing.T, s *dynamo.Store, school, email string) roster.Member {
	t.Helper()
	m, err := s.GetMember(context.Background(), school, email)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func TestMailLifecycle(t *testing.T) {
	ctx := context.Background()
	s := newStore(t)
	const school = "mailflow"
	newSchool(t, s, school)
	emails := []string{"sent@mailflow.school", "waits@mailflow.school", "refused@mailflow.school", "lost@mailflow.school", "held@mailflow.school"}
	for _, e := range emails {
		if ok, _, err := s.CreateInvitation(ctx, invitation(school, e, "IMP1")); err != nil || !ok {
			t.Fatalf("create %s: %v %v", e, ok, err)
		}
	}
	// Queued mail is due an hour after it was queued, not before.
	if got := dueOf(t, s, school, t0.Add(roster.MailRedriveAfter-time.Second)); len(got) != 0 {
		t.Fatalf("due before the bound: %v", got)
	}
	due := dueOf(t, s, school, t0.Add(roster.MailRedriveAfter))
	if len(due) != len(emails) || due["lost@mailflow.school"].Status != "queued" || due["lost@mailflow.school"].SendCount != 1 {
		t.Fatalf("due at the bound = %+v", due)
	}

	// A claim holds once, for its send only.
	claim := t0.Add(time.Minute)
	for _, e := range []string{"sent@mailflow.school", "waits@mailflow.school", "refused@mailflow.school", "held@mailflow.school"} {
		if ok, err := s.ClaimMail(ctx, school, e, 1, claim.Add(roster.MailClaimTimeout)); err != nil || !ok {
			t.Fatalf("claim %s = %v %v", e, ok, err)
		}
	}
	if ok, err := s.ClaimMail(ctx, school, "sent@mailflow.school", 1, claim); err != nil || ok {
		t.Fatalf("second claim = %v %v, want false", ok, err)
	}
	if ok, err := s.ClaimMail(ctx, school, "lost@mailflow.school", 2, claim); err != nil || ok {
		t.Fatalf("claim of another send = %v %v, want false", ok, err)
	}
	if m := readMember(t, s, school, "sent@mailflow.school"); m.MailStatus != roster.MailSending || m.MailDueAt == nil || !m.MailDueAt.Equal(claim.Add(roster.MailClaimTimeout)) || m.Version != 2 {
		t.Fatalf("claimed = %+v", m)
	}

	// Sent: the token, the note and the due time go.
	if err := s.MarkSent(ctx, []roster.SentMail{{SchoolID: school, Email: "sent@mailflow.school", SendCount: 1, MessageID: "m1"}}, claim); err != nil {
		t.Fatal(err)
	}
	if m := readMember(t, s, school, "sent@mailflow.school"); m.MailStatus != roster.MailSent || m.SealedToken != "" || m.MailMessageID != "m1" || m.MailDueAt != nil {
		t.Fatalf("sent = %+v", m)
	}
	// Deferred with a note, until its time.
	resume := t0.Add(2 * time.Hour)
	if err := s.DeferMail(ctx, school, "waits@mailflow.school", 1, "Daily sending quota reached.", resume); err != nil {
		t.Fatal(err)
	}
	if m := readMember(t, s, school, "waits@mailflow.school"); m.MailStatus != roster.MailDeferred || m.MailNote != "Daily sending quota reached." || m.SealedToken == "" {
		t.Fatalf("deferred = %+v", m)
	}
	// Refused for good, and held by the school's limit.
	if err := s.MarkMailFailed(ctx, school, "refused@mailflow.school", 1, "The mail service refused it."); err != nil {
		t.Fatal(err)
	}
	if err := s.HoldMail(ctx, school, "held@mailflow.school", 1, "Daily limit reached."); err != nil {
		t.Fatal(err)
	}
	if m := readMember(t, s, school, "refused@mailflow.school"); m.MailStatus != roster.MailFailed || m.MailError != "The mail service refused it." || m.SealedToken != "" {
		t.Fatalf("failed = %+v", m)
	}
	if m := readMember(t, s, school, "held@mailflow.school"); m.MailStatus != roster.MailHeld || m.MailNote != "Daily limit reached." || m.SealedToken != "" {
		t.Fatalf("held = %+v", m)
	}

	// The sweeper's view: the deferred mail when its time comes, the lost
	// one; never the sent, failed or held ones.
	due = dueOf(t, s, school, resume)
	if len(due) != 2 || due["waits@mailflow.school"].Status != "deferred" || due["lost@mailflow.school"].Status != "queued" {
		t.Fatalf("due at %v = %+v", resume, due)
	}
	if ok, err := s.RequeueMail(ctx, due["waits@mailflow.school"], false, resume); err != nil || !ok {
		t.Fatalf("requeue deferred = %v %v", ok, err)
	}
	if ok, err := s.RequeueMail(ctx, due["waits@mailflow.school"], false, resume); err != nil || ok {
		t.Fatalf("requeue from a stale find = %v %v, want false", ok, err)
	}
	if m := readMember(t, s, school, "waits@mailflow.school"); m.MailStatus != roster.MailQueued || m.MailDueAt != nil {
		t.Fatalf("requeued = %+v", m)
	}
	// A lost mail is counted each time it is re-driven, then failed.
	lost := due["lost@mailflow.school"]
	for i := 1; i <= 2; i++ {
		if ok, err := s.RequeueMail(ctx, lost, true, resume); err != nil || !ok {
			t.Fatalf("requeue lost %d = %v %v", i, ok, err)
		}
		resume = resume.Add(roster.MailRedriveAfter)
		lost = dueOf(t, s, school, resume)["lost@mailflow.school"]
		if lost.Redrives != i || lost.Status != "queued" {
			t.Fatalf("after %d re-drives = %+v", i, lost)
		}
	}
	if ok, err := s.FailStuckMail(ctx, lost, "Gave up."); err != nil || !ok {
		t.Fatalf("fail stuck = %v %v", ok, err)
	}
	if m := readMember(t, s, school, "lost@mailflow.school"); m.MailStatus != roster.MailFailed || m.MailError != "Gave up." || m.SealedToken != "" {
		t.Fatalf("stuck failed = %+v", m)
	}
	if got := dueOf(t, s, school, resume.Add(24*time.Hour)); len(got) != 1 || got["waits@mailflow.school"].Status != "queued" {
		t.Fatalf("left due = %+v, want only the re-queued mail", got)
	}
}

func TestReserveDailyMail(t *testing.T) {
	ctx := context.Background()
	s := newStore(t)
	newSchool(t, s, "daily")
	tests := []struct{ ask, want int }{{3, 3}, {3, 2}, {1, 0}}
	for _, tt := range tests {
		got, err := s.ReserveDailyMail(ctx, "daily", "2026-09-01", tt.ask, 5)
		if err != nil || got != tt.want {
			t.Fatalf("reserve %d = %d %v, want %d", tt.ask, got, err, tt.want)
		}
	}
	if got, err := s.ReserveDailyMail(ctx, "daily", "2026-09-02", 4, 5); err != nil || got != 4 {
		t.Fatalf("a new day = %d %v, want 4", got, err)
	}
}

func TestImportDue(t *testing.T) {
	ctx := context.Background()
	s := newStore(t)
	const school = "importdue"
	newSchool(t, s, school)
	newImport(t, s, school, "IMP-V", t0)
	if _, err := s.ClaimValidation(ctx, school, "IMP-V", "upload", t0); err != nil {
		t.Fatal(err)
	}
	newImport(t, s, school, "IMP-I", t0)
	if _, err := s.ClaimValidation(ctx, school, "IMP-I", "upload", t0); err != nil {
		t.Fatal(err)
	}
	if _, err := s.SavePreview(ctx, school, "IMP-I", "upload", roster.PreviewResult{ToImport: 1}, t0); err != nil {
		t.Fatal(err)
	}
	if got := dueOf(t, s, school, t0.Add(24*time.Hour)); len(got) != 1 || got["IMP-V"].Status != "validating" {
		t.Fatalf("due after preview = %+v, want only the validating import", got)
	}
	if _, err := s.ConfirmImport(ctx, school, "IMP-I", "head@importdue.school", roster.ConfirmOptions{SendInvitations: true}, 1, t0); err != nil {
		t.Fatal(err)
	}
	if _, err := s.ClaimImport(ctx, school, "IMP-I", "rec-1", t0); err != nil {
		t.Fatal(err)
	}
	due := dueOf(t, s, school, t0.Add(roster.ImportStallAfter))
	if len(due) != 2 || due["IMP-V"].Due != t0.Add(roster.ValidateTimeout) || due["IMP-I"].Status != "importing" {
		t.Fatalf("due = %+v", due)
	}
	if _, err := s.FailStuckImport(ctx, due["IMP-V"], "Checking did not finish.", t0.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	imp, err := s.RequeueStuckImport(ctx, due["IMP-I"], t0.Add(time.Hour))
	if err != nil || imp.Status != roster.ImportQueued {
		t.Fatalf("requeue stalled = %+v %v", imp, err)
	}
	_, err = s.RequeueStuckImport(ctx, due["IMP-I"], t0.Add(time.Hour))
	wantCode(t, "requeue from a stale find", err, roster.ECONFLICT)
	if imp, _ := s.GetImport(ctx, school, "IMP-V"); imp.Status != roster.ImportFailed || imp.FailureReason != "Checking did not finish." {
		t.Fatalf("failed preview = %+v", imp)
	}
	// The confirm function takes the re-driven import from queued.
	if _, err := s.ClaimImport(ctx, school, "IMP-I", "rec-2", t0.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	if got := dueOf(t, s, school, t0.Add(time.Hour+roster.ImportStallAfter)); len(got) != 1 || got["IMP-I"].Redrives != 1 {
		t.Fatalf("due after re-drive = %+v", got)
	}
}
