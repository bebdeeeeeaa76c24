package app

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/schoolroster/rosterimport/internal/roster"
)

type fakeGroups struct {
	*fakeUsers
	created, renamed, deleted []string
	deleteErr                 error
}

var _ GroupStore = (*fakeGroups)(nil)

func (f *fakeGroups) CreateGroup(_ context.Context, _ string, g roster.Group) error {
	for _, have := range []string{"parents", "staff", "students"} {
		if roster.GroupKey(g.Name) == have {
			return roster.Errorf(roster.ECONFLICT, "A group named %s already exists.", g.Name)
		}
	}
	f.created = append(f.created, g.ID+"="+g.Name)
	return nil
}
func (f *fakeGroups) RenameGroup(_ context.Context, _ string, g roster.Group, name string) error {
	f.renamed = append(f.renamed, g.ID+"="+name)
	return nil
}
func (f *fakeGroups) DeleteGroup(_ context.Context, _ string, g roster.Group) error {
	f.deleted = append(f.deleted, g.ID)
	return f.deleteErr
}

func TestGroupUseCases(t *testing.T) {
	ctx := context.Background()
	f := &fakeGroups{fakeUsers: everyone()}
	g := &Groups{Store: f, Now: func() time.Time { return t0 }, NewID: func() string { return "G1" }}
	if got, err := g.Create(ctx, asManager, "s1", GroupRequest{Name: "  Year   7 "}); err != nil || got.ID != "G1" || got.Name != "Year 7" {
		t.Fatalf("Create = %+v, %v", got, err)
	}
	for name, bad := range map[string]string{"empty": " ", "too long": strings.Repeat("x", roster.MaxGroupName+1)} {
		if _, err := g.Create(ctx, asManager, "s1", GroupRequest{Name: bad}); roster.ErrorCode(err) != roster.EINVALID {
			t.Errorf("%s name: %v", name, err)
		}
	}
	_, err := g.Create(ctx, asManager, "s1", GroupRequest{Name: "STAFF"})
	wantMessage(t, err, roster.ECONFLICT, "A group named STAFF already exists.")

	if got, err := g.Rename(ctx, asManager, "s1", "Parents", GroupRequest{Name: "Carers"}); err != nil || got.ID != "parents" || got.Name != "Carers" {
		t.Errorf("Rename by name = %+v, %v", got, err)
	}
	if _, err := g.Rename(ctx, asManager, "s1", "staff", GroupRequest{Name: "Staff"}); err != nil || len(f.renamed) != 1 {
		t.Errorf("a rename to the same name wrote: %v %v", f.renamed, err)
	}
	_, err = g.Rename(ctx, asManager, "s1", "nope", GroupRequest{Name: "X"})
	wantMessage(t, err, roster.ENOTFOUND, "Group not found.")

	f.deleteErr = roster.Errorf(roster.ECONFLICT, "The group Staff has 2 members. Move or remove them before deleting it.")
	err = g.Delete(ctx, asManager, "s1", "staff")
	wantMessage(t, err, roster.ECONFLICT, "The group Staff has 2 members. Move or remove them before deleting it.")

	_, err = g.List(ctx, caller("kid@hill.school", "sub-kid"), "s1")
	wantMessage(t, err, roster.EFORBIDDEN, "")
	if len(f.created) != 1 {
		t.Errorf("created = %v", f.created)
	}
}
