package api_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/pb33f/libopenapi"
	validator "github.com/pb33f/libopenapi-validator"
	v3 "github.com/pb33f/libopenapi/datamodel/high/v3"
	"github.com/santhosh-tekuri/jsonschema/v6"
	"gopkg.in/yaml.v3"

	"github.com/schoolroster/rosterimport/api"
	"github.com/schoolroster/rosterimport/infra/local/template"
)

// route is one HttpApi event of template.yaml, or one operation of the
// document.
type route struct {
	Method, Path string
	Public       bool // no authorizer: Auth: { Authorizer: NONE } / security: []
}

func (r route) String() string { return r.Method + " " + r.Path }

// model parses the document and builds its OpenAPI 3.1 model, failing the
// test on any error.
func model(t *testing.T) (libopenapi.Document, *v3.Document) {
	t.Helper()
	doc, err := libopenapi.NewDocument(api.Document())
	if err != nil {
		t.Fatalf("api/openapi.yaml does not parse: %v", err)
	}
	m, err := doc.BuildV3Model()
	if err != nil {
		t.Fatalf("api/openapi.yaml does not build an OpenAPI model: %v", err)
	}
	return doc, &m.Model
}

func TestDocumentIsValidOpenAPI31(t *testing.T) {
	doc, m := model(t)
	if m.Version != "3.1.0" {
		t.Errorf("openapi = %q, want 3.1.0", m.Version)
	}
	v, errs := validator.NewValidator(doc)
	for _, err := range errs {
		t.Errorf("validator: %v", err)
	}
	if v == nil {
		t.FailNow()
	}
	if ok, verrs := v.ValidateDocument(); !ok {
		for _, e := range verrs {
			t.Errorf("against the OpenAPI 3.1 schema: %s: %s", e.Message, e.Reason)
			for _, s := range e.SchemaValidationErrors {
				t.Errorf("  %s (line %d): %s", s.FieldPath, s.Line, s.Reason)
			}
		}
	}
}

// templateRoutes reads every HttpApi event of template.yaml.
func templateRoutes(t *testing.T) map[string]route {
	t.Helper()
	tmpl, err := template.LoadTemplate("../template.yaml")
	if err != nil {
		t.Fatal(err)
	}
	routes := map[string]route{}
	for _, fn := range tmpl.FunctionIDs() {
		for _, ev := range tmpl.Events(fn) {
			if ev.Type != "HttpApi" {
				continue
			}
			method, _ := ev.Properties["Method"].(string)
			path, _ := ev.Properties["Path"].(string)
			auth := template.AsMap(ev.Properties["Auth"])
			r := route{Method: strings.ToUpper(method), Path: path, Public: auth["Authorizer"] == "NONE"}
			routes[r.String()] = r
		}
	}
	if len(routes) < 20 {
		t.Fatalf("read only %d routes from template.yaml", len(routes))
	}
	return routes
}

// documentRoutes lists every operation of the document.
func documentRoutes(m *v3.Document) map[string]route {
	routes := map[string]route{}
	for path, item := range m.Paths.PathItems.FromOldest() {
		for method, op := range item.GetOperations().FromOldest() {
			r := route{Method: strings.ToUpper(method), Path: path, Public: op.Security != nil && len(op.Security) == 0}
			routes[r.String()] = r
		}
	}
	return routes
}

// TestRoutesMatchTemplate holds the document to template.yaml: the same
// (method, path) pairs, and no bearer token exactly where the template turns
// the authorizer off.
func TestRoutesMatchTemplate(t *testing.T) {
	_, m := model(t)
	inTemplate, inDocument := templateRoutes(t), documentRoutes(m)
	var missing, extra []string
	for key := range inTemplate {
		if _, ok := inDocument[key]; !ok {
			missing = append(missing, key)
		}
	}
	for key := range inDocument {
		if _, ok := inTemplate[key]; !ok {
			extra = append(extra, key)
		}
	}
	sort.Strings(missing)
	sort.Strings(extra)
	for _, key := range missing {
		t.Errorf("template.yaml declares %s; api/openapi.yaml does not", key)
	}
	for _, key := range extra {
		t.Errorf("api/openapi.yaml declares %s; template.yaml does not", key)
	}
	for key, want := range inTemplate {
		got, ok := inDocument[key]
		if ok && got.Public != want.Public {
			t.Errorf("%s: public (security: []) = %v in the document, but the template's authorizer off = %v", key, got.Public, want.Public)
		}
	}
	if len(m.Security) != 1 || !hasScheme(m.Security[0].Requirements.KeysFromOldest(), "bearerAuth") {
		t.Errorf("the document's default security should be bearerAuth alone")
	}
}

func hasScheme(keys func(func(string) bool), name string) bool {
	for k := range keys {
		if k == name {
			return true
		}
	}
	return false
}

var pathParam = regexp.MustCompile(`\{([^}]+)\}`)

// TestOperations checks each operation on its own: its path parameters are
// declared, it answers a success, and every route behind the authorizer
// documents the refusals every such route can give.
func TestOperations(t *testing.T) {
	_, m := model(t)
	for path, item := range m.Paths.PathItems.FromOldest() {
		for method, op := range item.GetOperations().FromOldest() {
			name := strings.ToUpper(method) + " " + path
			t.Run(name, func(t *testing.T) {
				var want []string
				for _, p := range pathParam.FindAllStringSubmatch(path, -1) {
					want = append(want, p[1])
				}
				got := declaredPathParams(item, op)
				sort.Strings(want)
				if !slices.Equal(got, want) {
					t.Errorf("path parameters declared %v, want %v", got, want)
				}
				if op.OperationId == "" {
					t.Error("no operationId")
				}
				var codes []string
				for code := range op.Responses.Codes.KeysFromOldest() {
					codes = append(codes, code)
				}
				if !slices.ContainsFunc(codes, func(c string) bool { return strings.HasPrefix(c, "2") }) {
					t.Errorf("no success response among %v", codes)
				}
				required := []string{"429", "500"}
				if op.Security == nil {
					required = append(required, "400", "401", "503")
				}
				for _, code := range required {
					if !slices.Contains(codes, code) {
						t.Errorf("no %s response among %v", code, codes)
					}
				}
			})
		}
	}
}

// declaredPathParams are the names of the path's and the operation's
// parameters in the path, each of which must be required.
func declaredPathParams(item *v3.PathItem, op *v3.Operation) []string {
	var names []string
	for _, p := range slices.Concat(item.Parameters, op.Parameters) {
		if p.In != "path" {
			continue
		}
		name := p.Name
		if p.Required == nil || !*p.Required {
			name += " (not required)"
		}
		names = append(names, name)
	}
	sort.Strings(names)
	return names
}

// TestSchemasAreJSONSchema checks every schema of the document (components
// and inline ones) against JSON Schema 2020-12, OpenAPI 3.1's dialect, with
// every $ref resolved: the OpenAPI schema itself leaves schemas loosely
// checked (a type "integr" passes it).
func TestSchemasAreJSONSchema(t *testing.T) {
	var raw any
	if err := yaml.Unmarshal(api.Document(), &raw); err != nil {
		t.Fatal(err)
	}
	b, err := json.Marshal(raw)
	if err != nil {
		t.Fatal(err)
	}
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	const base = "https://rosterimport.invalid/openapi.json"
	c := jsonschema.NewCompiler()
	c.DefaultDraft(jsonschema.Draft2020)
	if err := c.AddResource(base, doc); err != nil {
		t.Fatal(err)
	}
	pointers := schemaPointers(doc, "")
	if len(pointers) < 50 {
		t.Fatalf("found only %d schemas in the document", len(pointers))
	}
	for _, ptr := range pointers {
		if _, err := c.Compile(base + "#" + ptr); err != nil {
			t.Errorf("schema at %s: %v", ptr, err)
		}
	}
}

// schemaPointers returns the JSON pointers of every value under a "schema"
// key and of every component schema.
func schemaPointers(v any, ptr string) []string {
	var out []string
	switch v := v.(type) {
	case map[string]any:
		for k, child := range v {
			p := ptr + "/" + strings.NewReplacer("~", "~0", "/", "~1").Replace(k)
			switch {
			case k == "schema":
				out = append(out, p)
			case ptr == "/components/schemas":
				out = append(out, p)
				continue
			}
			out = append(out, schemaPointers(child, p)...)
		}
	case []any:
		for i, child := range v {
			out = append(out, schemaPointers(child, fmt.Sprintf("%s/%d", ptr, i))...)
		}
	}
	sort.Strings(out)
	return out
}
