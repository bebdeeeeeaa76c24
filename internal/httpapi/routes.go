package httpapi

import (
	"context"

	"github.com/schoolroster/rosterimport/internal/app"
)

// SchoolGetter is the school use case the users API serves.
type SchoolGetter interface {
	GetSchool(ctx context.Context, caller app.Caller, schoolID string) (app.SchoolView, error)
}

var _ SchoolGetter = (*app.Schools)(nil)

// UsersAPI registers the users-api function's routes on rt.
func UsersAPI(rt *Router, schools SchoolGetter) {
	rt.Handle("GET /schools/{schoolId}", func(ctx context.Context, r *Request) (Response, error) {
		v, err := schools.GetSchool(ctx, r.Caller, r.Path["schoolId"])
		if err != nil {
			return Response{}, err
		}
		return OK(v), nil
	})
}
