package app

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/schoolroster/rosterimport/internal/roster"
)

// UserQuery is a page of the users list to read.
type UserQuery struct {
	SchoolID string
	Search   roster.SearchQuery
	GroupID  string
	Status   roster.UserStatus // "" for invited and active
	After    string            // where the previous page ended (the store's sort key)
	Limit    int
}

// UserPage is a page of the users list as the store returns it.
type UserPage struct {
	Members   []roster.Member
	Next      string  // where this page ended, "" on the last page
	ItemsRead int     // items the store read for it
	Capacity  float64 // read capacity consumed
}

// MemberChange is one change to a member: the member as read (nil to
// create one) and as it is to be. By, when set, is the administrator making
// it, who must still be an active owner (or, unless OwnerOnly, manager) when
// it is written.
type MemberChange struct {
	Before    *roster.Member
	After     roster.Member
	By        string
	OwnerOnly bool
}

// UserStore is what managing users needs from storage.
type UserStore interface {
	MemberGetter
	ListGroups(ctx context.Context, schoolID string) ([]roster.Group, error)
	// ListUsers returns a page of the users list, sorted by name.
	ListUsers(ctx context.Context, q UserQuery) (UserPage, error)
	// SaveMember writes a change: ECONFLICT when the member changed since it
	// was read, EFORBIDDEN when By lost the right to make it, EINVALID when a
	// group is gone.
	SaveMember(ctx context.Context, c MemberChange) (roster.Member, error)
}

// Users serves the day-to-day management of a school's users and their
// invitations.
type Users struct {
	Store          UserStore
	Links          LinkStore
	Sealer         *roster.Sealer // seals new invitation tokens for the mailer
	Cursors        *CursorSigner
	Now            func() time.Time
	ResendInterval time.Duration // how often one person's invitation may be sent; default a minute
}

// GroupRef names a group a user belongs to.
type GroupRef struct {
	ID   string `json:"id"`
	Name string `json:"name"`
}

// UserView is a user as the API shows it.
type UserView struct {
	Email      string            `json:"email"`
	FirstName  string            `json:"firstName"`
	LastName   string            `json:"lastName"`
	Role       roster.Role       `json:"role"`
	Groups     []GroupRef        `json:"groups"`
	Status     roster.UserStatus `json:"status"`
	MailStatus roster.MailStatus `json:"mailStatus,omitempty"` // claimed and deferred mail shows as queued
	MailNote   string            `json:"mailNote,omitempty"`   // why the mail waits, e.g. the daily quota
	SendCount  int               `json:"sendCount"`
	MailSentAt *time.Time        `json:"lastSentAt,omitempty"`
	MailError  string            `json:"mailError,omitempty"`
	InvitedAt  time.Time         `json:"invitedAt"`
	InvitedBy  string            `json:"invitedBy,omitempty"`
	JoinedAt   *time.Time        `json:"joinedAt,omitempty"`
	UpdatedAt  *time.Time        `json:"updatedAt,omitempty"`
	UpdatedBy  string            `json:"updatedBy,omitempty"`
	RemovedAt  *time.Time        `json:"removedAt,omitempty"`
	RemovedBy  string            `json:"removedBy,omitempty"`
	UserID     string            `json:"userId,omitempty"`
	// A user's own page lists their links: their parents, or their students.
	Relationships []LinkView `json:"relationships,omitempty"`
}

// groupBook resolves group ids and names of one school.
type groupBook struct {
	byID  map[string]roster.Group
	byKey map[string]roster.Group // GroupKey(name)
}

func newGroupBook(groups []roster.Group) groupBook {
	b := groupBook{byID: map[string]roster.Group{}, byKey: map[string]roster.Group{}}
	for _, g := range groups {
		b.byID[g.ID], b.byKey[roster.GroupKey(g.Name)] = g, g
	}
	return b
}

// find resolves a group given by id or by name (without regard to case).
// Errors: EINVALID "Unknown group: X".
func (b groupBook) find(s string) (roster.Group, error) {
	if g, ok := b.byID[s]; ok {
		return g, nil
	}
	if g, ok := b.byKey[roster.GroupKey(s)]; ok {
		return g, nil
	}
	return roster.Group{}, roster.Errorf(roster.EINVALID, "Unknown group: %s", roster.Clip(strings.TrimSpace(s), 100))
}

// ids resolves a list of groups, once each.
func (b groupBook) ids(list []string) ([]string, error) {
	ids := []string{}
	seen := map[string]bool{}
	for _, s := range list {
		g, err := b.find(s)
		if err != nil {
			return nil, err
		}
		if !seen[g.ID] {
			seen[g.ID] = true
			ids = append(ids, g.ID)
		}
	}
	if len(ids) > maxGroupsPerUser {
		return nil, roster.Errorf(roster.EINVALID, "A user can be in at most %d groups.", maxGroupsPerUser)
	}
	return ids, nil
}

// maxGroupsPerUser keeps a change to a user within one transaction.
const maxGroupsPerUser = 20

func (b groupBook) view(m roster.Member) UserView {
	groups := make([]GroupRef, 0, len(m.Groups))
	for _, id := range m.Groups {
		name := id
		if g, ok := b.byID[id]; ok {
			name = g.Name
		}
		groups = append(groups, GroupRef{ID: id, Name: name})
	}
	return UserView{
		Email: m.Email, FirstName: m.FirstName, LastName: m.LastName, Role: m.Role, Groups: groups, Status: m.Status,
		MailStatus: m.MailStatus.Public(), MailNote: m.MailNote, SendCount: m.SendCount, MailSentAt: m.MailSentAt, MailError: m.MailError,
		InvitedAt: m.InvitedAt, InvitedBy: m.InvitedBy, JoinedAt: m.JoinedAt, UpdatedAt: m.UpdatedAt, UpdatedBy: m.UpdatedBy,
		RemovedAt: m.RemovedAt, RemovedBy: m.RemovedBy, UserID: m.UserID,
	}
}

// ListUsersRequest is a page of the users list asked for: a search, a group
// (id or name), a status, and the cursor of the page before.
type ListUsersRequest struct {
	Query  string
	Group  string
	Status string
	Cursor string
	Limit  int
}

// UserList is a page of users and the cursor of the next page.
type UserList struct {
	Users      []UserView `json:"users"`
	NextCursor string     `json:"nextCursor,omitempty"`
}

// List returns a page of the school's users sorted by last name, then first
// name: those whose words start with each word of the search (names and
// email, without regard to case or accents), in the group and with the
// status asked for (invited and active when none is). A search that is
// exactly a user's id finds that user. Limit is 1-100, default 50.
// Errors: EUNAUTHORIZED, EFORBIDDEN; EINVALID for a bad limit, status, group
// or cursor (one not made for this school and query); EINTERNAL.
func (u *Users) List(ctx context.Context, caller Caller, schoolID string, req ListUsersRequest) (UserList, error) {
	if _, err := authorizeAdmin(ctx, u.Store, caller, schoolID); err != nil {
		return UserList{}, err
	}
	if found, ok, err := u.byID(ctx, schoolID, req); ok || err != nil {
		return found, err
	}
	page, book, q, err := u.page(ctx, schoolID, req)
	if err != nil {
		return UserList{}, err
	}
	out := UserList{Users: make([]UserView, 0, len(page.Members))}
	for _, m := range page.Members {
		out.Users = append(out.Users, book.view(m))
	}
	if page.Next != "" {
		out.NextCursor = u.Cursors.Sign(listScope(q), page.Next)
	}
	return out, nil
}

// byID answers a search that is exactly a user's id (with no other filter)
// with that user.
func (u *Users) byID(ctx context.Context, schoolID string, req ListUsersRequest) (UserList, bool, error) {
	id := strings.TrimSpace(req.Query)
	if id == "" || strings.ContainsAny(id, " @") || req.Group != "" || req.Status != "" || req.Cursor != "" || u.Links == nil {
		return UserList{}, false, nil
	}
	owners, err := u.Links.UserIDs(ctx, schoolID, []string{id})
	if err != nil || owners[id] == "" {
		return UserList{}, false, err
	}
	m, err := u.Store.GetMember(ctx, schoolID, owners[id])
	if roster.ErrorCode(err) == roster.ENOTFOUND {
		return UserList{}, false, nil
	}
	if err != nil {
		return UserList{}, false, err
	}
	v, err := u.view(ctx, m)
	return UserList{Users: []UserView{v}}, err == nil, err
}

// page reads a page of the users list for an authorised request.
func (u *Users) page(ctx context.Context, schoolID string, req ListUsersRequest) (UserPage, groupBook, UserQuery, error) {
	if req.Limit == 0 {
		req.Limit = 50
	}
	if req.Limit < 1 || req.Limit > 100 {
		return UserPage{}, groupBook{}, UserQuery{}, roster.Errorf(roster.EINVALID, "limit must be between 1 and 100.")
	}
	q := UserQuery{SchoolID: schoolID, Search: roster.ParseSearch(req.Query), Limit: req.Limit}
	if len([]rune(req.Query)) > 100 {
		return UserPage{}, groupBook{}, UserQuery{}, roster.Errorf(roster.EINVALID, "The search is limited to 100 characters.")
	}
	switch st := roster.UserStatus(req.Status); st {
	case "", roster.StatusInvited, roster.StatusActive, roster.StatusRemoved:
		q.Status = st
	default:
		return UserPage{}, groupBook{}, UserQuery{}, roster.Errorf(roster.EINVALID, `Unknown status %q: use "invited", "active" or "removed".`, roster.Clip(req.Status, 20))
	}
	groups, err := u.Store.ListGroups(ctx, schoolID)
	if err != nil {
		return UserPage{}, groupBook{}, UserQuery{}, err
	}
	book := newGroupBook(groups)
	if req.Group != "" {
		g, err := book.find(req.Group)
		if err != nil {
			return UserPage{}, groupBook{}, UserQuery{}, err
		}
		q.GroupID = g.ID
	}
	if req.Cursor != "" {
		if q.After, err = u.Cursors.Open(listScope(q), req.Cursor); err != nil {
			return UserPage{}, groupBook{}, UserQuery{}, err
		}
	}
	page, err := u.Store.ListUsers(ctx, q)
	return page, book, q, err
}

// listScope names one list (school and filters, as resolved) for its cursors.
func listScope(q UserQuery) string {
	return fmt.Sprintf("users\x00%s\x00%s\x00%s\x00%s", q.SchoolID, strings.Join(q.Search, " "), q.GroupID, q.Status)
}

// Get returns one user of the school, with their links.
// Errors: EUNAUTHORIZED, EFORBIDDEN; ENOTFOUND; EINTERNAL.
func (u *Users) Get(ctx context.Context, caller Caller, schoolID, email string) (UserView, error) {
	if _, err := authorizeAdmin(ctx, u.Store, caller, schoolID); err != nil {
		return UserView{}, err
	}
	m, err := u.Store.GetMember(ctx, schoolID, roster.NormalizeEmail(email))
	if err != nil {
		return UserView{}, err
	}
	v, err := u.view(ctx, m)
	if err != nil {
		return UserView{}, err
	}
	v.Relationships, err = u.memberLinks(ctx, m)
	return v, err
}

func (u *Users) view(ctx context.Context, m roster.Member) (UserView, error) {
	groups, err := u.Store.ListGroups(ctx, m.SchoolID)
	if err != nil {
		return UserView{}, err
	}
	return newGroupBook(groups).view(m), nil
}
