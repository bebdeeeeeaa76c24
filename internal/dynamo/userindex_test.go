package dynamo_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/schoolroster/rosterimport/internal/app"
	"github.com/schoolroster/rosterimport/internal/dynamo"
	"github.com/schoolroster/rosterimport/internal/roster"
)

// indexed saves a member and indexes it, as the indexer would from the stream.
func indexed(t *testing.T, s *dynamo.Store, before *roster.Member, after roster.Member) roster.Member {
	t.Helper()
	ctx := context.Background()
	saved, err := s.SaveMember(ctx, app.MemberChange{Before: before, After: after})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Reindex(ctx, before, &saved); err != nil {
		t.Fatal(err)
	}
	return saved
}

func listEmails(t *testing.T, s *dynamo.Store, q app.UserQuery) ([]string, app.UserPage) {
	t.Helper()
	if q.Limit == 0 {
		q.Limit = 50
	}
	page, err := s.ListUsers(context.Background(), q)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, m := range page.Members {
		out = append(out, strings.TrimSuffix(m.Email, "@ix.school"))
	}
	return out, page
}

func TestUsersList(t *testing.T) {
	s := newStore(t)
	newSchool(t, s, "ix")
	people := []struct{ email, first, last, group string }{
		{"zoe", "Zoë", "Brown", "students"},
		{"ali", "Ali", "McAllister", "staff"},
		{"obrien", "Seán", "O'Brien", "parents"},
		{"zack", "Zack", "Adams", "students"},
		{"mo", "Mo", "Zola", "parents"},
		{"j.smith", "Jo", "Smith", "staff"},
	}
	members := map[string]roster.Member{}
	for _, p := range people {
		m := roster.Member{SchoolID: "ix", Email: p.email + "@ix.school", FirstName: p.first, LastName: p.last,
			Groups: []string{p.group}, Status: roster.StatusInvited, InvitedAt: t0}
		members[p.email] = indexed(t, s, nil, m)
	}
	active := members["ali"]
	active.Status = roster.StatusActive
	members["ali"] = indexed(t, s, ptr(members["ali"]), active)
	gone := members["mo"]
	gone.Status = roster.StatusRemoved
	members["mo"] = indexed(t, s, ptr(members["mo"]), gone)

	for _, tt := range []struct {
		name string
		q    app.UserQuery
		want string
	}{
		{"everyone current, by last name", app.UserQuery{}, "zack,zoe,ali,obrien,j.smith"},
		{"an email whose local part starts with one letter", app.UserQuery{Search: roster.ParseSearch("J.Smith@ix")}, "j.smith"},
		{"search zo: first and last names, accents", app.UserQuery{Search: roster.ParseSearch("zo")}, "zoe"},
		{"search mc", app.UserQuery{Search: roster.ParseSearch("MC")}, "ali"},
		{"search an apostrophe name", app.UserQuery{Search: roster.ParseSearch("obri")}, "obrien"},
		{"search by email", app.UserQuery{Search: roster.ParseSearch("zack@ix")}, "zack"},
		{"search two words", app.UserQuery{Search: roster.ParseSearch("zoe br")}, "zoe"},
		{"search z", app.UserQuery{Search: roster.ParseSearch("z")}, "zack,zoe"},
		{"group", app.UserQuery{GroupID: "students"}, "zack,zoe"},
		{"status active", app.UserQuery{Status: roster.StatusActive}, "ali"},
		{"removed only when asked for", app.UserQuery{Status: roster.StatusRemoved}, "mo"},
		{"group, status and search", app.UserQuery{GroupID: "students", Status: roster.StatusInvited, Search: roster.ParseSearch("za")}, "zack"},
		{"nothing matches", app.UserQuery{Search: roster.ParseSearch("qq")}, ""},
	} {
		t.Run(tt.name, func(t *testing.T) {
			tt.q.SchoolID = "ix"
			got, _ := listEmails(t, s, tt.q)
			if strings.Join(got, ",") != tt.want {
				t.Errorf("list = %v, want %s", got, tt.want)
			}
		})
	}

	// Pages follow each other without a gap or a repeat.
	first, page := listEmails(t, s, app.UserQuery{SchoolID: "ix", Limit: 3})
	if fmt.Sprint(first) != "[zack zoe ali]" || page.Next == "" {
		t.Fatalf("page 1 = %v next %q", first, page.Next)
	}
	second, page2 := listEmails(t, s, app.UserQuery{SchoolID: "ix", Limit: 3, After: page.Next})
	if fmt.Sprint(second) != "[obrien j.smith]" || page2.Next != "" {
		t.Errorf("page 2 = %v next %q", second, page2.Next)
	}
	if page.ItemsRead > 2*3 {
		t.Errorf("a page of 3 read %d items", page.ItemsRead)
	}

	// A rename moves the user in the order and the search; the old entries go.
	renamed := members["zoe"]
	renamed.LastName = "Young"
	indexed(t, s, ptr(members["zoe"]), renamed)
	if got, _ := listEmails(t, s, app.UserQuery{SchoolID: "ix"}); fmt.Sprint(got) != "[zack ali obrien j.smith zoe]" {
		t.Errorf("after rename = %v", got)
	}
	if got, _ := listEmails(t, s, app.UserQuery{SchoolID: "ix", Search: roster.ParseSearch("br")}); len(got) != 0 {
		t.Errorf("the old name still finds: %v", got)
	}
	// An index entry the indexer has not caught up with yet is checked
	// against the user as it is now.
	stale := members["zack"]
	stale.Status = roster.StatusRemoved
	if _, err := s.SaveMember(context.Background(), app.MemberChange{Before: ptr(members["zack"]), After: stale}); err != nil {
		t.Fatal(err)
	}
	if got, _ := listEmails(t, s, app.UserQuery{SchoolID: "ix", GroupID: "students"}); fmt.Sprint(got) != "[zoe]" {
		t.Errorf("with a stale entry = %v", got)
	}
	// Reindexing the same change twice (a redelivered record) changes nothing.
	if err := s.Reindex(context.Background(), ptr(members["zack"]), &stale); err != nil {
		t.Fatal(err)
	}
	if err := s.Reindex(context.Background(), ptr(members["zack"]), &stale); err != nil {
		t.Fatal(err)
	}
	if got, _ := listEmails(t, s, app.UserQuery{SchoolID: "ix", Status: roster.StatusRemoved}); fmt.Sprint(got) != "[zack mo]" {
		t.Errorf("removed after reindex = %v", got)
	}
}

func ptr[T any](v T) *T { return &v }
