package roster

// Who may change whom. The caller has already been checked to be an active
// owner or manager of the school.

// ParseRole reads a role as the API takes it: "owner", "manager", or "" (none).
// Errors: EINVALID for anything else.
func ParseRole(s string) (Role, error) {
	switch r := Role(s); r {
	case RoleOwner, RoleManager, RoleNone:
		return r, nil
	}
	return "", Errorf(EINVALID, `Unknown role %q: use "owner", "manager" or "" for none.`, Clip(s, 20))
}

// CanGrant says whether actor may give a new member role.
// Errors: EFORBIDDEN when a manager grants owner.
func CanGrant(actor Member, role Role) error {
	if role == RoleOwner && actor.Role != RoleOwner {
		return Errorf(EFORBIDDEN, "Only an owner can make someone an owner.")
	}
	return nil
}

// CanChangeRole says whether actor may change target's role to role.
// Errors: EFORBIDDEN for one's own role, an owner changed by a manager, or
// owner granted by a manager.
func CanChangeRole(actor, target Member, role Role) error {
	if role == target.Role {
		return nil
	}
	if actor.Email == target.Email {
		return Errorf(EFORBIDDEN, "You cannot change your own role.")
	}
	if target.Role == RoleOwner && actor.Role != RoleOwner {
		return Errorf(EFORBIDDEN, "Only an owner can change the role of an owner.")
	}
	return CanGrant(actor, role)
}

// CanRemove says whether actor may remove target (or cancel target's invitation).
// Errors: EFORBIDDEN for oneself or an owner removed by a manager.
func CanRemove(actor, target Member) error {
	if actor.Email == target.Email {
		return Errorf(EFORBIDDEN, "You cannot remove yourself.")
	}
	if target.Role == RoleOwner && actor.Role != RoleOwner {
		return Errorf(EFORBIDDEN, "Only an owner can remove an owner.")
	}
	return nil
}

// Clip returns at most the first n characters of s, for echoing input in a message.
func Clip(s string, n int) string {
	r := []rune(s)
	if len(r) > n {
		return string(r[:n])
	}
	return s
}
