package app

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/schoolroster/rosterimport/internal/roster"
)

// fakeUsers is a UserStore, InviteeStore and SendJobStore over members in
// memory, one school "s1", with SaveMember's version check; saveErr, when
// set, answers SaveMember instead.
type fakeUsers struct {
	members map[string]roster.Member
	saved   []MemberChange
	saveErr func(c MemberChange) error
	page    UserPage
	query   UserQuery
}

var (
	_ UserStore    = (*fakeUsers)(nil)
	_ InviteeStore = (*fakeUsers)(nil)
)

func newFakeUsers(members ...roster.Member) *fakeUsers {
	f := &fakeUsers{members: map[string]roster.Member{}}
	for _, m := range members {
		m.SchoolID = "s1"
		f.members[m.Email] = m
	}
	return f
}

func (f *fakeUsers) GetMember(_ context.Context, schoolID, email string) (roster.Member, error) {
	m, ok := f.members[email]
	if !ok || schoolID != "s1" {
		return roster.Member{}, roster.Errorf(roster.ENOTFOUND, "User not found.")
	}
	return m, nil
}
func (f *fakeUsers) BindSub(_ context.Context, _, email, sub string) error {
	m := f.members[email]
	m.Sub = sub
	f.members[email] = m
	return nil
}
func (f *fakeUsers) ListGroups(context.Context, string) ([]roster.Group, error) {
	return []roster.Group{{ID: "parents", Name: "Parents"}, {ID: "staff", Name: "Staff"}, {ID: "students", Name: "Students"}}, nil
}
func (f *fakeUsers) ListUsers(_ context.Context, q UserQuery) (UserPage, error) {
	f.query = q
	return f.page, nil
}
func (f *fakeUsers) SaveMember(_ context.Context, c MemberChange) (roster.Member, error) {
	if f.saveErr != nil {
		if err := f.saveErr(c); err != nil {
			return roster.Member{}, err
		}
	}
	cur, exists := f.members[c.After.Email]
	switch {
	case c.Before == nil && exists, c.Before != nil && (!exists || cur.Version != c.Before.Version):
		return roster.Member{}, roster.Errorf(roster.ECONFLICT, "changed")
	}
	after := c.After
	after.Version = cur.Version + 1
	f.members[after.Email] = after
	f.saved = append(f.saved, c)
	return after, nil
}
func (f *fakeUsers) GetSchool(context.Context, string) (roster.School, error) {
	return roster.School{ID: "s1", Name: "Hill School"}, nil
}
func (f *fakeUsers) TokenHolder(_ context.Context, hash string) (string, string, error) {
	for _, m := range f.members {
		if m.TokenHash == hash && m.TokenHash != "" {
			return "s1", m.Email, nil
		}
	}
	return "", "", roster.Errorf(roster.ENOTFOUND, "no")
}
func (f *fakeUsers) MemberSchools(_ context.Context, email string) ([]roster.Member, error) {
	if m, ok := f.members[email]; ok {
		return []roster.Member{m}, nil
	}
	return nil, nil
}

var (
	ownerM   = roster.Member{Email: "owner@hill.school", Role: roster.RoleOwner, Status: roster.StatusActive, Sub: "sub-owner", Version: 1}
	owner2M  = roster.Member{Email: "owner2@hill.school", Role: roster.RoleOwner, Status: roster.StatusActive, Version: 1}
	managerM = roster.Member{Email: "mgr@hill.school", Role: roster.RoleManager, Status: roster.StatusActive, Sub: "sub-mgr", Version: 1}
	kidM     = roster.Member{Email: "kid@hill.school", FirstName: "Kim", Groups: []string{"students"}, Status: roster.StatusActive, Version: 3}
	pendingM = roster.Member{Email: "new@hill.school", Groups: []string{"students"}, Status: roster.StatusInvited, MailStatus: roster.MailHeld,
		TokenHash: roster.HashToken("tok-new"), Version: 1}
	goneM = roster.Member{Email: "gone@hill.school", FirstName: "Gus", Role: roster.RoleManager, Groups: []string{"staff"}, Status: roster.StatusRemoved, SendCount: 2, Version: 4}
)

func caller(email, sub string) Caller { return Caller{Email: email, EmailVerified: true, Sub: sub} }

var (
	asOwner   = caller("owner@hill.school", "sub-owner")
	asManager = caller("mgr@hill.school", "sub-mgr")
)

func testUsers(f *fakeUsers) *Users {
	sealer, _ := roster.NewSealer(strings.Repeat("k", 32))
	var cursors CursorSigner
	_ = cursors.UnmarshalText([]byte(strings.Repeat("c", 32)))
	return &Users{Store: f, Sealer: sealer, Cursors: &cursors, Now: func() time.Time { return t0 }}
}

func everyone() *fakeUsers { return newFakeUsers(ownerM, owner2M, managerM, kidM, pendingM, goneM) }

func wantMessage(t *testing.T, err error, code, msg string) {
	t.Helper()
	if roster.ErrorCode(err) != code || (msg != "" && roster.ErrorMessage(err) != msg) {
		t.Fatalf("error = %v, want %s %q", err, code, msg)
	}
}

func TestInvite(t *testing.T) {
	no := false
	tests := []struct {
		name     string
		caller   Caller
		req      InviteRequest
		code     string
		msg      string
		check    func(t *testing.T, v UserView, f *fakeUsers)
		wantSave bool
	}{
		{"a student, sent now", asManager, InviteRequest{Email: " Zoe@Hill.SCHOOL ", FirstName: " Zoë ", LastName: "Brown"}, "", "", func(t *testing.T, v UserView, f *fakeUsers) {
			m := f.members["zoe@hill.school"]
			if v.Status != roster.StatusInvited || v.MailStatus != roster.MailQueued || v.SendCount != 1 || v.Groups[0].Name != "Students" ||
				v.FirstName != "Zoë" || m.SealedToken == "" || m.TokenHash == "" || v.InvitedBy != "mgr@hill.school" {
				t.Errorf("invited = %+v (stored %+v)", v, m)
			}
			if c := f.saved[0]; c.By != "mgr@hill.school" || c.OwnerOnly || c.Before != nil {
				t.Errorf("change = %+v", c)
			}
		}, true},
		{"held, with groups by name", asManager, InviteRequest{Email: "zoe@hill.school", Groups: []string{"parents", "STAFF"}, Send: &no}, "", "", func(t *testing.T, v UserView, f *fakeUsers) {
			m := f.members["zoe@hill.school"]
			if v.MailStatus != roster.MailHeld || v.SendCount != 0 || len(v.Groups) != 2 || m.SealedToken != "" || m.TokenHash != "" {
				t.Errorf("held = %+v", v)
			}
		}, true},
		{"an owner by an owner", asOwner, InviteRequest{Email: "o3@hill.school", Role: "owner"}, "", "", func(t *testing.T, v UserView, f *fakeUsers) {
			if v.Role != roster.RoleOwner || len(v.Groups) != 0 || !f.saved[0].OwnerOnly {
				t.Errorf("owner = %+v, change %+v", v, f.saved[0])
			}
		}, true},
		{"a removed user comes back with the new role only", asOwner, InviteRequest{Email: "gone@hill.school"}, "", "", func(t *testing.T, v UserView, f *fakeUsers) {
			if v.Status != roster.StatusInvited || v.Role != roster.RoleNone || v.FirstName != "Gus" || v.SendCount != 3 || v.Groups[0].ID != "students" || f.saved[0].Before == nil {
				t.Errorf("re-invited = %+v", v)
			}
		}, true},
		{"an owner by a manager", asManager, InviteRequest{Email: "o3@hill.school", Role: "owner"}, roster.EFORBIDDEN, "Only an owner can make someone an owner.", nil, false},
		{"a member", asManager, InviteRequest{Email: "KID@hill.school"}, roster.ECONFLICT, "kid@hill.school is already a member of this school.", nil, false},
		{"invited already", asManager, InviteRequest{Email: "new@hill.school"}, roster.ECONFLICT, "new@hill.school already has a pending invitation.", nil, false},
		{"a bad address", asManager, InviteRequest{Email: "zoe@"}, roster.EINVALID, "Invalid email format.", nil, false},
		{"no address", asManager, InviteRequest{}, roster.EINVALID, "Email is required.", nil, false},
		{"an unknown group", asManager, InviteRequest{Email: "zoe@hill.school", Groups: []string{"Teachers"}}, roster.EINVALID, "Unknown group: Teachers", nil, false},
		{"an unknown role", asManager, InviteRequest{Email: "zoe@hill.school", Role: "admin"}, roster.EINVALID, "", nil, false},
		{"a name too long", asManager, InviteRequest{Email: "zoe@hill.school", FirstName: strings.Repeat("x", 1001)}, roster.EINVALID, "First name is longer than 1,000 characters.", nil, false},
		{"not an administrator", caller("kid@hill.school", "sub-kid"), InviteRequest{Email: "zoe@hill.school"}, roster.EFORBIDDEN, "", nil, false},
		{"an unverified email", Caller{Email: "owner@hill.school", Sub: "sub-owner"}, InviteRequest{Email: "zoe@hill.school"}, roster.EUNAUTHORIZED, "", nil, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := everyone()
			v, err := testUsers(f).Invite(context.Background(), tt.caller, "s1", tt.req)
			if tt.code != "" {
				wantMessage(t, err, tt.code, tt.msg)
			} else if err != nil {
				t.Fatal(err)
			}
			if (len(f.saved) > 0) != tt.wantSave {
				t.Fatalf("saved %d changes, want one: %v", len(f.saved), tt.wantSave)
			}
			if tt.check != nil {
				tt.check(t, v, f)
			}
		})
	}
}

func TestUpdateAndRemoveRules(t *testing.T) {
	s := func(v string) *string { return &v }
	groups := func(v ...string) *[]string { return &v }
	tests := []struct {
		name   string
		caller Caller
		do     func(u *Users) (UserView, error)
		code   string
		msg    string
		check  func(t *testing.T, f *fakeUsers)
	}{
		{"names and groups", asManager, func(u *Users) (UserView, error) {
			return u.Update(context.Background(), asManager, "s1", "kid@hill.school", UpdateRequest{FirstName: s(" Kimberly "), Groups: groups("Parents", "parents", "staff")})
		}, "", "", func(t *testing.T, f *fakeUsers) {
			m := f.members["kid@hill.school"]
			if m.FirstName != "Kimberly" || strings.Join(m.Groups, ",") != "parents,staff" || m.UpdatedBy != "mgr@hill.school" || m.UpdatedAt == nil || m.Version != 4 {
				t.Errorf("updated = %+v", m)
			}
		}},
		{"a manager makes a manager", asManager, func(u *Users) (UserView, error) {
			return u.Update(context.Background(), asManager, "s1", "kid@hill.school", UpdateRequest{Role: s("manager")})
		}, "", "", func(t *testing.T, f *fakeUsers) {
			if f.members["kid@hill.school"].Role != roster.RoleManager || f.saved[0].OwnerOnly {
				t.Errorf("role change = %+v", f.saved[0])
			}
		}},
		{"an owner demotes another owner, checked in the write", asOwner, func(u *Users) (UserView, error) {
			return u.Update(context.Background(), asOwner, "s1", "owner2@hill.school", UpdateRequest{Role: s("")})
		}, "", "", func(t *testing.T, f *fakeUsers) {
			if !f.saved[0].OwnerOnly || f.saved[0].By != "owner@hill.school" {
				t.Errorf("change = %+v", f.saved[0])
			}
		}},
		{"a manager changes an owner's names and groups", asManager, func(u *Users) (UserView, error) {
			return u.Update(context.Background(), asManager, "s1", "owner@hill.school", UpdateRequest{FirstName: s("Olga"), Groups: groups("staff")})
		}, "", "", func(t *testing.T, f *fakeUsers) {
			if f.members["owner@hill.school"].FirstName != "Olga" || f.saved[0].OwnerOnly {
				t.Errorf("change = %+v", f.saved[0])
			}
		}},
		{"a manager cannot grant owner", asManager, func(u *Users) (UserView, error) {
			return u.Update(context.Background(), asManager, "s1", "kid@hill.school", UpdateRequest{Role: s("owner")})
		}, roster.EFORBIDDEN, "Only an owner can make someone an owner.", nil},
		{"a manager cannot demote an owner", asManager, func(u *Users) (UserView, error) {
			return u.Update(context.Background(), asManager, "s1", "owner@hill.school", UpdateRequest{Role: s("manager")})
		}, roster.EFORBIDDEN, "Only an owner can change the role of an owner.", nil},
		{"nobody changes their own role", asOwner, func(u *Users) (UserView, error) {
			return u.Update(context.Background(), asOwner, "s1", "owner@hill.school", UpdateRequest{Role: s("manager")})
		}, roster.EFORBIDDEN, "You cannot change your own role.", nil},
		{"a removed user is not changed", asManager, func(u *Users) (UserView, error) {
			return u.Update(context.Background(), asManager, "s1", "gone@hill.school", UpdateRequest{FirstName: s("X")})
		}, roster.ECONFLICT, "gone@hill.school has been removed. Invite them again to give them access.", nil},
		{"no such user", asManager, func(u *Users) (UserView, error) {
			return u.Update(context.Background(), asManager, "s1", "nobody@hill.school", UpdateRequest{FirstName: s("X")})
		}, roster.ENOTFOUND, "", nil},
		{"remove: the record stays, the token dies", asManager, func(u *Users) (UserView, error) {
			return u.Remove(context.Background(), asManager, "s1", "new@hill.school")
		}, "", "", func(t *testing.T, f *fakeUsers) {
			m := f.members["new@hill.school"]
			if m.Status != roster.StatusRemoved || m.TokenHash != "" || m.RemovedBy != "mgr@hill.school" || m.RemovedAt == nil {
				t.Errorf("removed = %+v", m)
			}
		}},
		{"removing a removed user changes nothing", asManager, func(u *Users) (UserView, error) {
			return u.Remove(context.Background(), asManager, "s1", "gone@hill.school")
		}, "", "", func(t *testing.T, f *fakeUsers) {
			if len(f.saved) != 0 {
				t.Errorf("saved %+v", f.saved)
			}
		}},
		{"a manager cannot remove an owner", asManager, func(u *Users) (UserView, error) {
			return u.Remove(context.Background(), asManager, "s1", "owner@hill.school")
		}, roster.EFORBIDDEN, "Only an owner can remove an owner.", nil},
		{"nobody removes themselves", asOwner, func(u *Users) (UserView, error) {
			return u.Remove(context.Background(), asOwner, "s1", "owner@hill.school")
		}, roster.EFORBIDDEN, "You cannot remove yourself.", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := everyone()
			_, err := tt.do(testUsers(f))
			if tt.code != "" {
				wantMessage(t, err, tt.code, tt.msg)
				if len(f.saved) != 0 {
					t.Errorf("a refused change was saved: %+v", f.saved)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			tt.check(t, f)
		})
	}
}

func TestChangeRetriesAfterAConflict(t *testing.T) {
	f := everyone()
	conflicts := 2
	f.saveErr = func(MemberChange) error {
		if conflicts > 0 {
			conflicts--
			return roster.Errorf(roster.ECONFLICT, "changed")
		}
		return nil
	}
	name := "Kay"
	if _, err := testUsers(f).Update(context.Background(), asManager, "s1", "kid@hill.school", UpdateRequest{FirstName: &name}); err != nil {
		t.Fatalf("after two conflicts: %v", err)
	}
	conflicts = 3
	_, err := testUsers(f).Update(context.Background(), asManager, "s1", "kid@hill.school", UpdateRequest{FirstName: &name})
	wantMessage(t, err, roster.ECONFLICT, "The user kept changing while this was being done. Reload and try again.")
}

func TestResendCancelSend(t *testing.T) {
	ctx := context.Background()
	f := everyone()
	u := testUsers(f)
	v, err := u.Resend(ctx, asManager, "s1", "new@hill.school")
	if err != nil || v.MailStatus != roster.MailQueued || v.SendCount != 1 {
		t.Fatalf("resend a held invitation = %+v, %v", v, err)
	}
	if f.members["new@hill.school"].TokenHash == pendingM.TokenHash {
		t.Error("the token did not change")
	}
	_, err = u.Resend(ctx, asManager, "s1", "new@hill.school")
	wantMessage(t, err, roster.ETOOMANYREQUESTS, "An invitation was sent to new@hill.school moments ago. Try again in a minute.")
	u.Now = func() time.Time { return t0.Add(time.Minute) }
	if v, err = u.Resend(ctx, asManager, "s1", "new@hill.school"); err != nil || v.SendCount != 2 {
		t.Fatalf("resend a minute later = %+v, %v", v, err)
	}
	_, err = u.Resend(ctx, asManager, "s1", "kid@hill.school")
	wantMessage(t, err, roster.ECONFLICT, "kid@hill.school has no pending invitation.")

	res, err := u.Send(ctx, asManager, "s1", SendRequest{Emails: []string{"new@hill.school", "kid@hill.school", "nobody@hill.school"}}, nil)
	if err != nil || len(res.Queued) != 0 || len(res.Skipped) != 3 || res.Skipped[2].Reason != "No such user." {
		t.Errorf("send = %+v, %v", res, err)
	}
	_, err = u.Send(ctx, asManager, "s1", SendRequest{}, nil)
	wantMessage(t, err, roster.EINVALID, `Give the emails to send, or "all": true.`)
	_, err = u.Send(ctx, asManager, "s1", SendRequest{Emails: []string{"a"}, All: true}, nil)
	wantMessage(t, err, roster.EINVALID, "")

	if v, err = u.Cancel(ctx, asManager, "s1", "new@hill.school"); err != nil || v.Status != roster.StatusRemoved {
		t.Fatalf("cancel = %+v, %v", v, err)
	}
	_, err = u.Cancel(ctx, asManager, "s1", "new@hill.school")
	wantMessage(t, err, roster.ECONFLICT, "new@hill.school has no pending invitation.")
}

func TestAccept(t *testing.T) {
	ctx := context.Background()
	newcomer := caller("new@hill.school", "sub-new")
	tests := []struct {
		name   string
		caller Caller
		token  string
		code   string
		msg    string
	}{
		{"the invited person", newcomer, "tok-new", "", ""},
		{"someone else", caller("kid@hill.school", "sub-kid"), "tok-new", roster.EFORBIDDEN, "This invitation was sent to another email address. Sign in with the address it was sent to."},
		{"an unknown token", newcomer, "tok-other", roster.ENOTFOUND, "This invitation is not valid any more: it may have been cancelled or sent again. Ask the school for a new one."},
		{"no token", newcomer, "  ", roster.EINVALID, ""},
		{"an unverified email", Caller{Email: "new@hill.school", Sub: "sub-new"}, "tok-new", roster.EUNAUTHORIZED, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := everyone()
			iv := &Invitees{Store: f, Now: func() time.Time { return t0 }}
			a, err := iv.Accept(ctx, tt.caller, tt.token)
			if tt.code != "" {
				wantMessage(t, err, tt.code, tt.msg)
				if len(f.saved) != 0 {
					t.Error("a refused accept changed the member")
				}
				return
			}
			m := f.members["new@hill.school"]
			if err != nil || a.Status != roster.StatusActive || a.SchoolName != "Hill School" || m.Sub != "sub-new" || m.JoinedAt == nil {
				t.Fatalf("accept = %+v, %v (stored %+v)", a, err, m)
			}
			// Again: harmless for the same person, refused for another login.
			if a, err = iv.Accept(ctx, tt.caller, tt.token); err != nil || a.Status != roster.StatusActive || len(f.saved) != 1 {
				t.Errorf("accept again = %+v, %v (%d saves)", a, err, len(f.saved))
			}
			_, err = iv.Accept(ctx, caller("new@hill.school", "sub-recreated"), tt.token)
			wantMessage(t, err, roster.EFORBIDDEN, "")
		})
	}
}

func TestMe(t *testing.T) {
	iv := &Invitees{Store: everyone(), Now: func() time.Time { return t0 }}
	me, err := iv.Me(context.Background(), caller("kid@hill.school", "sub-kid"))
	if err != nil || me.Email != "kid@hill.school" || len(me.Schools) != 1 || me.Schools[0].SchoolName != "Hill School" || me.Schools[0].Status != roster.StatusActive {
		t.Errorf("Me = %+v, %v", me, err)
	}
	if me, _ = iv.Me(context.Background(), caller("gone@hill.school", "sub-gone")); len(me.Schools) != 0 {
		t.Errorf("a removed member's schools = %+v", me.Schools)
	}
	_, err = iv.Me(context.Background(), Caller{Email: "kid@hill.school"})
	wantMessage(t, err, roster.EUNAUTHORIZED, "")
}

func TestListUsersRequest(t *testing.T) {
	f := everyone()
	f.page = UserPage{Members: []roster.Member{kidM}, Next: "lee#kim#kid@hill.school"}
	u := testUsers(f)
	ctx := context.Background()
	l, err := u.List(ctx, asManager, "s1", ListUsersRequest{Query: "Zoë", Group: "PARENTS", Status: "invited"})
	if err != nil || f.query.GroupID != "parents" || f.query.Status != roster.StatusInvited || f.query.Limit != 50 ||
		strings.Join(f.query.Search, " ") != "zoe" || len(l.Users) != 1 || l.Users[0].Groups[0].Name != "Students" || l.NextCursor == "" {
		t.Fatalf("List = %+v, %v with query %+v", l, err, f.query)
	}
	if _, err := u.List(ctx, asManager, "s1", ListUsersRequest{Query: "Zoë", Group: "PARENTS", Status: "invited", Cursor: l.NextCursor}); err != nil || f.query.After != "lee#kim#kid@hill.school" {
		t.Errorf("next page: %v after %q", err, f.query.After)
	}
	for name, req := range map[string]ListUsersRequest{
		"the cursor of another query":             {Query: "zo", Cursor: l.NextCursor},
		"a tampered cursor":                       {Query: "Zoë", Group: "PARENTS", Status: "invited", Cursor: "x" + l.NextCursor},
		"limit 0 is the default, 101 is too many": {Limit: 101},
		"an unknown status":                       {Status: "pending"},
		"an unknown group":                        {Group: "Teachers"},
	} {
		if _, err := u.List(ctx, asManager, "s1", req); roster.ErrorCode(err) != roster.EINVALID {
			t.Errorf("%s: %v, want invalid", name, err)
		}
	}
	if _, err := u.List(ctx, asManager, "s2", ListUsersRequest{Cursor: l.NextCursor}); roster.ErrorCode(err) != roster.EFORBIDDEN {
		t.Errorf("another school: %v", err)
	}
}
