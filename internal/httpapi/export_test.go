package httpapi

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/schoolroster/rosterimport/internal/app"
	"github.com/schoolroster/rosterimport/internal/roster"
)

// fakeExports answers every export call with view or err.
type fakeExports struct {
	view  app.ExportView
	err   error
	calls []string
}

func (f *fakeExports) Start(_ context.Context, c app.Caller, school string) (app.ExportView, error) {
	f.calls = append(f.calls, "start "+school+" "+c.Email)
	return f.view, f.err
}

func (f *fakeExports) Get(_ context.Context, c app.Caller, school, id string) (app.ExportView, error) {
	f.calls = append(f.calls, "get "+school+" "+id+" "+c.Email)
	return f.view, f.err
}

func TestExportRoutes(t *testing.T) {
	at := time.Date(2026, 9, 1, 8, 0, 0, 0, time.UTC)
	queued := app.ExportView{Export: roster.Export{SchoolID: "s1", ID: "EXP1", Status: roster.ExportQueued, RequestedBy: "ann@hill.school",
		CreatedAt: at, UpdatedAt: at, FileName: "users-hill-2026-09-01.csv", ObjectKey: "never/shown", Claim: "never-shown"}}
	done := queued
	done.Status, done.Rows, done.DownloadURL = roster.ExportDone, 3, "https://s3.example/exports/s1/EXP1/users.csv?sig"
	for _, tt := range []struct {
		name         string
		route        string
		path         map[string]string
		view         app.ExportView
		err          error
		wantStatus   int
		wantLocation string
		wantCall     string
	}{
		{"asking for the file starts an export", "GET /schools/{schoolId}/users/export.csv", map[string]string{"schoolId": "s1"}, queued, nil,
			202, "/schools/s1/users/exports/EXP1", "start s1 ann@hill.school"},
		{"the export, done", "GET /schools/{schoolId}/users/exports/{exportId}", map[string]string{"schoolId": "s1", "exportId": "EXP1"}, done, nil,
			200, "", "get s1 EXP1 ann@hill.school"},
		{"a refusal has no location", "GET /schools/{schoolId}/users/export.csv", map[string]string{"schoolId": "s1"}, app.ExportView{},
			roster.Errorf(roster.EFORBIDDEN, "You must be an owner or manager of this school."), 403, "", "start s1 ann@hill.school"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			f := &fakeExports{view: tt.view, err: tt.err}
			rt := NewRouter(slog.New(slog.NewTextHandler(io.Discard, nil)))
			UsersAPI(rt, UsersAPIServices{Exports: f})
			resp, err := rt.Serve(context.Background(), request(tt.route, tt.path, "ann@hill.school"))
			if err != nil {
				t.Fatal(err)
			}
			if resp.StatusCode != tt.wantStatus || resp.Headers["location"] != tt.wantLocation || len(f.calls) != 1 || f.calls[0] != tt.wantCall {
				t.Fatalf("status %d, location %q, calls %v: %s", resp.StatusCode, resp.Headers["location"], f.calls, resp.Body)
			}
			if resp.Headers["content-type"] != "application/json" || resp.Headers["cache-control"] != "no-store" {
				t.Errorf("headers = %v", resp.Headers)
			}
			if tt.err != nil {
				return
			}
			var body map[string]any
			if err := json.Unmarshal([]byte(resp.Body), &body); err != nil {
				t.Fatal(err)
			}
			for _, hidden := range []string{"FileName", "fileName", "objectKey", "ObjectKey", "claim", "Claim", "attempts", "Attempts"} {
				if _, ok := body[hidden]; ok {
					t.Errorf("%s is shown: %s", hidden, resp.Body)
				}
			}
			if body["id"] != "EXP1" || body["status"] != string(tt.view.Status) || body["rows"] != float64(tt.view.Rows) {
				t.Errorf("body = %s", resp.Body)
			}
			if _, ok := body["downloadUrl"]; ok != (tt.view.DownloadURL != "") {
				t.Errorf("downloadUrl shown: %v, want %v: %s", ok, tt.view.DownloadURL != "", resp.Body)
			}
		})
	}
}
