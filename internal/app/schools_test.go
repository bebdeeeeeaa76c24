package app

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/schoolroster/rosterimport/internal/roster"
)

// fakeSchoolStore is a SchoolStore whose behaviour tests set with functions.
type fakeSchoolStore struct {
	bound      []string // logins bound, "email sub"
	getMember  func(schoolID, email string) (roster.Member, error)
	getSchool  func(schoolID string) (roster.School, error)
	listGroups func(schoolID string) ([]roster.Group, error)
}

var _ SchoolStore = (*fakeSchoolStore)(nil)

func (f *fakeSchoolStore) GetMember(_ context.Context, schoolID, email string) (roster.Member, error) {
	return f.getMember(schoolID, email)
}
func (f *fakeSchoolStore) BindSub(_ context.Context, _, email, sub string) error {
	f.bound = append(f.bound, email+" "+sub)
	return nil
}
func (f *fakeSchoolStore) GetSchool(_ context.Context, id string) (roster.School, error) {
	return f.getSchool(id)
}
func (f *fakeSchoolStore) ListGroups(_ context.Context, id string) ([]roster.Group, error) {
	return f.listGroups(id)
}

func TestGetSchoolChecksTheCallersRoleFirst(t *testing.T) {
	school := roster.School{ID: "s1", Name: "Hill School"}
	groups := []roster.Group{{Name: "Staff", MemberCount: 1}}
	memberWithLogin := func(role roster.Role, status roster.UserStatus, sub string) func(string, string) (roster.Member, error) {
		return func(schoolID, email string) (roster.Member, error) {
			if schoolID != "s1" || email != "ann@hill.school" {
				return roster.Member{}, roster.Errorf(roster.ENOTFOUND, "User not found.")
			}
			return roster.Member{SchoolID: schoolID, Email: email, Role: role, Status: status, Sub: sub}, nil
		}
	}
	member := func(role roster.Role, status roster.UserStatus) func(string, string) (roster.Member, error) {
		return memberWithLogin(role, status, "sub-ann")
	}
	tests := []struct {
		name       string
		caller     string
		unverified bool
		sub        string
		schoolID   string
		getMember  func(string, string) (roster.Member, error)
		wantCode   string
		wantBound  string
	}{
		{"owner", "ann@hill.school", false, "sub-ann", "s1", member(roster.RoleOwner, roster.StatusActive), "", ""},
		{"manager, email in another case", "  Ann@Hill.SCHOOL ", false, "sub-ann", "s1", member(roster.RoleManager, roster.StatusActive), "", ""},
		{"member without a role", "ann@hill.school", false, "sub-ann", "s1", member(roster.RoleNone, roster.StatusActive), roster.EFORBIDDEN, ""},
		{"removed manager", "ann@hill.school", false, "sub-ann", "s1", member(roster.RoleManager, roster.StatusRemoved), roster.EFORBIDDEN, ""},
		{"invited manager who has not accepted", "ann@hill.school", false, "sub-ann", "s1", member(roster.RoleManager, roster.StatusInvited), roster.EFORBIDDEN, ""},
		{"owner of another school", "ann@hill.school", false, "sub-ann", "s2", member(roster.RoleOwner, roster.StatusActive), roster.EFORBIDDEN, ""},
		{"no email claim", "", false, "sub-ann", "s1", member(roster.RoleOwner, roster.StatusActive), roster.EUNAUTHORIZED, ""},
		{"email not verified", "ann@hill.school", true, "sub-ann", "s1", member(roster.RoleOwner, roster.StatusActive), roster.EUNAUTHORIZED, ""},
		{"a token without a sub", "ann@hill.school", false, "", "s1", member(roster.RoleOwner, roster.StatusActive), roster.EUNAUTHORIZED, ""},
		{"another login for the same email", "ann@hill.school", false, "sub-recreated", "s1", member(roster.RoleOwner, roster.StatusActive), roster.EFORBIDDEN, ""},
		{"first sign-in binds the login", "ann@hill.school", false, "sub-first", "s1", memberWithLogin(roster.RoleOwner, roster.StatusActive, ""), "", "ann@hill.school sub-first"},
		{"store fault", "ann@hill.school", false, "sub-ann", "s1", func(string, string) (roster.Member, error) {
			return roster.Member{}, roster.Internal(errors.New("throttled"))
		}, roster.EINTERNAL, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			schoolReads := 0
			store := &fakeSchoolStore{
				getMember: tt.getMember,
				getSchool: func(string) (roster.School, error) { schoolReads++; return school, nil },
				listGroups: func(string) ([]roster.Group, error) {
					return groups, nil
				},
			}
			svc := &Schools{Store: store}
			got, err := svc.GetSchool(context.Background(), Caller{Email: tt.caller, EmailVerified: !tt.unverified, Sub: tt.sub}, tt.schoolID)
			if code := roster.ErrorCode(err); code != tt.wantCode {
				t.Fatalf("error code = %q, want %q (err %v)", code, tt.wantCode, err)
			}
			if tt.wantCode != "" {
				if schoolReads != 0 {
					t.Error("the school was read before the caller was authorised")
				}
				return
			}
			if got.Name != "Hill School" || len(got.Groups) != 1 || got.Groups[0].Name != "Staff" {
				t.Errorf("got %+v", got)
			}
			if bound := strings.Join(store.bound, ","); bound != tt.wantBound {
				t.Errorf("logins bound = %q, want %q", bound, tt.wantBound)
			}
		})
	}
}
