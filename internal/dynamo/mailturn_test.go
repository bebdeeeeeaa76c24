package dynamo_test

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/schoolroster/rosterimport/internal/roster"
)

// TestMailQueue: queued mail is in its school's queue, oldest first, and
// leaves it when claimed or failed; a re-queued mail comes back.
func TestMailQueue(t *testing.T) {
	ctx := context.Background()
	s := newStore(t)
	const school = "queue"
	newSchool(t, s, school)
	for i := range 5 {
		inv := invitation(school, fmt.Sprintf("p%d@queue.school", i), "IMP1")
		inv.InvitedAt = t0.Add(time.Duration(4-i) * time.Second) // p4 queued first
		if ok, _, err := s.CreateInvitation(ctx, inv); err != nil || !ok {
			t.Fatal(ok, err)
		}
	}
	queue := func(limit int) []string {
		t.Helper()
		refs, err := s.QueuedMails(ctx, school, limit)
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, r := range refs {
			if r.SendCount != 1 || r.SchoolID != school {
				t.Errorf("ref %+v", r)
			}
			out = append(out, r.Email)
		}
		return out
	}
	if got, want := queue(3), []string{"p4@queue.school", "p3@queue.school", "p2@queue.school"}; !slices.Equal(got, want) {
		t.Fatalf("oldest three = %v, want %v", got, want)
	}
	if ok, err := s.ClaimMail(ctx, school, "p4@queue.school", 1, t0.Add(time.Hour)); !ok || err != nil {
		t.Fatal(ok, err)
	}
	if err := s.MarkMailFailed(ctx, school, "p3@queue.school", 1, "no"); err != nil {
		t.Fatal(err)
	}
	if got, want := queue(10), []string{"p2@queue.school", "p1@queue.school", "p0@queue.school"}; !slices.Equal(got, want) {
		t.Fatalf("after a claim and a failure = %v, want %v", got, want)
	}
	// The claimed mail, past its bound, is queued again by the sweeper.
	d := dueOf(t, s, school, t0.Add(2*time.Hour))["p4@queue.school"]
	if ok, err := s.RequeueMail(ctx, d, true, t0.Add(2*time.Hour)); !ok || err != nil {
		t.Fatal(ok, err)
	}
	if got := queue(10); len(got) != 4 || got[3] != "p4@queue.school" {
		t.Fatalf("after a re-queue = %v, want p4 back, last", got)
	}
}

// TestMailTurns: a turn moves on once, whoever tries first.
func TestMailTurns(t *testing.T) {
	ctx := context.Background()
	s := newStore(t)
	const school = "turns"
	newSchool(t, s, school)
	zero, err := s.MailTurn(ctx, school)
	if err != nil || zero != (roster.MailTurn{}) {
		t.Fatalf("a school that never sent: %+v %v", zero, err)
	}
	if ok, err := s.OpenMailTurn(ctx, school, zero, 0, t0); !ok || err != nil {
		t.Fatal(ok, err)
	}
	if ok, _ := s.OpenMailTurn(ctx, school, zero, 0, t0); ok {
		t.Fatal("the first turn opened twice")
	}
	one, _ := s.MailTurn(ctx, school)
	if want := (roster.MailTurn{Turn: 1, Open: true, At: t0}); !one.At.Equal(want.At) || one.Turn != 1 || !one.Open || one.Empty != 0 {
		t.Fatalf("after opening = %+v, want %+v", one, want)
	}
	if ok, _ := s.OpenMailTurn(ctx, school, one, 1, t0); !ok {
		t.Fatal("turn 2 not opened")
	}
	two, _ := s.MailTurn(ctx, school)
	if ok, _ := s.CloseMailTurn(ctx, school, one, t0); ok {
		t.Fatal("a stale turn closed the school's turn")
	}
	if ok, _ := s.CloseMailTurn(ctx, school, two, t0); !ok {
		t.Fatal("turn 2 not closed")
	}
	if got, _ := s.MailTurn(ctx, school); got.Open || got.Turn != 2 || got.Empty != 0 {
		t.Fatalf("after closing = %+v", got)
	}
}

// TestReserveSend: slots handed to many mailers at once follow one another
// without a gap or an overlap.
func TestReserveSend(t *testing.T) {
	ctx := context.Background()
	s := newStore(t)
	now := time.Now().Add(time.Hour).Truncate(time.Millisecond) // past any slot an earlier run took
	const n, slot = 20, 50 * time.Millisecond
	starts := make([]time.Time, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			at, err := s.ReserveSend(ctx, now, slot)
			if err != nil {
				t.Error(err)
			}
			starts[i] = at
		}()
	}
	wg.Wait()
	slices.SortFunc(starts, func(a, b time.Time) int { return a.Compare(b) })
	for i, at := range starts {
		if want := now.Add(time.Duration(i) * slot); !at.Equal(want) {
			t.Fatalf("slot %d starts at +%v, want +%v", i, at.Sub(now), want.Sub(now))
		}
	}
	// An idle account starts at once.
	later := now.Add(time.Hour)
	if at, err := s.ReserveSend(ctx, later, slot); err != nil || !at.Equal(later) {
		t.Fatalf("idle account: %v %v, want now", at, err)
	}
}

// TestSchoolDirectory: one read of the school's users and ids, unless it
// has more than the budget.
func TestSchoolDirectory(t *testing.T) {
	ctx := context.Background()
	s := newStore(t)
	const school = "dir"
	newSchool(t, s, school)
	for i := range 4 {
		inv := invitation(school, fmt.Sprintf("p%d@dir.school", i), "IMP1")
		inv.UserID = fmt.Sprint("U", i)
		if ok, _, err := s.CreateInvitation(ctx, inv); err != nil || !ok {
			t.Fatal(ok, err)
		}
	}
	members, ids, complete, err := s.SchoolDirectory(ctx, school, 100) // the owner, four users, four ids
	if err != nil || !complete {
		t.Fatal(complete, err)
	}
	if len(members) != 5 || members["p2@dir.school"].Status != roster.StatusInvited || members["p2@dir.school"].InvitedByImport != "IMP1" {
		t.Errorf("members = %+v", members)
	}
	if len(ids) != 4 || ids["U3"] != "p3@dir.school" {
		t.Errorf("ids = %v", ids)
	}
	if _, _, complete, err := s.SchoolDirectory(ctx, school, 5); err != nil || complete {
		t.Errorf("with a budget of 5 of 9 items: complete %v, %v; want incomplete", complete, err)
	}
}
