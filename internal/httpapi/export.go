package httpapi

import (
	"context"
	"net/http"

	"github.com/schoolroster/rosterimport/internal/app"
)

// ExportService is the users export use cases the users API serves.
type ExportService interface {
	Start(ctx context.Context, caller app.Caller, schoolID string) (app.ExportView, error)
	Get(ctx context.Context, caller app.Caller, schoolID, exportID string) (app.ExportView, error)
}

var _ ExportService = (*app.Exports)(nil)

// exportRoutes registers the users export's routes. Asking for the file
// starts an export in the background and answers 202 with it, and where to
// follow it; the export, once done, carries a short-lived download link.
func exportRoutes(rt *Router, exports ExportService) {
	rt.Handle("GET /schools/{schoolId}/users/export.csv", func(ctx context.Context, r *Request) (Response, error) {
		v, err := exports.Start(ctx, r.Caller, r.Path["schoolId"])
		if err != nil {
			return Response{}, err
		}
		return Response{Status: http.StatusAccepted, Body: v, Headers: map[string]string{
			"location": "/schools/" + v.SchoolID + "/users/exports/" + v.ID,
		}}, nil
	})
	rt.Handle("GET /schools/{schoolId}/users/exports/{exportId}", func(ctx context.Context, r *Request) (Response, error) {
		return respond(exports.Get(ctx, r.Caller, r.Path["schoolId"], r.Path["exportId"]))
	})
}
