package dynamo_test

import (
	"context"
	"fmt"
	"sync"
	"testing"

	"github.com/schoolroster/rosterimport/internal/app"
	"github.com/schoolroster/rosterimport/internal/dynamo"
	"github.com/schoolroster/rosterimport/internal/roster"
)

func member(school, email string, status roster.UserStatus, groups ...string) roster.Member {
	return roster.Member{SchoolID: school, Email: email, FirstName: "Ann", LastName: "Lee", Groups: groups, Status: status, InvitedAt: t0}
}

func counts(t *testing.T, s *dynamo.Store, school string) map[string]int {
	t.Helper()
	groups, err := s.ListGroups(context.Background(), school)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]int{}
	for _, g := range groups {
		out[g.ID] = g.MemberCount
	}
	return out
}

func TestSaveMember(t *testing.T) {
	ctx := context.Background()
	s := newStore(t)
	newSchool(t, s, "save")
	created, err := s.SaveMember(ctx, app.MemberChange{After: member("save", "ann@save.school", roster.StatusInvited, "students", "parents"), By: "head@save.school"})
	if err != nil || created.Version != 1 {
		t.Fatalf("create = %+v, %v", created, err)
	}
	if c := counts(t, s, "save"); c["students"] != 1 || c["parents"] != 1 || c["staff"] != 1 {
		t.Errorf("counts after create = %v", c)
	}
	_, err = s.SaveMember(ctx, app.MemberChange{After: member("save", "ann@save.school", roster.StatusInvited, "students")})
	wantCode(t, "create twice", err, roster.ECONFLICT)

	// A change from the version read; then one from a stale read.
	changed := created
	changed.Groups = []string{"staff"}
	saved, err := s.SaveMember(ctx, app.MemberChange{Before: &created, After: changed, By: "head@save.school"})
	if err != nil || saved.Version != 2 {
		t.Fatalf("change = %+v, %v", saved, err)
	}
	_, err = s.SaveMember(ctx, app.MemberChange{Before: &created, After: changed})
	wantCode(t, "change from a stale read", err, roster.ECONFLICT)
	if c := counts(t, s, "save"); c["students"] != 0 || c["parents"] != 0 || c["staff"] != 2 {
		t.Errorf("counts after moving groups = %v", c)
	}
	got, err := s.GetMember(ctx, "save", "ann@save.school")
	if err != nil || got.Version != 2 || len(got.Groups) != 1 || got.Groups[0] != "staff" {
		t.Errorf("read back = %+v, %v", got, err)
	}

	// The administrator must still be one when the change is written.
	mgr, _ := s.SaveMember(ctx, app.MemberChange{After: roster.Member{SchoolID: "save", Email: "mgr@save.school", Role: roster.RoleManager, Status: roster.StatusActive, InvitedAt: t0}})
	// An administrator changing their own record is checked on it (a
	// transaction touches an item once).
	renamed := mgr
	renamed.FirstName = "Mo"
	if mgr, err = s.SaveMember(ctx, app.MemberChange{Before: &mgr, After: renamed, By: "mgr@save.school"}); err != nil {
		t.Fatalf("a manager renames themselves: %v", err)
	}
	_, err = s.SaveMember(ctx, app.MemberChange{Before: &mgr, After: mgr, By: "mgr@save.school", OwnerOnly: true})
	wantCode(t, "an owner-only change of oneself by a manager", err, roster.ECONFLICT)
	_, err = s.SaveMember(ctx, app.MemberChange{Before: &got, After: got, By: "mgr@save.school", OwnerOnly: true})
	wantCode(t, "owner-only change by a manager", err, roster.EFORBIDDEN)
	demoted := mgr
	demoted.Role = roster.RoleNone
	if _, err := s.SaveMember(ctx, app.MemberChange{Before: &mgr, After: demoted}); err != nil {
		t.Fatal(err)
	}
	_, err = s.SaveMember(ctx, app.MemberChange{Before: &got, After: got, By: "mgr@save.school"})
	wantCode(t, "change by a demoted manager", err, roster.EFORBIDDEN)
	_, err = s.SaveMember(ctx, app.MemberChange{Before: &got, After: member("save", "ann@save.school", roster.StatusInvited, "no-such-group")})
	wantCode(t, "join a group that does not exist", err, roster.EINVALID)

	// Removal takes the user out of the counts.
	gone := got
	gone.Status = roster.StatusRemoved
	if _, err := s.SaveMember(ctx, app.MemberChange{Before: &got, After: gone}); err != nil {
		t.Fatal(err)
	}
	if c := counts(t, s, "save"); c["staff"] != 1 {
		t.Errorf("counts after removal = %v", c)
	}
}

// TestGroupCountsUnderConcurrentChanges moves 20 users between groups at
// once, each change retried from a fresh read as the use cases do: the
// counts end exact.
func TestGroupCountsUnderConcurrentChanges(t *testing.T) {
	ctx := context.Background()
	s := newStore(t)
	newSchool(t, s, "busy")
	const n = 20
	for i := range n {
		if _, err := s.SaveMember(ctx, app.MemberChange{After: member("busy", fmt.Sprintf("u%02d@busy.school", i), roster.StatusActive, "students")}); err != nil {
			t.Fatal(err)
		}
	}
	// Every user moves to parents while user 0 is renamed by 20 others at once.
	var wg sync.WaitGroup
	errs := make(chan error, 2*n)
	change := func(email string, edit func(*roster.Member)) {
		defer wg.Done()
		for attempt := 0; attempt < 50; attempt++ {
			before, err := s.GetMember(ctx, "busy", email)
			if err != nil {
				errs <- err
				return
			}
			after := before
			edit(&after)
			_, err = s.SaveMember(ctx, app.MemberChange{Before: &before, After: after, By: "head@busy.school"})
			if roster.ErrorCode(err) == roster.ECONFLICT {
				continue
			}
			if err != nil {
				errs <- err
			}
			return
		}
		errs <- fmt.Errorf("%s: still conflicting after 50 attempts", email)
	}
	for i := range n {
		wg.Add(2)
		go change(fmt.Sprintf("u%02d@busy.school", i), func(m *roster.Member) { m.Groups = []string{"parents"} })
		go change("u00@busy.school", func(m *roster.Member) { m.FirstName = fmt.Sprintf("Renamed%02d", i) })
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if c := counts(t, s, "busy"); c["students"] != 0 || c["parents"] != n {
		t.Errorf("counts = %v, want students 0, parents %d", c, n)
	}
}

func TestGroups(t *testing.T) {
	ctx := context.Background()
	s := newStore(t)
	newSchool(t, s, "grp")
	if err := s.CreateGroup(ctx, "grp", roster.Group{ID: "g1", Name: "Year 7", CreatedAt: t0}); err != nil {
		t.Fatal(err)
	}
	wantCode(t, "a name taken in another case", s.CreateGroup(ctx, "grp", roster.Group{ID: "g2", Name: "YEAR 7", CreatedAt: t0}), roster.ECONFLICT)
	wantCode(t, "a default group's name", s.CreateGroup(ctx, "grp", roster.Group{ID: "g3", Name: "students", CreatedAt: t0}), roster.ECONFLICT)

	y7 := roster.Group{ID: "g1", Name: "Year 7"}
	wantCode(t, "rename to a taken name", s.RenameGroup(ctx, "grp", y7, "Staff"), roster.ECONFLICT)
	if err := s.RenameGroup(ctx, "grp", y7, "year 7"); err != nil {
		t.Fatalf("rename in another case: %v", err)
	}
	y7.Name = "year 7"
	if err := s.RenameGroup(ctx, "grp", y7, "Year Seven"); err != nil {
		t.Fatal(err)
	}
	y7.Name = "Year Seven"
	if err := s.CreateGroup(ctx, "grp", roster.Group{ID: "g4", Name: "Year 7", CreatedAt: t0}); err != nil {
		t.Errorf("the old name is free again: %v", err)
	}
	wantCode(t, "rename from a stale read", s.RenameGroup(ctx, "grp", roster.Group{ID: "g1", Name: "Year 7"}, "Other"), roster.ECONFLICT)

	// Members keep the group (by id) through the rename; it cannot go while they are in it.
	if _, err := s.SaveMember(ctx, app.MemberChange{After: member("grp", "kid@grp.school", roster.StatusInvited, "g1")}); err != nil {
		t.Fatal(err)
	}
	err := s.DeleteGroup(ctx, "grp", y7)
	if roster.ErrorCode(err) != roster.ECONFLICT || roster.ErrorMessage(err) != "The group Year Seven has 1 members. Move or remove them before deleting it." {
		t.Errorf("delete a group with members = %v", err)
	}
	if err := s.DeleteGroup(ctx, "grp", roster.Group{ID: "g4", Name: "Year 7"}); err != nil {
		t.Fatal(err)
	}
	wantCode(t, "delete twice", s.DeleteGroup(ctx, "grp", roster.Group{ID: "g4", Name: "Year 7"}), roster.ENOTFOUND)
	groups, _ := s.ListGroups(ctx, "grp")
	var names []string
	for _, g := range groups {
		names = append(names, g.Name)
	}
	if fmt.Sprint(names) != "[Parents Staff Students Year Seven]" {
		t.Errorf("groups = %v", names)
	}
}

func TestMembershipsAndTokens(t *testing.T) {
	ctx := context.Background()
	s := newStore(t)
	newSchool(t, s, "mem-a")
	newSchool(t, s, "mem-b")
	invited := member("mem-a", "sam@mem.school", roster.StatusInvited, "students")
	invited.TokenHash = roster.HashToken("tok-sam")
	if _, err := s.SaveMember(ctx, app.MemberChange{After: invited}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.SaveMember(ctx, app.MemberChange{After: member("mem-b", "sam@mem.school", roster.StatusActive, "staff")}); err != nil {
		t.Fatal(err)
	}
	schools, err := s.MemberSchools(ctx, "sam@mem.school")
	if err != nil || len(schools) != 2 || schools[0].SchoolID != "mem-a" || schools[0].Status != roster.StatusInvited || schools[1].SchoolID != "mem-b" {
		t.Errorf("MemberSchools = %+v, %v", schools, err)
	}
	school, email, err := s.TokenHolder(ctx, roster.HashToken("tok-sam"))
	if err != nil || school != "mem-a" || email != "sam@mem.school" {
		t.Errorf("TokenHolder = %q %q %v", school, email, err)
	}
	_, _, err = s.TokenHolder(ctx, roster.HashToken("nobody's"))
	wantCode(t, "an unknown token", err, roster.ENOTFOUND)

	if err := s.BindSub(ctx, "mem-b", "sam@mem.school", "sub-1"); err != nil {
		t.Fatal(err)
	}
	wantCode(t, "bind a second login", s.BindSub(ctx, "mem-b", "sam@mem.school", "sub-2"), roster.ECONFLICT)
	if m, _ := s.GetMember(ctx, "mem-b", "sam@mem.school"); m.Sub != "sub-1" {
		t.Errorf("sub = %q", m.Sub)
	}
}

func TestSendJobs(t *testing.T) {
	ctx := context.Background()
	s := newStore(t)
	newSchool(t, s, "jobs")
	for i := range 5 {
		m := member("jobs", fmt.Sprintf("h%d@jobs.school", i), roster.StatusInvited, "students")
		m.MailStatus = roster.MailHeld
		if i == 2 {
			m.MailStatus = roster.MailSent
		}
		if _, err := s.SaveMember(ctx, app.MemberChange{After: m}); err != nil {
			t.Fatal(err)
		}
	}
	held, next, err := s.HeldInvitations(ctx, "jobs", "", 3)
	if err != nil || len(held) != 2 || held[0].Email != "h0@jobs.school" || held[1].Email != "h1@jobs.school" || next == "" {
		t.Fatalf("first page = %v %q %v", held, next, err)
	}
	rest, _, err := s.HeldInvitations(ctx, "jobs", next, 10)
	if err != nil || len(rest) != 2 || rest[0].Email != "h3@jobs.school" {
		t.Fatalf("second page = %v %v", rest, err)
	}

	job := roster.SendJob{SchoolID: "jobs", ID: "J1", RequestedBy: "head@jobs.school", CreatedAt: t0}
	if err := s.CreateSendJob(ctx, job); err != nil {
		t.Fatal(err)
	}
	wantCode(t, "create twice", s.CreateSendJob(ctx, job), roster.ECONFLICT)
	if _, err := s.ClaimSendJob(ctx, "jobs", "J1", "seq-1", t0); err != nil {
		t.Fatal(err)
	}
	_, err = s.ClaimSendJob(ctx, "jobs", "J1", "seq-2", t0)
	wantCode(t, "claim by another record", err, roster.ECONFLICT)
	if _, err := s.ClaimSendJob(ctx, "jobs", "J1", "seq-1", t0); err != nil {
		t.Errorf("the same record claims again: %v", err)
	}
	got, err := s.SendJobProgress(ctx, "jobs", "J1", "seq-1", "h1@jobs.school", 2, roster.JobQueued, t0)
	if err != nil || got.Sent != 2 || got.Status != roster.JobQueued || got.Cursor != "h1@jobs.school" || got.Claim != "" {
		t.Fatalf("hand-off = %+v, %v", got, err)
	}
	_, err = s.SendJobProgress(ctx, "jobs", "J1", "seq-1", "", 1, roster.JobDone, t0)
	wantCode(t, "progress after handing off", err, roster.ECONFLICT)
	if _, err := s.ClaimSendJob(ctx, "jobs", "J1", "seq-3", t0); err != nil {
		t.Fatal(err)
	}
	if got, err = s.SendJobProgress(ctx, "jobs", "J1", "seq-3", "", 2, roster.JobDone, t0); err != nil || got.Sent != 4 || got.Status != roster.JobDone {
		t.Errorf("done = %+v, %v", got, err)
	}
	_, err = s.ClaimSendJob(ctx, "jobs", "NOPE", "seq-1", t0)
	wantCode(t, "claim a missing job", err, roster.ENOTFOUND)
}
