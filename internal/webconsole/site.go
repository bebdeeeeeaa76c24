// Package webconsole serves the admin console: the single-page app built by
// Vite (console/dist, embedded in the console function), on the API's own
// origin, with the headers a static site needs and a runtime configuration
// the app reads at start.
package webconsole

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io/fs"
	"log/slog"
	"mime"
	"net/http"
	"net/url"
	"path"
	"strings"
	"sync"

	"github.com/aws/aws-lambda-go/events"
)

// Config is what the app needs to know at run time, served as /config.json
// so one build runs on any stack.
type Config struct {
	Issuer   string `json:"issuer"`   // the OpenID Connect issuer people sign in with
	ClientID string `json:"clientId"` // the console's public client (authorization code with PKCE)
	Scope    string `json:"scope"`
	// LogoutEndpoint ends the issuer's session (Cognito's /logout, which
	// takes client_id and logout_uri); "" when discovery names one.
	LogoutEndpoint string `json:"logoutEndpoint,omitempty"`
	// ConnectSrc are the origins the app may call besides its own: the
	// issuer's endpoints and the bucket the browser uploads to.
	ConnectSrc []string `json:"-"`
}

// Site serves the built files and the configuration.
type Site struct {
	Files  fs.FS // the build: index.html and assets/
	Config Config
	Log    *slog.Logger

	once   sync.Once
	csp    string
	config []byte   // Config as JSON
	gz     sync.Map // path -> gzipped body
}

// Pages of the app that are entered by URL: the app itself, the accept link
// of every invitation email, and the sign-in callback. Inside the app, pages
// are addressed by the URL's fragment, so no route can shadow an API path.
var pages = map[string]bool{"/": true, "/accept": true, "/callback": true, "/index.html": true}

// Serve answers one request of the console's routes (payload format 2.0).
func (s *Site) Serve(_ context.Context, ev events.APIGatewayV2HTTPRequest) (events.APIGatewayV2HTTPResponse, error) {
	s.once.Do(s.init)
	p := ev.RawPath
	if p == "" {
		p = "/"
	}
	gzipOK := strings.Contains(ev.Headers["accept-encoding"], "gzip")
	switch {
	case p == "/config.json":
		return s.file(p, "application/json", s.config, "no-store", gzipOK), nil
	case pages[p]:
		b, err := fs.ReadFile(s.Files, "index.html")
		if err != nil {
			s.Log.Error("the console's index.html is missing: build it with make build-ConsoleFunction", "err", err)
			return text(http.StatusServiceUnavailable, "The console has not been built."), nil
		}
		// The page names the current build's assets: never cache it.
		return s.file("/index.html", "text/html; charset=utf-8", b, "no-cache", gzipOK), nil
	case strings.HasPrefix(p, "/assets/"):
		name := path.Clean(strings.TrimPrefix(p, "/"))
		b, err := fs.ReadFile(s.Files, name)
		if errors.Is(err, fs.ErrNotExist) || !strings.HasPrefix(name, "assets/") {
			return text(http.StatusNotFound, "Not found."), nil
		}
		if err != nil {
			return events.APIGatewayV2HTTPResponse{}, err
		}
		// Vite names assets by content hash: a name never changes meaning.
		return s.file(name, contentType(name), b, "public, max-age=31536000, immutable", gzipOK), nil
	}
	return text(http.StatusNotFound, "Not found."), nil
}

func (s *Site) init() {
	s.config, _ = json.Marshal(s.Config)
	connect := append([]string{"'self'"}, s.Config.ConnectSrc...)
	if s.Config.Issuer != "" {
		connect = append(connect, origin(s.Config.Issuer))
	}
	s.csp = strings.Join([]string{
		"default-src 'none'",
		"script-src 'self'",
		"style-src 'self'",
		"img-src 'self' data:",
		"font-src 'self'",
		"connect-src " + strings.Join(dedupe(connect), " "),
		"base-uri 'none'",
		"form-action 'self'",
		"frame-ancestors 'none'",
	}, "; ")
}

// file answers with a file's bytes and the console's security headers,
// gzipped when the browser takes it and the type is text.
func (s *Site) file(name, ctype string, b []byte, cache string, gzipOK bool) events.APIGatewayV2HTTPResponse {
	h := map[string]string{
		"content-type":              ctype,
		"cache-control":             cache,
		"content-security-policy":   s.csp,
		"x-content-type-options":    "nosniff",
		"referrer-policy":           "no-referrer",
		"strict-transport-security": "max-age=63072000; includeSubDomains",
		"vary":                      "accept-encoding",
	}
	if gzipOK && compressible(ctype) && len(b) > 512 {
		z, ok := s.gz.Load(name)
		if !ok {
			z = gzipped(b)
			s.gz.Store(name, z)
		}
		h["content-encoding"] = "gzip"
		return events.APIGatewayV2HTTPResponse{StatusCode: http.StatusOK, Headers: h, Body: base64.StdEncoding.EncodeToString(z.([]byte)), IsBase64Encoded: true}
	}
	if compressible(ctype) {
		return events.APIGatewayV2HTTPResponse{StatusCode: http.StatusOK, Headers: h, Body: string(b)}
	}
	return events.APIGatewayV2HTTPResponse{StatusCode: http.StatusOK, Headers: h, Body: base64.StdEncoding.EncodeToString(b), IsBase64Encoded: true}
}

func text(status int, msg string) events.APIGatewayV2HTTPResponse {
	return events.APIGatewayV2HTTPResponse{StatusCode: status, Body: msg,
		Headers: map[string]string{"content-type": "text/plain; charset=utf-8", "cache-control": "no-store", "x-content-type-options": "nosniff"}}
}

func contentType(name string) string {
	if t := mime.TypeByExtension(path.Ext(name)); t != "" {
		return t
	}
	return "application/octet-stream"
}

func compressible(ctype string) bool {
	return strings.HasPrefix(ctype, "text/") || strings.Contains(ctype, "javascript") || strings.Contains(ctype, "json") || strings.Contains(ctype, "svg")
}

func gzipped(b []byte) []byte {
	var buf bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&buf, gzip.BestCompression)
	_, _ = zw.Write(b)
	_ = zw.Close()
	return buf.Bytes()
}

// origin is scheme://host of a URL (the URL as it is when it has none).
func origin(u string) string {
	p, err := url.Parse(u)
	if err != nil || p.Scheme == "" || p.Host == "" {
		return u
	}
	return p.Scheme + "://" + p.Host
}

func dedupe(xs []string) []string {
	seen := map[string]bool{}
	var out []string
	for _, x := range xs {
		if x != "" && !seen[x] {
			seen[x] = true
			out = append(out, x)
		}
	}
	return out
}
