package dynamo_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/schoolroster/rosterimport/internal/app"
	"github.com/schoolroster/rosterimport/internal/roster"
)

func TestUserIDs(t *testing.T) {
	ctx := context.Background()
	s := newStore(t)
	newSchool(t, s, "ids")
	inv := invitation("ids", "ann@ids.school", "IMP1")
	inv.UserID = "S-1"
	if created, _, err := s.CreateInvitation(ctx, inv); err != nil || !created {
		t.Fatalf("create with an id = %v %v", created, err)
	}
	// The same import again: the user is there, the id is still hers.
	if created, state, err := s.CreateInvitation(ctx, inv); err != nil || created || state.InvitedByImport != "IMP1" {
		t.Fatalf("again = %v %+v %v", created, state, err)
	}
	other := invitation("ids", "bo@ids.school", "IMP1")
	other.UserID = "S-1"
	_, _, err := s.CreateInvitation(ctx, other)
	if roster.ErrorCode(err) != roster.EINVALID || roster.ErrorMessage(err) != "User id S-1 already belongs to ann@ids.school" {
		t.Fatalf("another user with the id = %v", err)
	}
	if _, err := s.GetMember(ctx, "ids", "bo@ids.school"); roster.ErrorCode(err) != roster.ENOTFOUND {
		t.Errorf("the refused user was written: %v", err)
	}
	owners, err := s.UserIDs(ctx, "ids", []string{"S-1", "S-2"})
	if err != nil || len(owners) != 1 || owners["S-1"] != "ann@ids.school" {
		t.Errorf("UserIDs = %v %v", owners, err)
	}

	// Moving an id: the old one is free again, the new one taken.
	ann, _ := s.GetMember(ctx, "ids", "ann@ids.school")
	if ann.UserID != "S-1" {
		t.Fatalf("ann = %+v", ann)
	}
	moved := ann
	moved.UserID = "S-9"
	if _, err := s.SaveMember(ctx, app.MemberChange{Before: &ann, After: moved}); err != nil {
		t.Fatal(err)
	}
	owners, _ = s.UserIDs(ctx, "ids", []string{"S-1", "S-9"})
	if len(owners) != 1 || owners["S-9"] != "ann@ids.school" {
		t.Errorf("after the move = %v", owners)
	}
	bo := roster.Member{SchoolID: "ids", Email: "bo@ids.school", UserID: "S-9", Status: roster.StatusInvited, InvitedAt: t0}
	_, err = s.SaveMember(ctx, app.MemberChange{After: bo})
	if roster.ErrorCode(err) != roster.EINVALID || roster.ErrorMessage(err) != "User id S-9 already belongs to ann@ids.school" {
		t.Errorf("a second user with a taken id = %v", err)
	}
	bo.UserID = "S-1"
	if _, err := s.SaveMember(ctx, app.MemberChange{After: bo}); err != nil {
		t.Errorf("a freed id: %v", err)
	}
}

func TestRelationships(t *testing.T) {
	ctx := context.Background()
	s := newStore(t)
	newSchool(t, s, "rel")
	kid, mum := roster.Pair{Student: "kid@rel.school", Parent: "mum@rel.school"}, roster.Pair{Student: "kid2@rel.school", Parent: "mum@rel.school"}
	link := func(p roster.Pair, typ string) roster.Relationship {
		return roster.Relationship{SchoolID: "rel", Student: p.Student, Parent: p.Parent, Type: typ, CreatedAt: t0, UpdatedAt: t0,
			LastImport: "IMP1", LastOutcome: roster.LinkCreated}
	}
	if err := s.SaveRelationship(ctx, nil, link(kid, "mother")); err != nil {
		t.Fatal(err)
	}
	wantCode(t, "create twice", s.SaveRelationship(ctx, nil, link(kid, "mother")), roster.ECONFLICT)
	if err := s.SaveRelationship(ctx, nil, link(mum, "guardian")); err != nil {
		t.Fatal(err)
	}
	got, err := s.Relationships(ctx, "rel", []roster.Pair{kid, mum, {Student: "x@rel.school", Parent: "y@rel.school"}}, true)
	if err != nil || len(got) != 2 || got[kid].Type != "mother" || got[kid].LastImport != "IMP1" {
		t.Fatalf("Relationships = %+v %v", got, err)
	}
	// Update from the link as read; a stale read is refused.
	was := got[kid]
	now := link(kid, "guardian")
	now.UpdatedAt, now.LastImport, now.LastOutcome = t0.Add(time.Minute), "IMP2", roster.LinkUpdated
	if err := s.SaveRelationship(ctx, &was, now); err != nil {
		t.Fatal(err)
	}
	wantCode(t, "update from a stale read", s.SaveRelationship(ctx, &was, now), roster.ECONFLICT)

	// Both directions, a page at a time.
	for i := range 3 {
		p := roster.Pair{Student: "kid@rel.school", Parent: fmt.Sprintf("carer%d@rel.school", i)}
		if err := s.SaveRelationship(ctx, nil, link(p, "carer")); err != nil {
			t.Fatal(err)
		}
	}
	parents, next, err := s.LinksOf(ctx, "rel", "kid@rel.school", false, "", 3)
	if err != nil || len(parents) != 3 || parents[0].Parent != "carer0@rel.school" || next == "" {
		t.Fatalf("kid's parents page 1 = %v %q %v", parents, next, err)
	}
	rest, next, err := s.LinksOf(ctx, "rel", "kid@rel.school", false, next, 3)
	if err != nil || len(rest) != 1 || rest[0].Parent != "mum@rel.school" || rest[0].Type != "guardian" || next != "" {
		t.Fatalf("kid's parents page 2 = %v %q %v", rest, next, err)
	}
	var children []string
	for after := ""; ; {
		page, n, err := s.LinksOf(ctx, "rel", "mum@rel.school", true, after, 1)
		if err != nil {
			t.Fatal(err)
		}
		for _, l := range page {
			children = append(children, l.Student)
		}
		if after = n; after == "" {
			break
		}
	}
	if fmt.Sprint(children) != "[kid2@rel.school kid@rel.school]" {
		t.Errorf("mum's students = %v", children)
	}
	if err := s.DeleteRelationship(ctx, "rel", mum); err != nil {
		t.Fatal(err)
	}
	wantCode(t, "delete twice", s.DeleteRelationship(ctx, "rel", mum), roster.ENOTFOUND)
	if left, _, _ := s.LinksOf(ctx, "rel", "mum@rel.school", true, "", 10); len(left) != 1 {
		t.Errorf("mum's links after the delete = %v", left)
	}
}
