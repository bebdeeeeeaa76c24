package gateway

import (
	"fmt"
	"maps"
	"slices"
	"sort"
	"strings"

	"github.com/schoolroster/rosterimport/infra/local/lambdart"
	"github.com/schoolroster/rosterimport/infra/local/template"
)

// route is one HttpApi event of a function.
type route struct {
	method, path, key string
	segments          []string
	function          string
	auth              *Authorizer // nil: no authorizer
}

// New builds the gateway for every HttpApi event of every function in t,
// each route behind its API's JWT authorizer (checked against signer's key)
// and with the API's CORS configuration. r resolves the properties; invoke
// runs the functions; account goes into the events' request context.
func New(t *template.Template, r *template.Resolver, signer *Signer, invoke lambdart.InvokeFunc, account string) (*Gateway, error) {
	g := &Gateway{invoke: invoke, signer: signer, account: account}
	authorizers := map[string]map[string]*Authorizer{} // api id -> authorizer name -> authorizer
	defaults := map[string]string{}
	for _, id := range slices.Sorted(maps.Keys(t.Resources)) {
		res := t.Resources[id]
		if res.Type != "AWS::Serverless::HttpApi" {
			continue
		}
		var p struct {
			Auth struct {
				DefaultAuthorizer string
				Authorizers       map[string]struct {
					JwtConfiguration struct {
						Issuer   string   `json:"issuer"`
						Audience []string `json:"audience"`
					}
				}
			}
			CorsConfiguration *struct {
				AllowOrigins, AllowHeaders, AllowMethods []string
				MaxAge                                   int
			}
		}
		if err := r.Decode(res.Properties, &p); err != nil {
			return nil, fmt.Errorf("%s: %w", id, err)
		}
		authorizers[id] = map[string]*Authorizer{}
		for name, a := range p.Auth.Authorizers {
			authorizers[id][name] = NewAuthorizer(a.JwtConfiguration.Issuer, a.JwtConfiguration.Audience, signer)
		}
		defaults[id] = p.Auth.DefaultAuthorizer
		if c := p.CorsConfiguration; c != nil {
			g.cors = corsConfig{origins: c.AllowOrigins, headers: c.AllowHeaders, methods: c.AllowMethods, maxAge: c.MaxAge}
		}
	}
	for _, fn := range t.FunctionIDs() {
		for _, ev := range t.Events(fn) {
			if ev.Type != "HttpApi" {
				continue
			}
			api := "ServerlessHttpApi"
			if ref, ok := template.AsMap(ev.Properties["ApiId"])["Ref"].(string); ok {
				api = ref
			}
			path, _ := ev.Properties["Path"].(string)
			method, _ := ev.Properties["Method"].(string)
			method = strings.ToUpper(method)
			if method == "" {
				method = "ANY"
			}
			authName := defaults[api]
			if a, ok := template.AsMap(ev.Properties["Auth"])["Authorizer"].(string); ok {
				authName = a
			}
			rt := route{method: method, path: path, key: method + " " + path, function: fn,
				segments: strings.Split(strings.Trim(path, "/"), "/")}
			if authName != "" && authName != "NONE" {
				a, ok := authorizers[api][authName]
				if !ok {
					return nil, fmt.Errorf("%s event %s: no authorizer %s on %s", fn, ev.Name, authName, api)
				}
				rt.auth = a
			}
			g.routes = append(g.routes, rt)
		}
	}
	sortRoutes(g.routes)
	return g, nil
}

// sortRoutes orders routes for stable listing.
func sortRoutes(rs []route) {
	sort.Slice(rs, func(i, j int) bool {
		if rs[i].path != rs[j].path {
			return rs[i].path < rs[j].path
		}
		return rs[i].method < rs[j].method
	})
}
