package app

import (
	"context"
	"time"

	"github.com/schoolroster/rosterimport/internal/csvimport"
	"github.com/schoolroster/rosterimport/internal/roster"
)

// InviteRequest is one person to invite: an email, names, a role (owner,
// manager or none) and groups (ids or names), sent now unless Send is false.
type InviteRequest struct {
	Email     string   `json:"email"`
	FirstName string   `json:"firstName"`
	LastName  string   `json:"lastName"`
	Role      string   `json:"role"`
	Groups    []string `json:"groups"`
	UserID    string   `json:"userId"` // the school's own id of the person, unique in the school
	Send      *bool    `json:"send"`
}

// Invite invites one person with the rules of a users CSV row; with neither
// a role nor groups they join Students. A removed user comes back with the
// new invitation's role and groups only.
// Errors: EUNAUTHORIZED, EFORBIDDEN (a manager inviting an owner);
// EINVALID with the row error (email, names, unknown group, role);
// ECONFLICT when the person is a member or invited already, saying which;
// EINTERNAL.
func (u *Users) Invite(ctx context.Context, caller Caller, schoolID string, req InviteRequest) (UserView, error) {
	admin, err := authorizeAdmin(ctx, u.Store, caller, schoolID)
	if err != nil {
		return UserView{}, err
	}
	email, problem := csvimport.CheckEmail(req.Email)
	if problem != "" {
		return UserView{}, roster.Errorf(roster.EINVALID, "%s.", problem)
	}
	first, last, err := cleanNames(req.FirstName, req.LastName)
	if err != nil {
		return UserView{}, err
	}
	role, err := roster.ParseRole(req.Role)
	if err != nil {
		return UserView{}, err
	}
	userID, err := cleanUserID(req.UserID)
	if err != nil {
		return UserView{}, err
	}
	if err := roster.CanGrant(admin, role); err != nil {
		return UserView{}, err
	}
	groups, err := u.Store.ListGroups(ctx, schoolID)
	if err != nil {
		return UserView{}, err
	}
	book := newGroupBook(groups)
	names := req.Groups
	if len(names) == 0 && role == roster.RoleNone {
		names = []string{roster.DefaultGroup}
	}
	groupIDs, err := book.ids(names)
	if err != nil {
		return UserView{}, err
	}
	send := req.Send == nil || *req.Send
	for attempt := 0; attempt < 3; attempt++ {
		before, err := u.Store.GetMember(ctx, schoolID, email)
		var prior *roster.Member
		switch {
		case roster.ErrorCode(err) == roster.ENOTFOUND:
		case err != nil:
			return UserView{}, err
		case before.Status == roster.StatusActive:
			return UserView{}, roster.Errorf(roster.ECONFLICT, "%s is already a member of this school.", email)
		case before.Status == roster.StatusInvited:
			return UserView{}, roster.Errorf(roster.ECONFLICT, "%s already has a pending invitation.", email)
		default:
			prior = &before
		}
		now := u.Now().UTC()
		inv := roster.Invitation{SchoolID: schoolID, Email: email, FirstName: first, LastName: last, Role: role,
			Groups: groupIDs, UserID: userID, InvitedBy: admin.Email, MailStatus: roster.MailHeld, InvitedAt: now}
		after := inv.Member()
		if prior != nil {
			after.SendCount = prior.SendCount
			if after.UserID == "" {
				after.UserID = prior.UserID
			}
			if after.FirstName == "" {
				after.FirstName = prior.FirstName
			}
			if after.LastName == "" {
				after.LastName = prior.LastName
			}
		}
		if send {
			queueMail(u.Sealer, &after, now)
		}
		saved, err := u.Store.SaveMember(ctx, MemberChange{Before: prior, After: after, By: admin.Email, OwnerOnly: role == roster.RoleOwner})
		if roster.ErrorCode(err) == roster.ECONFLICT {
			continue // invited or changed meanwhile: look again
		}
		if err != nil {
			return UserView{}, err
		}
		return book.view(saved), nil
	}
	return UserView{}, errKeptChanging
}

var errKeptChanging = roster.Errorf(roster.ECONFLICT, "The user kept changing while this was being done. Reload and try again.")

// queueMail gives m a new invitation token and queues its mail: the
// table's stream hands it to the mailer. The old token stops working.
func queueMail(sealer *roster.Sealer, m *roster.Member, now time.Time) {
	token, hash := roster.NewInvitationToken()
	m.TokenHash, m.SealedToken = hash, sealer.Seal(token, m.SchoolID, m.Email)
	m.MailStatus, m.MailError, m.MailQueuedAt = roster.MailQueued, "", &now
	m.MailNote, m.MailDueAt = "", nil
	m.SendCount++
}

// cleanUserID cleans a user id typed by an administrator.
// Errors: EINVALID when it is longer than 100 characters.
func cleanUserID(s string) (string, error) {
	id, problem := csvimport.CleanName("User id", s)
	if problem != "" || len([]rune(id)) > 100 {
		return "", roster.Errorf(roster.EINVALID, "User id is longer than 100 characters.")
	}
	return id, nil
}

func cleanNames(first, last string) (string, string, error) {
	f, problem := csvimport.CleanName("First name", first)
	if problem != "" {
		return "", "", roster.Errorf(roster.EINVALID, "%s.", problem)
	}
	l, problem := csvimport.CleanName("Last name", last)
	if problem != "" {
		return "", "", roster.Errorf(roster.EINVALID, "%s.", problem)
	}
	return f, l, nil
}

// UpdateRequest is a change to a user: any of names, role ("" for none)
// and groups (ids or names, replacing the user's groups).
type UpdateRequest struct {
	FirstName *string   `json:"firstName"`
	LastName  *string   `json:"lastName"`
	Role      *string   `json:"role"`
	Groups    *[]string `json:"groups"`
	UserID    *string   `json:"userId"` // "" takes the id away
}

// Update changes a user's names, role, groups or id, recording who did it
// and when. Nobody changes their own role; only an owner grants, changes or
// takes away the owner role.
// Errors: EUNAUTHORIZED, EFORBIDDEN (with the rule broken); ENOTFOUND;
// EINVALID for bad names, role or groups; ECONFLICT for a removed user;
// EINTERNAL.
func (u *Users) Update(ctx context.Context, caller Caller, schoolID, email string, req UpdateRequest) (UserView, error) {
	admin, err := authorizeAdmin(ctx, u.Store, caller, schoolID)
	if err != nil {
		return UserView{}, err
	}
	groups, err := u.Store.ListGroups(ctx, schoolID)
	if err != nil {
		return UserView{}, err
	}
	book := newGroupBook(groups)
	saved, err := u.change(ctx, schoolID, email, func(before roster.Member) (MemberChange, error) {
		if before.Status == roster.StatusRemoved {
			return MemberChange{}, roster.Errorf(roster.ECONFLICT, "%s has been removed. Invite them again to give them access.", before.Email)
		}
		after := before
		ownerOnly := false // names, groups and ids of anyone, owners included, are a manager's to change
		if req.FirstName != nil || req.LastName != nil {
			first, last := before.FirstName, before.LastName
			if req.FirstName != nil {
				first = *req.FirstName
			}
			if req.LastName != nil {
				last = *req.LastName
			}
			if after.FirstName, after.LastName, err = cleanNames(first, last); err != nil {
				return MemberChange{}, err
			}
		}
		if req.Role != nil {
			role, err := roster.ParseRole(*req.Role)
			if err != nil {
				return MemberChange{}, err
			}
			if err := roster.CanChangeRole(admin, before, role); err != nil {
				return MemberChange{}, err
			}
			after.Role = role
			ownerOnly = role != before.Role && (role == roster.RoleOwner || before.Role == roster.RoleOwner)
		}
		if req.Groups != nil {
			if after.Groups, err = book.ids(*req.Groups); err != nil {
				return MemberChange{}, err
			}
		}
		if req.UserID != nil {
			if after.UserID, err = cleanUserID(*req.UserID); err != nil {
				return MemberChange{}, err
			}
		}
		now := u.Now().UTC()
		after.UpdatedAt, after.UpdatedBy = &now, admin.Email
		return MemberChange{Before: &before, After: after, By: admin.Email, OwnerOnly: ownerOnly}, nil
	})
	if err != nil {
		return UserView{}, err
	}
	return book.view(saved), nil
}

// Remove marks a user removed: the record stays, access ends at once, a
// pending invitation's token stops working and the user leaves the group
// counts. Removing a removed user changes nothing.
// Errors: EUNAUTHORIZED, EFORBIDDEN (oneself, or an owner by a manager);
// ENOTFOUND; EINTERNAL.
func (u *Users) Remove(ctx context.Context, caller Caller, schoolID, email string) (UserView, error) {
	admin, err := authorizeAdmin(ctx, u.Store, caller, schoolID)
	if err != nil {
		return UserView{}, err
	}
	saved, err := u.change(ctx, schoolID, email, func(before roster.Member) (MemberChange, error) {
		if err := roster.CanRemove(admin, before); err != nil {
			return MemberChange{}, err
		}
		if before.Status == roster.StatusRemoved {
			return MemberChange{}, errUnchanged
		}
		return MemberChange{Before: &before, After: removed(before, admin.Email, u.Now().UTC()), By: admin.Email,
			OwnerOnly: before.Role == roster.RoleOwner}, nil
	})
	if err != nil {
		return UserView{}, err
	}
	return u.view(ctx, saved)
}

// removed is m removed by whom at now, its invitation token dead.
func removed(m roster.Member, by string, now time.Time) roster.Member {
	m.Status, m.RemovedAt, m.RemovedBy, m.UpdatedAt, m.UpdatedBy = roster.StatusRemoved, &now, by, &now, by
	m.TokenHash, m.SealedToken = "", ""
	return m
}

// errUnchanged ends a change that has nothing to do; change returns the
// member as it is.
var errUnchanged = roster.Errorf(roster.ECONFLICT, "unchanged")

// change reads a member, makes the change edit says and saves it; when
// someone else changed the member meanwhile it starts again from a fresh
// read, a few times.
// Errors: ENOTFOUND when there is no such user; edit's; SaveMember's;
// ECONFLICT when the member keeps changing.
func (u *Users) change(ctx context.Context, schoolID, email string, edit func(before roster.Member) (MemberChange, error)) (roster.Member, error) {
	email = roster.NormalizeEmail(email)
	for attempt := 0; attempt < 3; attempt++ {
		before, err := u.Store.GetMember(ctx, schoolID, email)
		if err != nil {
			return roster.Member{}, err
		}
		c, err := edit(before)
		if err == errUnchanged {
			return before, nil
		}
		if err != nil {
			return roster.Member{}, err
		}
		after, err := u.Store.SaveMember(ctx, c)
		if roster.ErrorCode(err) == roster.ECONFLICT {
			continue
		}
		return after, err
	}
	return roster.Member{}, errKeptChanging
}
