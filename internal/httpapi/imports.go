package httpapi

import (
	"context"
	"encoding/base64"
	"net/http"

	"github.com/aws/aws-lambda-go/events"

	"github.com/schoolroster/rosterimport/internal/app"
	"github.com/schoolroster/rosterimport/internal/roster"
)

// ImportService is the import use cases the imports API serves.
type ImportService interface {
	Start(ctx context.Context, caller app.Caller, schoolID string, req app.StartImport) (app.ImportView, error)
	Get(ctx context.Context, caller app.Caller, schoolID, importID string) (roster.Import, error)
	List(ctx context.Context, caller app.Caller, schoolID, cursor string, limit int) (app.ImportPage, error)
	Confirm(ctx context.Context, caller app.Caller, schoolID, importID string, opts roster.ConfirmOptions) (roster.Import, bool, error)
	FileURL(ctx context.Context, caller app.Caller, schoolID, importID, file string) (string, error)
	Template(ctx context.Context, caller app.Caller, schoolID, name string) ([]byte, error)
}

var _ ImportService = (*app.Imports)(nil)

// ImportsAPI registers the imports-api function's routes on rt.
func ImportsAPI(rt *Router, svc ImportService) {
	rt.Handle("POST /schools/{schoolId}/imports", func(ctx context.Context, r *Request) (Response, error) {
		var req app.StartImport
		if err := DecodeJSON(r, &req); err != nil {
			return Response{}, err
		}
		v, err := svc.Start(ctx, r.Caller, r.Path["schoolId"], req)
		if err != nil {
			return Response{}, err
		}
		return Response{Status: http.StatusCreated, Body: v}, nil
	})
	rt.Handle("GET /schools/{schoolId}/imports", func(ctx context.Context, r *Request) (Response, error) {
		limit, err := queryLimit(r)
		if err != nil {
			return Response{}, err
		}
		page, err := svc.List(ctx, r.Caller, r.Path["schoolId"], r.Query["cursor"], limit)
		if err != nil {
			return Response{}, err
		}
		return OK(page), nil
	})
	rt.Handle("GET /schools/{schoolId}/imports/{importId}", func(ctx context.Context, r *Request) (Response, error) {
		imp, err := svc.Get(ctx, r.Caller, r.Path["schoolId"], r.Path["importId"])
		if err != nil {
			return Response{}, err
		}
		return OK(imp), nil
	})
	rt.Handle("POST /schools/{schoolId}/imports/{importId}/confirm", func(ctx context.Context, r *Request) (Response, error) {
		req := struct {
			SendInvitations *bool `json:"sendInvitations"`
			UpdateExisting  bool  `json:"updateExisting"`
		}{}
		if len(r.Body) > 0 {
			if err := DecodeJSON(r, &req); err != nil {
				return Response{}, err
			}
		}
		opts := roster.ConfirmOptions{SendInvitations: req.SendInvitations == nil || *req.SendInvitations, UpdateExisting: req.UpdateExisting}
		imp, _, err := svc.Confirm(ctx, r.Caller, r.Path["schoolId"], r.Path["importId"], opts)
		if err != nil {
			return Response{}, err
		}
		return Response{Status: http.StatusAccepted, Body: imp}, nil
	})
	rt.Handle("GET /schools/{schoolId}/imports/{importId}/files/{file}", func(ctx context.Context, r *Request) (Response, error) {
		url, err := svc.FileURL(ctx, r.Caller, r.Path["schoolId"], r.Path["importId"], r.Path["file"])
		if err != nil {
			return Response{}, err
		}
		return OK(map[string]string{"url": url}), nil
	})
	rt.Handle("GET /schools/{schoolId}/templates/{file}", func(ctx context.Context, r *Request) (Response, error) {
		b, err := svc.Template(ctx, r.Caller, r.Path["schoolId"], r.Path["file"])
		if err != nil {
			return Response{}, err
		}
		return Response{Status: http.StatusOK, Raw: &RawBody{
			ContentType: app.TemplateContentType(r.Path["file"]), Body: b,
			Headers: map[string]string{"content-disposition": `attachment; filename="` + r.Path["file"] + `"`},
		}}, nil
	})
}

// RawBody is a non-JSON response body (a CSV file or a workbook).
type RawBody struct {
	ContentType string
	Headers     map[string]string
	Body        []byte
}

func rawResponse(status int, raw *RawBody) events.APIGatewayV2HTTPResponse {
	h := map[string]string{"content-type": raw.ContentType, "cache-control": "no-store"}
	for k, v := range raw.Headers {
		h[k] = v
	}
	return events.APIGatewayV2HTTPResponse{StatusCode: status, Headers: h, Body: base64.StdEncoding.EncodeToString(raw.Body), IsBase64Encoded: true}
}
