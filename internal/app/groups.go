package app

import (
	"context"
	"time"
	"unicode/utf8"

	"github.com/schoolroster/rosterimport/internal/csvimport"
	"github.com/schoolroster/rosterimport/internal/roster"
)

// GroupStore is what managing groups needs from storage.
type GroupStore interface {
	MemberGetter
	ListGroups(ctx context.Context, schoolID string) ([]roster.Group, error)
	// CreateGroup returns ECONFLICT when the name is taken (in any case).
	CreateGroup(ctx context.Context, schoolID string, g roster.Group) error
	// RenameGroup returns ECONFLICT when the name is taken or g changed.
	RenameGroup(ctx context.Context, schoolID string, g roster.Group, name string) error
	// DeleteGroup returns ECONFLICT, saying how many, when g has members.
	DeleteGroup(ctx context.Context, schoolID string, g roster.Group) error
}

// Groups serves the management of a school's groups.
type Groups struct {
	Store GroupStore
	Now   func() time.Time
	NewID func() string
}

// GroupList is a school's groups with their member counts.
type GroupList struct {
	Groups []roster.Group `json:"groups"`
}

// List returns the school's groups in name order, with exact member counts.
// Errors: EUNAUTHORIZED, EFORBIDDEN; EINTERNAL.
func (g *Groups) List(ctx context.Context, caller Caller, schoolID string) (GroupList, error) {
	if _, err := authorizeAdmin(ctx, g.Store, caller, schoolID); err != nil {
		return GroupList{}, err
	}
	groups, err := g.Store.ListGroups(ctx, schoolID)
	if groups == nil {
		groups = []roster.Group{}
	}
	return GroupList{Groups: groups}, err
}

// GroupRequest names a group.
type GroupRequest struct {
	Name string `json:"name"`
}

// groupName cleans a group name and checks it.
// Errors: EINVALID when empty or longer than roster.MaxGroupName.
func groupName(s string) (string, error) {
	name, problem := csvimport.CleanName("Name", s)
	switch {
	case problem != "" || utf8.RuneCountInString(name) > roster.MaxGroupName:
		return "", roster.Errorf(roster.EINVALID, "A group name is at most %d characters.", roster.MaxGroupName)
	case name == "":
		return "", roster.Errorf(roster.EINVALID, "A group needs a name.")
	}
	return name, nil
}

// Create adds a group with no members. Names are unique without regard to
// case; spaces around a name do not count.
// Errors: EUNAUTHORIZED, EFORBIDDEN; EINVALID for an empty or too long
// name; ECONFLICT when the school has a group of that name; EINTERNAL.
func (g *Groups) Create(ctx context.Context, caller Caller, schoolID string, req GroupRequest) (roster.Group, error) {
	if _, err := authorizeAdmin(ctx, g.Store, caller, schoolID); err != nil {
		return roster.Group{}, err
	}
	name, err := groupName(req.Name)
	if err != nil {
		return roster.Group{}, err
	}
	group := roster.Group{ID: g.NewID(), Name: name, CreatedAt: g.Now().UTC()}
	if err := g.Store.CreateGroup(ctx, schoolID, group); err != nil {
		return roster.Group{}, err
	}
	return group, nil
}

// find returns a group of the school by id or name.
// Errors: ENOTFOUND; EINTERNAL.
func (g *Groups) find(ctx context.Context, schoolID, group string) (roster.Group, error) {
	groups, err := g.Store.ListGroups(ctx, schoolID)
	if err != nil {
		return roster.Group{}, err
	}
	found, err := newGroupBook(groups).find(group)
	if err != nil {
		return roster.Group{}, roster.Errorf(roster.ENOTFOUND, "Group not found.")
	}
	return found, nil
}

// Rename renames a group; its members and counts follow it.
// Errors: EUNAUTHORIZED, EFORBIDDEN; ENOTFOUND; EINVALID for a bad name;
// ECONFLICT when another group has the name; EINTERNAL.
func (g *Groups) Rename(ctx context.Context, caller Caller, schoolID, groupID string, req GroupRequest) (roster.Group, error) {
	if _, err := authorizeAdmin(ctx, g.Store, caller, schoolID); err != nil {
		return roster.Group{}, err
	}
	name, err := groupName(req.Name)
	if err != nil {
		return roster.Group{}, err
	}
	group, err := g.find(ctx, schoolID, groupID)
	if err != nil {
		return roster.Group{}, err
	}
	if name == group.Name {
		return group, nil
	}
	if err := g.Store.RenameGroup(ctx, schoolID, group, name); err != nil {
		return roster.Group{}, err
	}
	group.Name = name
	return group, nil
}

// Delete deletes a group that has no members.
// Errors: EUNAUTHORIZED, EFORBIDDEN; ENOTFOUND; ECONFLICT when it has
// members, saying how many; EINTERNAL.
func (g *Groups) Delete(ctx context.Context, caller Caller, schoolID, groupID string) error {
	if _, err := authorizeAdmin(ctx, g.Store, caller, schoolID); err != nil {
		return err
	}
	group, err := g.find(ctx, schoolID, groupID)
	if err != nil {
		return err
	}
	return g.Store.DeleteGroup(ctx, schoolID, group)
}
