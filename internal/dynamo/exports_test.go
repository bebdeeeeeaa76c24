package dynamo_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/schoolroster/rosterimport/internal/app"
	"github.com/schoolroster/rosterimport/internal/dynamo"
	"github.com/schoolroster/rosterimport/internal/roster"
)

var exportAt = time.Date(2026, 9, 1, 8, 0, 0, 0, time.UTC)

// exportSchool creates a school with its owner for the export tests.
func exportSchool(t *testing.T, s *dynamo.Store, id string) {
	t.Helper()
	if err := s.CreateSchool(context.Background(), roster.School{ID: id, Name: id + " School", CreatedAt: exportAt},
		roster.ActiveOwner("head@"+id+".school", exportAt)); err != nil {
		t.Fatal(err)
	}
}

func wantExportCode(t *testing.T, what string, err error, code string) {
	t.Helper()
	if got := roster.ErrorCode(err); got != code {
		t.Fatalf("%s: error code %q (%v), want %q", what, got, err, code)
	}
}

func TestExportLifecycle(t *testing.T) {
	ctx := context.Background()
	s := newStore(t)
	exportSchool(t, s, "exp-life")
	exportSchool(t, s, "exp-life-other")
	if _, found, err := s.LatestExport(ctx, "exp-life"); err != nil || found {
		t.Fatalf("latest of a school without exports = %v %v", found, err)
	}
	e := roster.Export{SchoolID: "exp-life", ID: "EXP1", RequestedBy: "head@exp-life.school", CreatedAt: exportAt,
		FileName: "users-exp-life-school-2026-09-01.csv"}
	if err := s.CreateExport(ctx, e); err != nil {
		t.Fatal(err)
	}
	wantExportCode(t, "create twice", s.CreateExport(ctx, e), roster.ECONFLICT)
	got, err := s.GetExport(ctx, "exp-life", "EXP1")
	if err != nil || got.Status != roster.ExportQueued || got.RequestedBy != e.RequestedBy || !got.CreatedAt.Equal(exportAt) ||
		!got.UpdatedAt.Equal(exportAt) || got.FileName != e.FileName || got.Rows != 0 || got.Attempts != 0 || got.ObjectKey != "" {
		t.Fatalf("stored export = %+v, %v", got, err)
	}
	_, err = s.GetExport(ctx, "exp-life-other", "EXP1")
	wantExportCode(t, "another school's export", err, roster.ENOTFOUND)
	_, err = s.GetExport(ctx, "exp-life", "NOSUCH")
	wantExportCode(t, "an unknown export", err, roster.ENOTFOUND)

	// The newest of several, by id (ids sort by time).
	e2 := e
	e2.ID = "EXP2"
	if err := s.CreateExport(ctx, e2); err != nil {
		t.Fatal(err)
	}
	if latest, found, err := s.LatestExport(ctx, "exp-life"); err != nil || !found || latest.ID != "EXP2" {
		t.Fatalf("latest = %+v %v %v, want EXP2", latest, found, err)
	}
	if _, found, err := s.LatestExport(ctx, "exp-life-other"); err != nil || found {
		t.Fatalf("latest of the other school = %v %v", found, err)
	}

	// One claim at a time; the same claim may come back, starting over.
	at := exportAt.Add(time.Minute)
	claimedE, err := s.ClaimExport(ctx, "exp-life", "EXP1", "seq-1", at)
	if err != nil || claimedE.Status != roster.ExportRunning || claimedE.Claim != "seq-1" || claimedE.Attempts != 1 || !claimedE.UpdatedAt.Equal(at) {
		t.Fatalf("claim = %+v, %v", claimedE, err)
	}
	_, err = s.ClaimExport(ctx, "exp-life", "EXP1", "seq-2", at)
	wantExportCode(t, "another claim", err, roster.ECONFLICT)
	_, err = s.ExportProgress(ctx, "exp-life", "EXP1", "seq-2", 5, at)
	wantExportCode(t, "progress under another claim", err, roster.ECONFLICT)
	if p, err := s.ExportProgress(ctx, "exp-life", "EXP1", "seq-1", 1000, at); err != nil || p.Rows != 1000 {
		t.Fatalf("progress = %+v, %v", p, err)
	}
	again, err := s.ClaimExport(ctx, "exp-life", "EXP1", "seq-1", at)
	if err != nil || again.Attempts != 2 || again.Rows != 0 {
		t.Fatalf("claimed again = %+v, %v; want attempt 2 from row 0", again, err)
	}
	_, err = s.FinishExport(ctx, "exp-life", "EXP1", "seq-2", 3, "exports/exp-life/EXP1/users.csv", at)
	wantExportCode(t, "finish under another claim", err, roster.ECONFLICT)
	done, err := s.FinishExport(ctx, "exp-life", "EXP1", "seq-1", 1500, "exports/exp-life/EXP1/users.csv", at.Add(time.Second))
	if err != nil || done.Status != roster.ExportDone || done.Rows != 1500 || done.ObjectKey != "exports/exp-life/EXP1/users.csv" || done.Claim != "" ||
		!done.UpdatedAt.Equal(at.Add(time.Second)) {
		t.Fatalf("done = %+v, %v", done, err)
	}
	// A duplicate record of a done export claims nothing.
	_, err = s.ClaimExport(ctx, "exp-life", "EXP1", "seq-1", at)
	wantExportCode(t, "claim a done export", err, roster.ECONFLICT)
	_, err = s.ClaimExport(ctx, "exp-life", "NOSUCH", "seq-1", at)
	wantExportCode(t, "claim an unknown export", err, roster.ENOTFOUND)

	// Failing: only under the claim, with the reason.
	if _, err := s.ClaimExport(ctx, "exp-life", "EXP2", "seq-3", at); err != nil {
		t.Fatal(err)
	}
	_, err = s.FailExport(ctx, "exp-life", "EXP2", "seq-1", "Too long.", at)
	wantExportCode(t, "fail under another claim", err, roster.ECONFLICT)
	failed, err := s.FailExport(ctx, "exp-life", "EXP2", "seq-3", "Too long.", at)
	if err != nil || failed.Status != roster.ExportFailed || failed.FailureReason != "Too long." || failed.Claim != "" {
		t.Fatalf("failed = %+v, %v", failed, err)
	}
}

func TestSchoolUsersPagesEveryUserByEmail(t *testing.T) {
	ctx := context.Background()
	s := newStore(t)
	exportSchool(t, s, "exp-users")
	exportSchool(t, s, "exp-users-other")
	save := func(m roster.Member) {
		t.Helper()
		if m.InvitedAt.IsZero() {
			m.InvitedAt = exportAt
		}
		if _, err := s.SaveMember(ctx, app.MemberChange{After: m}); err != nil {
			t.Fatalf("save %s: %v", m.Email, err)
		}
	}
	want := []string{"head@exp-users.school"}
	for i := range 7 {
		status := []roster.UserStatus{roster.StatusInvited, roster.StatusActive, roster.StatusRemoved}[i%3]
		m := roster.Member{SchoolID: "exp-users", Email: fmt.Sprintf("u%d@exp-users.school", i), FirstName: "First", LastName: fmt.Sprint("Last", i),
			Groups: []string{"students", "staff"}, Status: status, SealedToken: "sealed", TokenHash: fmt.Sprint("hash", i)}
		if status == roster.StatusInvited {
			m.MailStatus = roster.MailHeld
		}
		if i == 3 {
			m.UserID = "ID-3"
		}
		save(m)
		want = append(want, m.Email)
	}
	save(roster.Member{SchoolID: "exp-users-other", Email: "zz@exp-users-other.school", Groups: []string{"staff"}, Status: roster.StatusActive})
	// Items of other kinds in the partition are not users.
	if err := s.CreateExport(ctx, roster.Export{SchoolID: "exp-users", ID: "EXP1", CreatedAt: exportAt}); err != nil {
		t.Fatal(err)
	}

	var got []roster.Member
	after, pages := "", 0
	for {
		page, next, err := s.SchoolUsers(ctx, "exp-users", after, 3)
		if err != nil {
			t.Fatal(err)
		}
		if pages++; len(page) > 3 || pages > 10 {
			t.Fatalf("page %d has %d users", pages, len(page))
		}
		got = append(got, page...)
		if next == "" {
			break
		}
		after = next
	}
	// "head@" sorts before "u0@": email order is key order.
	var emails []string
	for _, m := range got {
		emails = append(emails, m.Email)
	}
	if fmt.Sprint(emails) != fmt.Sprint(want) {
		t.Fatalf("emails = %v, want %v", emails, want)
	}
	u3 := got[4]
	if u3.SchoolID != "exp-users" || u3.FirstName != "First" || u3.LastName != "Last3" || u3.UserID != "ID-3" || u3.Status != roster.StatusInvited ||
		fmt.Sprint(u3.Groups) != "[students staff]" {
		t.Errorf("u3 = %+v", u3)
	}
	if u3.SealedToken != "" || u3.TokenHash != "" || u3.Version != 0 || !u3.InvitedAt.IsZero() {
		t.Errorf("attributes an export does not write were read: %+v", u3)
	}
	if got[3].Status != roster.StatusRemoved {
		t.Errorf("removed users are exported too: %+v", got[3])
	}
}
