package app

import (
	"context"

	"github.com/schoolroster/rosterimport/internal/roster"
)

// SchoolStore is what the school use cases need from storage.
type SchoolStore interface {
	MemberGetter
	// GetSchool returns ENOTFOUND when there is no such school.
	GetSchool(ctx context.Context, schoolID string) (roster.School, error)
	ListGroups(ctx context.Context, schoolID string) ([]roster.Group, error)
}

// Schools serves the school-level use cases.
type Schools struct {
	Store SchoolStore
}

// SchoolView is a school with its groups.
type SchoolView struct {
	roster.School
	Groups []roster.Group `json:"groups"`
}

// GetSchool returns a school and its groups to one of its owners or managers.
// Errors: EUNAUTHORIZED, EFORBIDDEN (see authorizeAdmin); ENOTFOUND; EINTERNAL.
func (s *Schools) GetSchool(ctx context.Context, caller Caller, schoolID string) (SchoolView, error) {
	if _, err := authorizeAdmin(ctx, s.Store, caller, schoolID); err != nil {
		return SchoolView{}, err
	}
	school, err := s.Store.GetSchool(ctx, schoolID)
	if err != nil {
		return SchoolView{}, err
	}
	groups, err := s.Store.ListGroups(ctx, schoolID)
	if err != nil {
		return SchoolView{}, err
	}
	if groups == nil {
		groups = []roster.Group{}
	}
	return SchoolView{School: school, Groups: groups}, nil
}
