package local

import (
	"context"
	"time"

	"github.com/schoolroster/rosterimport/internal/dynamo"
	"github.com/schoolroster/rosterimport/internal/roster"
)

// The demo school `make run` seeds.
const (
	DemoSchoolID   = "demo"
	DemoSchoolName = "Demo School"
	DemoOwnerEmail = "admin@demo.school"
)

// SeedSchool creates a school with the default groups (Students, Staff,
// Parents) and an active owner in the stack's roster table. Seeding a school
// that already exists leaves it as it is.
func (s *Stack) SeedSchool(ctx context.Context, id, name, ownerEmail string) error {
	store := dynamo.NewStore(s.DynamoDB, s.Tables["RosterTable"])
	now := time.Now().UTC()
	err := store.CreateSchool(ctx, roster.School{ID: id, Name: name, CreatedAt: now}, roster.ActiveOwner(ownerEmail, now))
	if roster.ErrorCode(err) == roster.ECONFLICT {
		return nil
	}
	return err
}
