package app

import (
	"context"
	"fmt"
	"sort"
	"testing"

	"github.com/schoolroster/rosterimport/internal/roster"
)

// fakeLinks is a LinkStore over links in memory, paged by the other party's email.
type fakeLinks struct {
	users   *fakeUsers
	ids     map[string]string
	links   []roster.Relationship
	deleted []roster.Pair
}

var _ LinkStore = (*fakeLinks)(nil)

func (f *fakeLinks) UserIDs(_ context.Context, _ string, ids []string) (map[string]string, error) {
	out := map[string]string{}
	for _, id := range ids {
		if e, ok := f.ids[id]; ok {
			out[id] = e
		}
	}
	return out, nil
}
func (f *fakeLinks) Members(_ context.Context, _ string, emails []string) (map[string]roster.Member, error) {
	out := map[string]roster.Member{}
	for _, e := range emails {
		if m, ok := f.users.members[e]; ok {
			out[e] = m
		}
	}
	return out, nil
}
func (f *fakeLinks) LinksOf(_ context.Context, _, email string, asParent bool, after string, limit int) ([]roster.Relationship, string, error) {
	var mine []roster.Relationship
	other := func(l roster.Relationship) string {
		if asParent {
			return l.Student
		}
		return l.Parent
	}
	for _, l := range f.links {
		if (asParent && l.Parent == email || !asParent && l.Student == email) && other(l) > after {
			mine = append(mine, l)
		}
	}
	sort.Slice(mine, func(i, j int) bool { return other(mine[i]) < other(mine[j]) })
	if len(mine) > limit {
		return mine[:limit], other(mine[limit-1]), nil
	}
	return mine, "", nil
}
func (f *fakeLinks) DeleteRelationship(_ context.Context, _ string, p roster.Pair) error {
	for i, l := range f.links {
		if l.Student == p.Student && l.Parent == p.Parent {
			f.links = append(f.links[:i], f.links[i+1:]...)
			f.deleted = append(f.deleted, p)
			return nil
		}
	}
	return roster.Errorf(roster.ENOTFOUND, "These two people are not linked.")
}

func linksFixture() (*Users, *fakeLinks) {
	users := everyone()
	for _, m := range []roster.Member{
		{Email: "mum@hill.school", FirstName: "Mia", Status: roster.StatusActive, UserID: "P1"},
		{Email: "kid2@hill.school", FirstName: "Kai", Status: roster.StatusRemoved},
	} {
		m.SchoolID = "s1"
		users.members[m.Email] = m
	}
	links := &fakeLinks{users: users, ids: map[string]string{"P1": "mum@hill.school", "K1": "kid@hill.school"}}
	for _, kid := range []string{"kid@hill.school", "kid2@hill.school", "new@hill.school"} {
		links.links = append(links.links, roster.Relationship{SchoolID: "s1", Student: kid, Parent: "mum@hill.school", Type: "mother"})
	}
	u := testUsers(users)
	u.Links = links
	return u, links
}

func TestRelationshipsAPI(t *testing.T) {
	ctx := context.Background()
	u, links := linksFixture()
	describe := func(l LinkList) string {
		var out []string
		for _, v := range l.Relationships {
			out = append(out, fmt.Sprintf("%s>%s %s %v", v.Student.Email, v.Parent.Email, v.Type, v.Active))
		}
		return fmt.Sprint(out)
	}
	// A parent by id, two to a page: the removed child's link is kept, inactive.
	page, err := u.Relationships(ctx, asManager, "s1", ListLinksRequest{Parent: "P1", Limit: 2})
	if err != nil || describe(page) != "[kid2@hill.school>mum@hill.school mother false kid@hill.school>mum@hill.school mother true]" || page.NextCursor == "" {
		t.Fatalf("page 1 = %s %q %v", describe(page), page.NextCursor, err)
	}
	if page.Relationships[1].Student.FirstName != "Kim" || page.Relationships[0].Parent.UserID != "P1" {
		t.Errorf("people = %+v", page.Relationships)
	}
	next, err := u.Relationships(ctx, asManager, "s1", ListLinksRequest{Parent: "mum@hill.school", Limit: 2, Cursor: page.NextCursor})
	if err != nil || describe(next) != "[new@hill.school>mum@hill.school mother true]" || next.NextCursor != "" {
		t.Errorf("page 2 = %s %v", describe(next), err)
	}
	// A student by email.
	if l, err := u.Relationships(ctx, asManager, "s1", ListLinksRequest{Student: "KID@hill.school"}); err != nil || len(l.Relationships) != 1 {
		t.Errorf("a student's parents = %s %v", describe(l), err)
	}
	for name, tt := range map[string]struct {
		req  ListLinksRequest
		code string
	}{
		"neither":                    {ListLinksRequest{}, roster.EINVALID},
		"both":                       {ListLinksRequest{Student: "K1", Parent: "P1"}, roster.EINVALID},
		"an id nobody has":           {ListLinksRequest{Student: "K9"}, roster.ENOTFOUND},
		"a cursor of another person": {ListLinksRequest{Student: "kid@hill.school", Cursor: page.NextCursor}, roster.EINVALID},
		"a limit over 100":           {ListLinksRequest{Student: "K1", Limit: 101}, roster.EINVALID},
	} {
		if _, err := u.Relationships(ctx, asManager, "s1", tt.req); roster.ErrorCode(err) != tt.code {
			t.Errorf("%s: %v, want %s", name, err, tt.code)
		}
	}
	if _, err := u.Relationships(ctx, caller("kid@hill.school", "sub-kid"), "s1", ListLinksRequest{Student: "K1"}); roster.ErrorCode(err) != roster.EFORBIDDEN {
		t.Errorf("a member without a role: %v", err)
	}

	// Unlink, each side by email or id.
	if err := u.Unlink(ctx, asManager, "s1", "K1", "mum@hill.school"); err != nil || len(links.deleted) != 1 || links.deleted[0].Student != "kid@hill.school" {
		t.Fatalf("unlink = %v %v", err, links.deleted)
	}
	if err := u.Unlink(ctx, asManager, "s1", "K1", "P1"); roster.ErrorCode(err) != roster.ENOTFOUND {
		t.Errorf("unlink again = %v", err)
	}
	// A user's page lists their links both ways.
	v, err := u.Get(ctx, asManager, "s1", "mum@hill.school")
	if err != nil || len(v.Relationships) != 2 || v.UserID != "P1" {
		t.Errorf("mum's page = %+v %v", v.Relationships, err)
	}
}
