package dynamo_test

import (
	"context"
	"testing"
	"time"

	"github.com/schoolroster/rosterimport/internal/dynamo"
	"github.com/schoolroster/rosterimport/internal/roster"
)

func newStore(t *testing.T) *dynamo.Store {
	t.Helper()
	return dynamo.NewStore(emulators.DynamoDB, emulators.Tables["RosterTable"])
}

func TestCreateSchoolAndRead(t *testing.T) {
	ctx := context.Background()
	s := newStore(t)
	created := time.Date(2026, 9, 1, 8, 0, 0, 0, time.UTC)
	if err := s.CreateSchool(ctx, roster.School{ID: "hill", Name: "Hill School", CreatedAt: created}, roster.ActiveOwner("head@hill.school", created)); err != nil {
		t.Fatal(err)
	}

	got, err := s.GetSchool(ctx, "hill")
	if err != nil {
		t.Fatal(err)
	}
	if want := (roster.School{ID: "hill", Name: "Hill School", CreatedAt: created}); got != want {
		t.Errorf("GetSchool = %+v, want %+v", got, want)
	}

	groups, err := s.ListGroups(ctx, "hill")
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	counts := map[string]int{}
	for _, g := range groups {
		names = append(names, g.Name)
		counts[g.Name] = g.MemberCount
	}
	if len(names) != 3 || names[0] != "Parents" || names[1] != "Staff" || names[2] != "Students" || counts["Staff"] != 1 {
		t.Errorf("groups = %v counts %v, want Parents, Staff (1 member), Students", names, counts)
	}

	owner, err := s.GetMember(ctx, "hill", "head@hill.school")
	if err != nil {
		t.Fatal(err)
	}
	if owner.Role != roster.RoleOwner || owner.Status != roster.StatusActive || owner.JoinedAt == nil {
		t.Errorf("owner = %+v", owner)
	}

	// A second create changes nothing and says so.
	err = s.CreateSchool(ctx, roster.School{ID: "hill", Name: "Other Name", CreatedAt: created}, roster.ActiveOwner("intruder@hill.school", created))
	if roster.ErrorCode(err) != roster.ECONFLICT {
		t.Fatalf("second CreateSchool = %v, want conflict", err)
	}
	if again, _ := s.GetSchool(ctx, "hill"); again.Name != "Hill School" {
		t.Errorf("school renamed to %q by a refused create", again.Name)
	}
	if _, err := s.GetMember(ctx, "hill", "intruder@hill.school"); roster.ErrorCode(err) != roster.ENOTFOUND {
		t.Errorf("refused create left a member behind: %v", err)
	}
}

func TestSchoolsDoNotLeak(t *testing.T) {
	ctx := context.Background()
	s := newStore(t)
	for _, id := range []string{"north", "northeast"} {
		if err := s.CreateSchool(ctx, roster.School{ID: id, Name: id, CreatedAt: time.Now()}, roster.ActiveOwner("head@"+id+".school", time.Now())); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := s.GetMember(ctx, "north", "head@northeast.school"); roster.ErrorCode(err) != roster.ENOTFOUND {
		t.Errorf("a member of northeast is visible in north: %v", err)
	}
	groups, err := s.ListGroups(ctx, "north")
	if err != nil || len(groups) != 3 {
		t.Errorf("north has %d groups (%v), want its own 3", len(groups), err)
	}
	if _, err := s.GetSchool(ctx, "nowhere"); roster.ErrorCode(err) != roster.ENOTFOUND {
		t.Errorf("GetSchool(nowhere) = %v, want not found", err)
	}
}
