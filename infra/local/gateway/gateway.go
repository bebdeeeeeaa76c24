// Package gateway serves a template's HTTP APIs on one port as API Gateway
// does: payload format 2.0 events for the functions' HttpApi routes, the JWT
// authorizer, and CORS. Its Signer holds the key of the local identity
// provider (infra/local/oidc) whose tokens the authorizer accepts.
package gateway

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/aws/aws-lambda-go/events"

	"github.com/schoolroster/rosterimport/infra/local/lambdart"
)

// Gateway serves the template's HTTP API routes as API Gateway does, with
// payload format 2.0 events and the JWT authorizer. New builds it.
type Gateway struct {
	routes  []route
	invoke  lambdart.InvokeFunc
	signer  *Signer
	cors    corsConfig
	account string
}

type corsConfig struct {
	origins, methods, headers []string
	maxAge                    int
}

const maxAPIBody = 10 << 20 // HTTP API payload limit

// ServeHTTP answers one request: the JWKS, a CORS preflight, or a route.
func (g *Gateway) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path == "/.well-known/jwks.json" {
		writeJSON(w, http.StatusOK, g.signer.JWKS())
		return
	}
	if g.preflight(w, r) {
		return
	}
	g.corsHeaders(w, r)
	rt, params := g.match(r.Method, r.URL.EscapedPath())
	if rt == nil {
		writeJSON(w, http.StatusNotFound, map[string]string{"message": "Not Found"})
		return
	}
	var claims map[string]any
	if rt.auth != nil {
		c, err := rt.auth.Authorize(r.Header.Get("Authorization"))
		if err != nil {
			desc := ""
			if err.Error() != "" {
				desc = fmt.Sprintf(` error="invalid_token" error_description=%q`, err.Error())
			}
			w.Header().Set("www-authenticate", `Bearer scope=""`+desc)
			writeJSON(w, http.StatusUnauthorized, map[string]string{"message": "Unauthorized"})
			return
		}
		claims = c
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, maxAPIBody+1))
	if err != nil {
		writeJSON(w, http.StatusBadRequest, map[string]string{"message": "Bad Request"})
		return
	}
	if len(body) > maxAPIBody {
		writeJSON(w, http.StatusRequestEntityTooLarge, map[string]string{"message": "Request Entity Too Large"})
		return
	}
	ev := g.event(r, rt, params, claims, body)
	payload, _ := json.Marshal(ev)
	res, err := g.invoke(r.Context(), rt.function, payload)
	if err != nil || res.FunctionError != "" {
		writeJSON(w, http.StatusInternalServerError, map[string]string{"message": "Internal Server Error"})
		return
	}
	g.respond(w, res.Payload)
}

// match finds the most specific route for method and path: more literal
// segments win over parameters, and a method wins over ANY.
func (g *Gateway) match(method, escapedPath string) (*route, map[string]string) {
	segs := strings.Split(strings.Trim(escapedPath, "/"), "/")
	var best *route
	var bestParams map[string]string
	bestScore := -1
	for i := range g.routes {
		rt := &g.routes[i]
		if rt.method != method && rt.method != "ANY" {
			continue
		}
		params, score, ok := matchSegments(rt.segments, segs)
		if !ok {
			continue
		}
		if rt.method == method {
			score++
		}
		if score > bestScore {
			best, bestParams, bestScore = rt, params, score
		}
	}
	return best, bestParams
}

func matchSegments(pattern, segs []string) (map[string]string, int, bool) {
	params := map[string]string{}
	score := 0
	for i, p := range pattern {
		if strings.HasPrefix(p, "{") && strings.HasSuffix(p, "+}") {
			if i >= len(segs) {
				return nil, 0, false
			}
			rest, _ := url.PathUnescape(strings.Join(segs[i:], "/"))
			params[p[1:len(p)-2]] = rest
			return params, score, true
		}
		if i >= len(segs) || segs[i] == "" && len(segs) > 1 {
			return nil, 0, false
		}
		if strings.HasPrefix(p, "{") && strings.HasSuffix(p, "}") {
			v, err := url.PathUnescape(segs[i])
			if err != nil {
				return nil, 0, false
			}
			params[p[1:len(p)-1]] = v
			continue
		}
		if p != segs[i] {
			return nil, 0, false
		}
		score += 2
	}
	if len(pattern) != len(segs) {
		return nil, 0, false
	}
	return params, score, true
}

func (g *Gateway) event(r *http.Request, rt *route, params map[string]string, claims map[string]any, body []byte) events.APIGatewayV2HTTPRequest {
	now := time.Now()
	headers := map[string]string{}
	for k, vs := range r.Header {
		headers[strings.ToLower(k)] = strings.Join(vs, ",")
	}
	headers["host"] = r.Host
	var cookies []string
	for _, c := range r.Cookies() {
		cookies = append(cookies, c.Name+"="+c.Value)
	}
	delete(headers, "cookie")
	var query map[string]string
	if q := r.URL.Query(); len(q) > 0 {
		query = map[string]string{}
		for k, vs := range q {
			query[k] = strings.Join(vs, ",")
		}
	}
	if len(params) == 0 {
		params = nil
	}
	ev := events.APIGatewayV2HTTPRequest{
		Version: "2.0", RouteKey: rt.key, RawPath: r.URL.EscapedPath(), RawQueryString: r.URL.RawQuery,
		Cookies: cookies, Headers: headers, QueryStringParameters: query, PathParameters: params,
		RequestContext: events.APIGatewayV2HTTPRequestContext{
			RouteKey: rt.key, AccountID: g.account, Stage: "$default", RequestID: lambdart.NewRequestID(),
			APIID: "local", DomainName: r.Host, DomainPrefix: strings.Split(r.Host, ".")[0],
			Time: now.UTC().Format("02/Jan/2006:15:04:05 -0700"), TimeEpoch: now.UnixMilli(),
			HTTP: events.APIGatewayV2HTTPRequestContextHTTPDescription{
				Method: r.Method, Path: r.URL.Path, Protocol: r.Proto,
				SourceIP: strings.Split(r.RemoteAddr, ":")[0], UserAgent: r.UserAgent(),
			},
		},
	}
	if claims != nil {
		ev.RequestContext.Authorizer = &events.APIGatewayV2HTTPRequestContextAuthorizerDescription{
			JWT: &events.APIGatewayV2HTTPRequestContextAuthorizerJWTDescription{Claims: flattenClaims(claims), Scopes: nil},
		}
	}
	if len(body) > 0 {
		if isTextual(headers["content-type"]) && utf8.Valid(body) {
			ev.Body = string(body)
		} else {
			ev.Body, ev.IsBase64Encoded = base64.StdEncoding.EncodeToString(body), true
		}
	}
	return ev
}

// flattenClaims renders claims as HTTP APIs pass them: every value a string,
// arrays as "[a b]".
func flattenClaims(claims map[string]any) map[string]string {
	out := make(map[string]string, len(claims))
	for k, v := range claims {
		switch x := v.(type) {
		case string:
			out[k] = x
		case float64:
			out[k] = fmt.Sprintf("%.0f", x)
		case []any:
			var parts []string
			for _, e := range x {
				parts = append(parts, fmt.Sprint(e))
			}
			out[k] = "[" + strings.Join(parts, " ") + "]"
		default:
			out[k] = fmt.Sprint(x)
		}
	}
	return out
}

func isTextual(contentType string) bool {
	mt, _, _ := mime.ParseMediaType(contentType)
	return mt == "" || strings.HasPrefix(mt, "text/") || strings.HasSuffix(mt, "json") ||
		strings.HasSuffix(mt, "xml") || mt == "application/x-www-form-urlencoded" || mt == "application/javascript"
}

// respond turns a payload 2.0 response into HTTP. A payload that is not an
// object with statusCode is sent as a 200 JSON body, as API Gateway does.
func (g *Gateway) respond(w http.ResponseWriter, payload []byte) {
	var probe map[string]json.RawMessage
	if json.Unmarshal(payload, &probe) != nil || probe["statusCode"] == nil {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusOK)
		_, _ = w.Write(payload)
		return
	}
	var res events.APIGatewayV2HTTPResponse
	if err := json.Unmarshal(payload, &res); err != nil || res.StatusCode < 100 || res.StatusCode > 599 {
		writeJSON(w, http.StatusInternalServerError, map[string]string{"message": "Internal Server Error"})
		return
	}
	for k, v := range res.Headers {
		w.Header().Set(k, v)
	}
	for k, vs := range res.MultiValueHeaders {
		for _, v := range vs {
			w.Header().Add(k, v)
		}
	}
	for _, c := range res.Cookies {
		w.Header().Add("Set-Cookie", c)
	}
	body := []byte(res.Body)
	if res.IsBase64Encoded {
		b, err := base64.StdEncoding.DecodeString(res.Body)
		if err != nil {
			writeJSON(w, http.StatusInternalServerError, map[string]string{"message": "Internal Server Error"})
			return
		}
		body = b
	}
	w.WriteHeader(res.StatusCode)
	_, _ = w.Write(body)
}

func (g *Gateway) allowedOrigin(origin string) bool {
	return origin != "" && (slices.Contains(g.cors.origins, "*") || slices.Contains(g.cors.origins, origin))
}

func (g *Gateway) corsHeaders(w http.ResponseWriter, r *http.Request) {
	if origin := r.Header.Get("Origin"); g.allowedOrigin(origin) {
		w.Header().Set("Access-Control-Allow-Origin", origin)
		w.Header().Add("Vary", "Origin")
	}
}

// preflight answers CORS preflight requests when the API has a CORS configuration.
func (g *Gateway) preflight(w http.ResponseWriter, r *http.Request) bool {
	if r.Method != http.MethodOptions || r.Header.Get("Access-Control-Request-Method") == "" || len(g.cors.origins) == 0 {
		return false
	}
	if origin := r.Header.Get("Origin"); g.allowedOrigin(origin) {
		h := w.Header()
		h.Set("Access-Control-Allow-Origin", origin)
		h.Set("Access-Control-Allow-Methods", strings.Join(g.cors.methods, ","))
		h.Set("Access-Control-Allow-Headers", strings.Join(g.cors.headers, ","))
		if g.cors.maxAge > 0 {
			h.Set("Access-Control-Max-Age", fmt.Sprint(g.cors.maxAge))
		}
		h.Add("Vary", "Origin")
	}
	w.WriteHeader(http.StatusNoContent)
	return true
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}
