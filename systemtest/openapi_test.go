package systemtest

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/pb33f/libopenapi"
	"github.com/pb33f/libopenapi-validator/config"
	"github.com/pb33f/libopenapi-validator/responses"
	v3 "github.com/pb33f/libopenapi/datamodel/high/v3"

	"github.com/schoolroster/rosterimport/api"
)

// The API's answers are held to api/openapi.yaml: call checks every
// response the tests receive against the document's operation for the
// request's method and path template, and its status.

// contract is the document, ready to check answers against.
type contract struct {
	routes []contractRoute
	bodies responses.ResponseBodyValidator
}

// contractRoute is one operation of the document.
type contractRoute struct {
	method, path string
	segments     []string
	item         *v3.PathItem
}

var loadContract = sync.OnceValues(func() (*contract, error) {
	doc, err := libopenapi.NewDocument(api.Document())
	if err != nil {
		return nil, err
	}
	m, err := doc.BuildV3Model()
	if err != nil {
		return nil, err
	}
	c := &contract{bodies: responses.NewResponseBodyValidator(&m.Model, config.WithFormatAssertions())}
	for path, item := range m.Model.Paths.PathItems.FromOldest() {
		for method := range item.GetOperations().KeysFromOldest() {
			c.routes = append(c.routes, contractRoute{method: strings.ToUpper(method), path: path, segments: splitPath(path), item: item})
		}
	}
	return c, nil
})

func splitPath(p string) []string { return strings.Split(strings.Trim(p, "/"), "/") }

// match finds the operation for a request as API Gateway routes it: the
// route with the most literal segments wins, {name} is one segment and
// {name+} the rest of the path.
func (c *contract) match(method, escapedPath string) *contractRoute {
	segs := splitPath(escapedPath)
	var best *contractRoute
	bestScore := -1
	for i := range c.routes {
		rt := &c.routes[i]
		if rt.method != method {
			continue
		}
		if score, ok := matchSegments(rt.segments, segs); ok && score > bestScore {
			best, bestScore = rt, score
		}
	}
	return best
}

// matchSegments reports whether a path template matches path segments, and
// how many of the template's segments are literal.
func matchSegments(pattern, segs []string) (int, bool) {
	score := 0
	for i, p := range pattern {
		switch {
		case strings.HasPrefix(p, "{") && strings.HasSuffix(p, "+}"):
			return score, i < len(segs) && segs[i] != ""
		case i >= len(segs):
			return 0, false
		case strings.HasPrefix(p, "{"):
			if segs[i] == "" {
				return 0, false
			}
		case p == segs[i]:
			score++
		default:
			return 0, false
		}
	}
	return score, len(pattern) == len(segs)
}

// checkContract fails the test when an answer is not what api/openapi.yaml
// says the route answers with that status: naming the route, the status,
// the JSON pointer of the value and the reason.
func checkContract(t testing.TB, req *http.Request, status int, header http.Header, body []byte) {
	t.Helper()
	c, err := loadContract()
	if err != nil {
		t.Fatalf("api/openapi.yaml: %v", err)
	}
	rt := c.match(req.Method, req.URL.EscapedPath())
	if rt == nil {
		t.Errorf("api/openapi.yaml has no route for %s %s (answered %d: %s)", req.Method, req.URL.Path, status, clip(body))
		return
	}
	resp := &http.Response{StatusCode: status, Header: header, Body: io.NopCloser(bytes.NewReader(body)), Request: req}
	if ok, errs := c.bodies.ValidateResponseBodyWithPathItem(req, resp, rt.item, rt.path); !ok {
		route := rt.method + " " + rt.path
		for _, e := range errs {
			if len(e.SchemaValidationErrors) == 0 {
				t.Errorf("api/openapi.yaml: %s answered %d: %s: %s (request %s, body %s)", route, status, e.Message, e.Reason, req.URL.Path, clip(body))
				continue
			}
			for _, f := range e.SchemaValidationErrors {
				t.Errorf("api/openapi.yaml: %s answered %d: at %s: %s (request %s, body %s)",
					route, status, jsonPointer(f.InstancePath), f.Reason, req.URL.Path, clip(body))
			}
		}
	}
}

// jsonPointer renders a value's path as a JSON pointer (RFC 6901).
func jsonPointer(path []string) string {
	var b strings.Builder
	for _, p := range path {
		b.WriteString("/" + strings.NewReplacer("~", "~0", "/", "~1").Replace(p))
	}
	if b.Len() == 0 {
		return `"" (the whole body)`
	}
	return b.String()
}

func clip(b []byte) string {
	if len(b) > 600 {
		return fmt.Sprintf("%s… (%d bytes)", b[:600], len(b))
	}
	return string(b)
}

// TestContractRouteMatching checks the matching that checkContract relies
// on, against the document's own routes.
func TestContractRouteMatching(t *testing.T) {
	c, err := loadContract()
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		method, path, want string
	}{
		{"GET", "/schools/demo", "/schools/{schoolId}"},
		{"GET", "/schools/demo/users", "/schools/{schoolId}/users"},
		{"GET", "/schools/demo/users/ann@demo.school", "/schools/{schoolId}/users/{email}"},
		{"POST", "/schools/demo/invitations/send", "/schools/{schoolId}/invitations/send"},
		{"POST", "/schools/demo/invitations/send/resend", "/schools/{schoolId}/invitations/{email}/resend"},
		{"DELETE", "/schools/demo/invitations/ann%40demo.school", "/schools/{schoolId}/invitations/{email}"},
		{"DELETE", "/schools/demo/relationships/K1/P-1", "/schools/{schoolId}/relationships/{student}/{parent}"},
		{"POST", "/invitations/accept", "/invitations/accept"},
		{"GET", "/", "/"},
		{"GET", "/assets/index-1a2b.js", "/assets/{proxy+}"},
		{"GET", "/assets/fonts/a.woff2", "/assets/{proxy+}"},
		{"GET", "/assets/", ""},
		{"PUT", "/schools/demo", ""},
		{"GET", "/schools/demo/nothing", ""},
	}
	for _, tt := range tests {
		t.Run(tt.method+" "+tt.path, func(t *testing.T) {
			got := ""
			if rt := c.match(tt.method, tt.path); rt != nil {
				got = rt.path
			}
			if got != tt.want {
				t.Errorf("matched %q, want %q", got, tt.want)
			}
		})
	}
}
