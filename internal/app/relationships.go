package app

import (
	"context"
	"strings"
	"time"

	"github.com/schoolroster/rosterimport/internal/roster"
)

// LinkStore is what the relationships API needs from storage.
type LinkStore interface {
	// UserIDs returns the email of the user who carries each id.
	UserIDs(ctx context.Context, schoolID string, ids []string) (map[string]string, error)
	// Members returns the users of the school with these emails.
	Members(ctx context.Context, schoolID string, emails []string) (map[string]roster.Member, error)
	// LinksOf pages through a student's parents or a parent's students.
	LinksOf(ctx context.Context, schoolID, email string, asParent bool, after string, limit int) ([]roster.Relationship, string, error)
	// DeleteRelationship returns ENOTFOUND when the pair is not linked.
	DeleteRelationship(ctx context.Context, schoolID string, p roster.Pair) error
}

// PersonRef is one side of a link as the API shows it.
type PersonRef struct {
	Email     string            `json:"email"`
	UserID    string            `json:"userId,omitempty"`
	FirstName string            `json:"firstName"`
	LastName  string            `json:"lastName"`
	Status    roster.UserStatus `json:"status"`
}

// LinkView is a student-parent link. It is active while both people are
// members; a removed person's links are kept as history and shown inactive.
type LinkView struct {
	Student   PersonRef `json:"student"`
	Parent    PersonRef `json:"parent"`
	Type      string    `json:"type"`
	Active    bool      `json:"active"`
	CreatedAt time.Time `json:"createdAt"`
	UpdatedAt time.Time `json:"updatedAt"`
}

// LinkList is a page of links and the cursor of the next page.
type LinkList struct {
	Relationships []LinkView `json:"relationships"`
	NextCursor    string     `json:"nextCursor,omitempty"`
}

// ListLinksRequest asks for a student's parents or a parent's students: each
// person by email or by the school's id of them.
type ListLinksRequest struct {
	Student string
	Parent  string
	Cursor  string
	Limit   int
}

// Relationships returns a page of a student's parents or a parent's
// students (limit 1-100, default 50), a bounded query either way.
// Errors: EUNAUTHORIZED, EFORBIDDEN; EINVALID without exactly one of student
// and parent, for a bad limit or cursor; ENOTFOUND for an id nobody has (an
// email nobody has has no links: an empty page); EINTERNAL.
func (u *Users) Relationships(ctx context.Context, caller Caller, schoolID string, req ListLinksRequest) (LinkList, error) {
	if _, err := authorizeAdmin(ctx, u.Store, caller, schoolID); err != nil {
		return LinkList{}, err
	}
	if (req.Student == "") == (req.Parent == "") {
		return LinkList{}, roster.Errorf(roster.EINVALID, "Give student or parent: an email or an id.")
	}
	if req.Limit == 0 {
		req.Limit = 50
	}
	if req.Limit < 1 || req.Limit > 100 {
		return LinkList{}, roster.Errorf(roster.EINVALID, "limit must be between 1 and 100.")
	}
	asParent, who := req.Parent != "", req.Student+req.Parent
	email, err := u.person(ctx, schoolID, who)
	if err != nil {
		return LinkList{}, err
	}
	scope := "links\x00" + schoolID + "\x00" + email + "\x00" + map[bool]string{true: "parent", false: "student"}[asParent]
	after := ""
	if req.Cursor != "" {
		if after, err = u.Cursors.Open(scope, req.Cursor); err != nil {
			return LinkList{}, err
		}
	}
	links, next, err := u.Links.LinksOf(ctx, schoolID, email, asParent, after, req.Limit)
	if err != nil {
		return LinkList{}, err
	}
	views, err := u.linkViews(ctx, schoolID, links)
	if err != nil {
		return LinkList{}, err
	}
	out := LinkList{Relationships: views}
	if next != "" {
		out.NextCursor = u.Cursors.Sign(scope, next)
	}
	return out, nil
}

// Unlink removes a student-parent link, each given by email or id.
// Errors: EUNAUTHORIZED, EFORBIDDEN; ENOTFOUND when either person or the
// link is not there; EINTERNAL.
func (u *Users) Unlink(ctx context.Context, caller Caller, schoolID, student, parent string) error {
	if _, err := authorizeAdmin(ctx, u.Store, caller, schoolID); err != nil {
		return err
	}
	s, err := u.person(ctx, schoolID, student)
	if err != nil {
		return err
	}
	p, err := u.person(ctx, schoolID, parent)
	if err != nil {
		return err
	}
	return u.Links.DeleteRelationship(ctx, schoolID, roster.Pair{Student: s, Parent: p})
}

// person finds the email of someone given by email (with an @) or by id.
// Errors: ENOTFOUND for an id nobody has; EINTERNAL.
func (u *Users) person(ctx context.Context, schoolID, who string) (string, error) {
	who = strings.TrimSpace(who)
	if strings.Contains(who, "@") {
		return roster.NormalizeEmail(who), nil
	}
	owners, err := u.Links.UserIDs(ctx, schoolID, []string{who})
	if err != nil {
		return "", err
	}
	if owners[who] == "" {
		return "", roster.Errorf(roster.ENOTFOUND, "No user has the id %s.", roster.Clip(who, 100))
	}
	return owners[who], nil
}

// linkViews shows links with both people as they are now.
func (u *Users) linkViews(ctx context.Context, schoolID string, links []roster.Relationship) ([]LinkView, error) {
	var emails []string
	for _, l := range links {
		emails = append(emails, l.Student, l.Parent)
	}
	people := map[string]roster.Member{}
	if len(emails) > 0 {
		var err error
		if people, err = u.Links.Members(ctx, schoolID, emails); err != nil {
			return nil, err
		}
	}
	ref := func(email string) PersonRef {
		m, ok := people[email]
		if !ok {
			return PersonRef{Email: email, Status: roster.StatusRemoved}
		}
		return PersonRef{Email: email, UserID: m.UserID, FirstName: m.FirstName, LastName: m.LastName, Status: m.Status}
	}
	views := make([]LinkView, 0, len(links))
	for _, l := range links {
		s, p := ref(l.Student), ref(l.Parent)
		views = append(views, LinkView{Student: s, Parent: p, Type: l.Type, CreatedAt: l.CreatedAt, UpdatedAt: l.UpdatedAt,
			Active: s.Status != roster.StatusRemoved && p.Status != roster.StatusRemoved})
	}
	return views, nil
}

// memberLinks are a user's links both ways, for their page: at most 100 of
// each (a person with more is paged through Relationships).
func (u *Users) memberLinks(ctx context.Context, m roster.Member) ([]LinkView, error) {
	var all []roster.Relationship
	for _, asParent := range []bool{false, true} {
		links, _, err := u.Links.LinksOf(ctx, m.SchoolID, m.Email, asParent, "", 100)
		if err != nil {
			return nil, err
		}
		all = append(all, links...)
	}
	return u.linkViews(ctx, m.SchoolID, all)
}
