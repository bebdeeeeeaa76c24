package httpapi

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"strings"
	"testing"

	"github.com/aws/aws-lambda-go/events"

	"github.com/schoolroster/rosterimport/internal/app"
	"github.com/schoolroster/rosterimport/internal/roster"
)

type schoolGetterFunc func(ctx context.Context, caller app.Caller, schoolID string) (app.SchoolView, error)

func (f schoolGetterFunc) GetSchool(ctx context.Context, c app.Caller, id string) (app.SchoolView, error) {
	return f(ctx, c, id)
}

func request(route string, path map[string]string, email string) events.APIGatewayV2HTTPRequest {
	ev := events.APIGatewayV2HTTPRequest{RouteKey: route, PathParameters: path}
	ev.RequestContext.RequestID = "req-1"
	if email != "" {
		ev.RequestContext.Authorizer = &events.APIGatewayV2HTTPRequestContextAuthorizerDescription{
			JWT: &events.APIGatewayV2HTTPRequestContextAuthorizerJWTDescription{Claims: map[string]string{
				"email": email, "email_verified": "true", "sub": "sub-ann",
			}},
		}
	}
	return ev
}

func TestRouterMapsErrorsToStatuses(t *testing.T) {
	var logs strings.Builder
	secret := errors.New("dynamodb: ProvisionedThroughputExceeded on table secret-table")
	tests := []struct {
		name       string
		route      string
		result     error
		wantStatus int
		wantCode   string
		wantMsg    string
	}{
		{"ok", "GET /schools/{schoolId}", nil, 200, "", ""},
		{"forbidden", "GET /schools/{schoolId}", roster.Errorf(roster.EFORBIDDEN, "You must be an owner or manager of this school."), 403, "forbidden", "You must be an owner or manager of this school."},
		{"not found", "GET /schools/{schoolId}", roster.Errorf(roster.ENOTFOUND, "School not found."), 404, "not_found", "School not found."},
		{"invalid", "GET /schools/{schoolId}", roster.Errorf(roster.EINVALID, "Bad."), 400, "invalid", "Bad."},
		{"conflict", "GET /schools/{schoolId}", roster.Errorf(roster.ECONFLICT, "Busy."), 409, "conflict", "Busy."},
		{"unauthorized", "GET /schools/{schoolId}", roster.Errorf(roster.EUNAUTHORIZED, "Sign in."), 401, "unauthorized", "Sign in."},
		{"internal hides details", "GET /schools/{schoolId}", roster.Internal(secret), 500, "internal", "An internal error has occurred."},
		{"plain error is internal", "GET /schools/{schoolId}", secret, 500, "internal", "An internal error has occurred."},
		{"too many requests", "GET /schools/{schoolId}", roster.Errorf(roster.ETOOMANYREQUESTS, "Slow down."), 429, "too_many_requests", "Slow down."},
		{"route without handler", "GET /schools/{schoolId}/users/export.csv", nil, 501, "not_implemented", "This operation is not available yet."},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rt := NewRouter(slog.New(slog.NewJSONHandler(&logs, nil)))
			UsersAPI(rt, UsersAPIServices{Schools: schoolGetterFunc(func(_ context.Context, c app.Caller, id string) (app.SchoolView, error) {
				if c.Email != "ann@hill.school" || id != "s1" || !c.EmailVerified || c.Sub != "sub-ann" {
					t.Errorf("handler got caller %+v school %q", c, id)
				}
				return app.SchoolView{School: roster.School{ID: id, Name: "Hill"}}, tt.result
			})})
			resp, err := rt.Serve(context.Background(), request(tt.route, map[string]string{"schoolId": "s1"}, "ann@hill.school"))
			if err != nil {
				t.Fatal(err)
			}
			if resp.StatusCode != tt.wantStatus {
				t.Fatalf("status = %d, want %d (%s)", resp.StatusCode, tt.wantStatus, resp.Body)
			}
			if strings.Contains(resp.Body, "secret-table") {
				t.Errorf("internal details reached the client: %s", resp.Body)
			}
			if tt.wantCode == "" {
				var v app.SchoolView
				if err := json.Unmarshal([]byte(resp.Body), &v); err != nil || v.Name != "Hill" {
					t.Errorf("body = %s", resp.Body)
				}
				return
			}
			var body struct {
				Error struct{ Code, Message string }
			}
			if err := json.Unmarshal([]byte(resp.Body), &body); err != nil {
				t.Fatal(err)
			}
			if body.Error.Code != tt.wantCode || body.Error.Message != tt.wantMsg {
				t.Errorf("error = %+v, want %s %q", body.Error, tt.wantCode, tt.wantMsg)
			}
		})
	}
	if !strings.Contains(logs.String(), "secret-table") || !strings.Contains(logs.String(), `"requestId":"req-1"`) {
		t.Errorf("internal errors should be logged with the request id; log:\n%s", logs.String())
	}
}

func TestDecodeJSON(t *testing.T) {
	var v struct{ Kind string }
	tests := []struct {
		body    string
		wantErr bool
	}{
		{`{"Kind":"users"}`, false},
		{``, true},
		{`{"Kind":`, true},
		{`{"Other":1}`, true},
	}
	for _, tt := range tests {
		err := DecodeJSON(&Request{Body: []byte(tt.body)}, &v)
		if (err != nil) != tt.wantErr || (err != nil && roster.ErrorCode(err) != roster.EINVALID) {
			t.Errorf("DecodeJSON(%q) = %v, want error %v", tt.body, err, tt.wantErr)
		}
	}
}

func TestCallerOfClaims(t *testing.T) {
	for _, tt := range []struct {
		claims map[string]string
		want   app.Caller
	}{
		{map[string]string{"email": "a@x.school", "email_verified": "true", "sub": "s"}, app.Caller{Email: "a@x.school", EmailVerified: true, Sub: "s"}},
		{map[string]string{"email": "a@x.school", "email_verified": "True", "sub": "s"}, app.Caller{Email: "a@x.school", EmailVerified: true, Sub: "s"}},
		{map[string]string{"email": "a@x.school", "email_verified": "false", "sub": "s"}, app.Caller{Email: "a@x.school", Sub: "s"}},
		{map[string]string{"email": "a@x.school", "sub": "s"}, app.Caller{Email: "a@x.school", Sub: "s"}},
	} {
		if got := callerOf(tt.claims); got != tt.want {
			t.Errorf("callerOf(%v) = %+v, want %+v", tt.claims, got, tt.want)
		}
	}
}
