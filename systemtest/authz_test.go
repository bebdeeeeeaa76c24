package systemtest

import (
	"context"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/schoolroster/rosterimport/infra/local/gateway"
	"github.com/schoolroster/rosterimport/infra/local/template"
	"github.com/schoolroster/rosterimport/internal/app"
	"github.com/schoolroster/rosterimport/internal/roster"
)

// The identities of the authorisation matrix, against school "authz".
var identities = []string{"owner", "manager", "member", "removed", "otherOwner", "noToken", "expired", "unverified"}

// matrixRow is one route of the matrix: the request each identity sends
// (with targets of its own, so allowed changes do not collide), and the
// status an administrator of the school gets.
type matrixRow struct {
	request func(id string) (method, path, body string)
	admin   int // owner's and manager's status
	anyone  int // the status of any verified person who is not an administrator (0: 403 on a school route)
}

func authzMatrix() map[string]matrixRow {
	s := "/schools/authz"
	return map[string]matrixRow{
		"POST /schools/{schoolId}/imports": {func(id string) (string, string, string) {
			return "POST", s + "/imports", `{"kind":"users","csv":"email\nimp-` + id + `@authz.school\n"}`
		}, 201, 0},
		"GET /schools/{schoolId}/imports":                             {get(s + "/imports"), 200, 0},
		"GET /schools/{schoolId}/imports/{importId}":                  {get(s + "/imports/NOSUCHIMPORT"), 404, 0},
		"POST /schools/{schoolId}/imports/{importId}/confirm":         {post(s+"/imports/NOSUCHIMPORT/confirm", `{}`), 404, 0},
		"GET /schools/{schoolId}/imports/{importId}/files/{file}":     {get(s + "/imports/NOSUCHIMPORT/files/errors"), 404, 0},
		"GET /schools/{schoolId}/templates/{file}":                    {get(s + "/templates/users.csv"), 200, 0},
		"GET /schools/{schoolId}":                                     {get(s), 200, 0},
		"GET /schools/{schoolId}/users":                               {get(s + "/users?q=t&limit=5"), 200, 0},
		"POST /schools/{schoolId}/users":                              {perID("POST", s+"/users", `{"email":"new-%s@authz.school","send":false}`), 201, 0},
		"GET /schools/{schoolId}/users/{email}":                       {perID("GET", s+"/users/t-%s@authz.school", ""), 200, 0},
		"PATCH /schools/{schoolId}/users/{email}":                     {perID("PATCH", s+"/users/t-%s@authz.school", `{"firstName":"Changed"}`), 200, 0},
		"DELETE /schools/{schoolId}/users/{email}":                    {perID("DELETE", s+"/users/x-%s@authz.school", ""), 200, 0},
		"GET /schools/{schoolId}/users/export.csv":                    {get(s + "/users/export.csv"), 202, 0},
		"GET /schools/{schoolId}/users/exports/{exportId}":            {get(s + "/users/exports/NOSUCHEXPORT"), 404, 0},
		"GET /schools/{schoolId}/groups":                              {get(s + "/groups"), 200, 0},
		"POST /schools/{schoolId}/groups":                             {perID("POST", s+"/groups", `{"name":"New %s"}`), 201, 0},
		"PATCH /schools/{schoolId}/groups/{groupId}":                  {perID("PATCH", s+"/groups/g-%s", `{"name":"Renamed %[1]s"}`), 200, 0},
		"DELETE /schools/{schoolId}/groups/{groupId}":                 {perID("DELETE", s+"/groups/d-%s", ""), 204, 0},
		"GET /schools/{schoolId}/invitations":                         {get(s + "/invitations"), 200, 0},
		"POST /schools/{schoolId}/invitations/send":                   {perID("POST", s+"/invitations/send", `{"emails":["held-%s@authz.school"]}`), 200, 0},
		"POST /schools/{schoolId}/invitations/{email}/resend":         {perID("POST", s+"/invitations/resend-%s@authz.school/resend", ""), 200, 0},
		"DELETE /schools/{schoolId}/invitations/{email}":              {perID("DELETE", s+"/invitations/cancel-%s@authz.school", ""), 200, 0},
		"GET /schools/{schoolId}/relationships":                       {get(s + "/relationships?student=t-owner@authz.school"), 200, 0},
		"DELETE /schools/{schoolId}/relationships/{student}/{parent}": {get2("DELETE", s+"/relationships/a@authz.school/b@authz.school"), 404, 0},
		"POST /invitations/accept":                                    {post("/invitations/accept", `{"token":"not-a-real-token"}`), 404, 404},
		"GET /me":                                                     {get("/me"), 200, 200},
	}
}

// publicRoutes are the routes without the authorizer (the console's
// files): every identity, with or without a token, gets the same status.
var publicRoutes = map[string]struct {
	path   string
	status int
}{
	"GET /":                {"/", 200},
	"GET /accept":          {"/accept?token=anything", 200},
	"GET /callback":        {"/callback?code=x&state=y", 200},
	"GET /config.json":     {"/config.json", 200},
	"GET /assets/{proxy+}": {"/assets/no-such-file.js", 404},
}

func get(path string) func(string) (string, string, string) { return get2("GET", path) }

func get2(method, path string) func(string) (string, string, string) {
	return func(string) (string, string, string) { return method, path, "" }
}

func post(path, body string) func(string) (string, string, string) {
	return func(string) (string, string, string) { return "POST", path, body }
}

// perID fills the identity's name into the path and body (%s, or %[1]s).
func perID(method, path, body string) func(string) (string, string, string) {
	return func(id string) (string, string, string) {
		return method, strings.ReplaceAll(strings.ReplaceAll(path, "%[1]s", id), "%s", id),
			strings.ReplaceAll(strings.ReplaceAll(body, "%[1]s", id), "%s", id)
	}
}

// TestAuthorizationMatrix calls every route template.yaml declares as each
// kind of caller. The routes come from the template, so a route added
// without a row here fails.
func TestAuthorizationMatrix(t *testing.T) {
	tokens := setUpAuthz(t)
	matrix := authzMatrix()
	tmpl, err := template.LoadTemplate(filepath.Join(stack.Root(), "template.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var routes []string
	for _, fn := range tmpl.FunctionIDs() {
		for _, ev := range tmpl.Events(fn) {
			if ev.Type == "HttpApi" {
				routes = append(routes, ev.Properties["Method"].(string)+" "+ev.Properties["Path"].(string))
			}
		}
	}
	sort.Strings(routes)
	if len(routes) < 20 {
		t.Fatalf("read only %d routes from template.yaml", len(routes))
	}
	for _, route := range routes {
		if pub, ok := publicRoutes[route]; ok {
			t.Run(route, func(t *testing.T) {
				for _, id := range identities {
					if got, resp := call(t, "GET", pub.path, tokens[id], ""); got != pub.status {
						t.Errorf("%s: GET %s = %d, want %d: %.200s", id, pub.path, got, pub.status, resp)
					}
				}
			})
			continue
		}
		row, ok := matrix[route]
		if !ok {
			t.Errorf("route %s has no row in the authorization matrix", route)
			continue
		}
		delete(matrix, route)
		t.Run(route, func(t *testing.T) {
			for _, id := range identities {
				want := row.admin
				switch id {
				case "member", "removed", "otherOwner":
					want = row.anyone
					if want == 0 {
						want = 403
					}
				case "noToken", "expired", "unverified":
					want = 401
				}
				method, path, body := row.request(id)
				got, resp := call(t, method, path, tokens[id], body)
				if got != want {
					t.Errorf("%s: %s %s = %d, want %d: %s", id, method, path, got, want, resp)
				}
			}
		})
	}
	for route := range matrix {
		t.Errorf("the matrix has a row for %s, which template.yaml does not declare", route)
	}
}

// setUpAuthz creates school "authz" with an owner, a manager, a member
// without a role and a removed manager, and for each identity the users and
// groups its allowed requests change; it returns each identity's token.
func setUpAuthz(t *testing.T) map[string]string {
	t.Helper()
	ctx := context.Background()
	st := store()
	now := time.Now().UTC()
	if err := st.CreateSchool(ctx, roster.School{ID: "authz", Name: "Authz School", CreatedAt: now}, roster.ActiveOwner("owner@authz.school", now)); err != nil {
		t.Fatal(err)
	}
	save := func(m roster.Member) {
		t.Helper()
		m.SchoolID = "authz"
		if m.InvitedAt.IsZero() {
			m.InvitedAt = now
		}
		if _, err := st.SaveMember(ctx, app.MemberChange{After: m}); err != nil {
			t.Fatalf("save %s: %v", m.Email, err)
		}
	}
	save(roster.Member{Email: "manager@authz.school", Role: roster.RoleManager, Groups: []string{"staff"}, Status: roster.StatusActive})
	save(roster.Member{Email: "member@authz.school", Groups: []string{"students"}, Status: roster.StatusActive})
	save(roster.Member{Email: "removed@authz.school", Role: roster.RoleManager, Groups: []string{"staff"}, Status: roster.StatusRemoved})
	for _, id := range identities {
		save(roster.Member{Email: "t-" + id + "@authz.school", FirstName: "T", LastName: id, Groups: []string{"students"}, Status: roster.StatusActive})
		save(roster.Member{Email: "x-" + id + "@authz.school", Groups: []string{"students"}, Status: roster.StatusActive})
		for _, who := range []string{"held", "resend", "cancel"} {
			save(roster.Member{Email: who + "-" + id + "@authz.school", Groups: []string{"students"}, Status: roster.StatusInvited,
				MailStatus: roster.MailHeld, TokenHash: roster.HashToken(who + id)})
		}
		for _, g := range []roster.Group{{ID: "g-" + id, Name: "G " + id}, {ID: "d-" + id, Name: "D " + id}} {
			g.CreatedAt = now
			if err := st.CreateGroup(ctx, "authz", g); err != nil {
				t.Fatal(err)
			}
		}
	}
	mint := func(email string, verified bool, exp time.Time) string {
		return stack.Signer.MintClaims(jwt.MapClaims{
			"sub": "local|" + email, "email": email, "email_verified": verified, "iss": stack.OIDCURL, "aud": gateway.LocalAudience,
			"iat": exp.Add(-time.Hour).Unix(), "nbf": exp.Add(-time.Hour).Unix(), "exp": exp.Unix(),
		})
	}
	return map[string]string{
		"owner": stack.Token("owner@authz.school"), "manager": stack.Token("manager@authz.school"), "member": stack.Token("member@authz.school"),
		"removed": stack.Token("removed@authz.school"), "otherOwner": stack.Token(otherOwner), "noToken": "",
		"expired":    mint("owner@authz.school", true, time.Now().Add(-time.Minute)),
		"unverified": mint("owner@authz.school", false, time.Now().Add(time.Hour)),
	}
}
