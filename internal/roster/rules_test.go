package roster

import "testing"

func TestRoleRules(t *testing.T) {
	owner := Member{Email: "o@x", Role: RoleOwner, Status: StatusActive}
	owner2 := Member{Email: "o2@x", Role: RoleOwner, Status: StatusActive}
	manager := Member{Email: "m@x", Role: RoleManager, Status: StatusActive}
	member := Member{Email: "u@x", Status: StatusActive}
	for _, tt := range []struct {
		name   string
		err    error
		wantOK bool
	}{
		{"owner makes a member manager", CanChangeRole(owner, member, RoleManager), true},
		{"owner makes a member owner", CanChangeRole(owner, member, RoleOwner), true},
		{"manager makes a member manager", CanChangeRole(manager, member, RoleManager), true},
		{"manager cannot grant owner", CanChangeRole(manager, member, RoleOwner), false},
		{"manager cannot demote an owner", CanChangeRole(manager, owner, RoleManager), false},
		{"owner demotes another owner", CanChangeRole(owner, owner2, RoleNone), true},
		{"nobody changes their own role", CanChangeRole(owner, owner, RoleManager), false},
		{"the same role is no change", CanChangeRole(manager, owner, RoleOwner), true},
		{"manager removes a member", CanRemove(manager, member), true},
		{"manager cannot remove an owner", CanRemove(manager, owner), false},
		{"owner removes an owner", CanRemove(owner, owner2), true},
		{"nobody removes themselves", CanRemove(manager, manager), false},
		{"manager cannot invite an owner", CanGrant(manager, RoleOwner), false},
		{"owner invites an owner", CanGrant(owner, RoleOwner), true},
	} {
		if (tt.err == nil) != tt.wantOK {
			t.Errorf("%s: err = %v, want allowed %v", tt.name, tt.err, tt.wantOK)
		}
		if tt.err != nil && ErrorCode(tt.err) != EFORBIDDEN {
			t.Errorf("%s: code %q, want forbidden", tt.name, ErrorCode(tt.err))
		}
	}
	for in, want := range map[string]string{"owner": "owner", "manager": "manager", "": "", "admin": EINVALID} {
		r, err := ParseRole(in)
		got := string(r)
		if err != nil {
			got = ErrorCode(err)
		}
		if got != want {
			t.Errorf("ParseRole(%q) = %q, want %q", in, got, want)
		}
	}
}
