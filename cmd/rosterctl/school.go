package main

import (
	"context"
	"fmt"
	"time"

	"github.com/schoolroster/rosterimport/internal/app"
	"github.com/schoolroster/rosterimport/internal/roster"
)

// Store is what creating a school needs from the roster table
// (*dynamo.Store).
type Store interface {
	// GetSchool returns ENOTFOUND when there is no such school.
	GetSchool(ctx context.Context, schoolID string) (roster.School, error)
	// GetMember returns ENOTFOUND when the email is not a user of the school.
	GetMember(ctx context.Context, schoolID, email string) (roster.Member, error)
	// CreateSchool writes the school, its default groups and its owner, all
	// or nothing; ECONFLICT when the school exists.
	CreateSchool(ctx context.Context, school roster.School, owner roster.Member) error
	// SaveMember writes a change to a member; ECONFLICT when it changed
	// since it was read.
	SaveMember(ctx context.Context, c app.MemberChange) (roster.Member, error)
}

// Operator is who invited a school's first owner, as the user item records
// it (invitedBy, updatedBy).
const Operator = "rosterctl"

// resendInterval is how often the owner's invitation may be sent again, as
// administrators may resend one.
const resendInterval = time.Minute

// SchoolCreator creates a school with its default groups and invites its
// first owner. Creating a school that exists changes nothing.
type SchoolCreator struct {
	Store Store
	// Sealer seals the invitation token for the mailer; without one the
	// invitation is held (no email).
	Sealer *roster.Sealer
	Now    func() time.Time
}

// CreateRequest is a school to create and the email of its first owner
// (normalised, as csvimport.CheckEmail returns it). Send asks for the
// owner's invitation to be sent, and sent again when the school exists.
type CreateRequest struct {
	ID, Name, Owner string
	Send            bool
}

// Outcome is what Create did.
type Outcome string

// Outcomes.
const (
	Created Outcome = "created" // the school, its groups and its invited owner were written
	Exists  Outcome = "exists"  // the school was there already, as asked: nothing changed
	Resent  Outcome = "resent"  // the school was there; its owner's invitation was queued again (Send)
)

// Result is the school and its owner after Create.
type Result struct {
	Outcome Outcome
	School  roster.School
	Owner   roster.Member
}

// Create creates the school with the groups Students, Staff and Parents and
// invites its owner (role owner, group Staff): the invitation's mail is
// queued with a sealed token when there is a Sealer, held otherwise. When the
// school exists with that name and owner, nothing changes (Exists), unless
// Send asks to send the owner's pending invitation again (Resent).
// Errors: EINVALID for Send without a Sealer; ECONFLICT when the school
// exists with another name, or the email is not one of its owners;
// ETOOMANYREQUESTS for Send within a minute of the last send; EINTERNAL.
func (c *SchoolCreator) Create(ctx context.Context, req CreateRequest) (Result, error) {
	if req.Send && c.Sealer == nil {
		return Result{}, roster.Errorf(roster.EINVALID, "--send needs the token sealing secret.")
	}
	school, err := c.Store.GetSchool(ctx, req.ID)
	switch {
	case err == nil:
		return c.existing(ctx, school, req)
	case roster.ErrorCode(err) != roster.ENOTFOUND:
		return Result{}, err
	}
	now := c.Now().UTC()
	school = roster.School{ID: req.ID, Name: req.Name, CreatedAt: now}
	inv := roster.Invitation{SchoolID: req.ID, Email: req.Owner, Role: roster.RoleOwner, Groups: []string{"staff"},
		InvitedBy: Operator, MailStatus: roster.MailHeld, InvitedAt: now}
	if c.Sealer != nil {
		token, hash := roster.NewInvitationToken()
		inv.TokenHash, inv.SealedToken, inv.MailStatus = hash, c.Sealer.Seal(token, req.ID, req.Owner), roster.MailQueued
	}
	owner := inv.Member()
	err = c.Store.CreateSchool(ctx, school, owner)
	if roster.ErrorCode(err) == roster.ECONFLICT {
		// Created meanwhile (another run), or some of its items are there.
		school, err := c.Store.GetSchool(ctx, req.ID)
		if err != nil {
			return Result{}, fmt.Errorf("school %s could not be created, and cannot be read: %w", req.ID, err)
		}
		return c.existing(ctx, school, req)
	}
	if err != nil {
		return Result{}, err
	}
	owner.SchoolID, owner.Version = school.ID, 1 // as CreateSchool wrote it
	return Result{Outcome: Created, School: school, Owner: owner}, nil
}

// existing is Create for a school that exists: the same school (name and
// owner) is left as it is, or its owner's invitation is sent again for Send.
func (c *SchoolCreator) existing(ctx context.Context, school roster.School, req CreateRequest) (Result, error) {
	for attempt := 0; attempt < 3; attempt++ {
		owner, err := c.Store.GetMember(ctx, school.ID, req.Owner)
		if err != nil && roster.ErrorCode(err) != roster.ENOTFOUND {
			return Result{}, err
		}
		if problem := mismatch(school, req, owner, err == nil); problem != "" {
			return Result{}, roster.Errorf(roster.ECONFLICT, "%s", problem)
		}
		res := Result{Outcome: Exists, School: school, Owner: owner}
		if !req.Send || owner.Status != roster.StatusInvited {
			return res, nil
		}
		now := c.Now().UTC()
		if owner.MailQueuedAt != nil && now.Sub(*owner.MailQueuedAt) < resendInterval {
			return Result{}, roster.Errorf(roster.ETOOMANYREQUESTS,
				"The invitation to %s was sent less than a minute ago. Nothing was changed; try again in a minute.", owner.Email)
		}
		after := owner
		token, hash := roster.NewInvitationToken()
		after.TokenHash, after.SealedToken = hash, c.Sealer.Seal(token, school.ID, owner.Email)
		after.MailStatus, after.MailError, after.MailQueuedAt = roster.MailQueued, "", &now
		after.SendCount++
		after.UpdatedAt, after.UpdatedBy = &now, Operator
		saved, err := c.Store.SaveMember(ctx, app.MemberChange{Before: &owner, After: after})
		if roster.ErrorCode(err) == roster.ECONFLICT {
			continue // changed meanwhile (accepted, say): look again
		}
		if err != nil {
			return Result{}, err
		}
		return Result{Outcome: Resent, School: school, Owner: saved}, nil
	}
	return Result{}, roster.Errorf(roster.ECONFLICT, "The owner of school %s kept changing meanwhile. Try again.", school.ID)
}

// mismatch says how an existing school differs from the request (another
// name, or an email that is not one of its owners); "" when it does not.
func mismatch(school roster.School, req CreateRequest, m roster.Member, isMember bool) string {
	var notOwner string
	switch {
	case !isMember:
		notOwner = "not a member"
	case m.Status == roster.StatusRemoved:
		notOwner = "removed"
	case m.Role != roster.RoleOwner:
		role := "no role"
		if m.Role != roster.RoleNone {
			role = "role " + string(m.Role)
		}
		notOwner = fmt.Sprintf("%s, %s", m.Status, role)
	}
	const end = " Nothing was changed; a new school needs another --id."
	switch nameOK := school.Name == req.Name; {
	case nameOK && notOwner == "":
		return ""
	case notOwner == "":
		return fmt.Sprintf("School %s exists already with the name %q, not %q.", school.ID, school.Name, req.Name) + end
	case nameOK:
		return fmt.Sprintf("School %s (%q) exists already, and %s is not one of its owners (%s).", school.ID, school.Name, req.Owner, notOwner) + end
	default:
		return fmt.Sprintf("School %s exists already with the name %q, not %q, and %s is not one of its owners (%s).",
			school.ID, school.Name, req.Name, req.Owner, notOwner) + end
	}
}
