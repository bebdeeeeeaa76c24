// Package oidc is the local stack's OpenID Connect provider, for
// development only and never deployed: it stands in for the Cognito user
// pool (or other identity provider) the admin console signs in with on AWS.
//
// Its sign-in page ("Local sign-in — development only") asks for an email
// address and whether it is verified, with no password: whoever can reach
// the page can be anyone. It serves the authorization code flow with PKCE
// (S256) for one public client, refresh tokens, discovery, the key set,
// userinfo and logout. Its tokens are signed with the gateway's Signer (the
// same key and kid as `stack.Token` and `make token`), so the HTTP API's JWT
// authorizer accepts them as they are.
package oidc

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/schoolroster/rosterimport/infra/local/gateway"
)

// Lifetimes of what the provider issues.
const (
	CodeTTL    = 60 * time.Second // an authorization code, which is single-use
	TokenTTL   = time.Hour        // ID and access tokens
	RefreshTTL = 12 * time.Hour   // a refresh token, which is single-use (rotated)
)

// Scopes are the scopes the provider supports; openid is required.
var Scopes = []string{"openid", "email", "profile"}

// Config configures a Provider.
type Config struct {
	// Issuer is the provider's base URL, e.g. http://127.0.0.1:8007, without
	// a trailing slash: the iss of its tokens and the prefix of its endpoints.
	Issuer string
	// Signer signs the tokens; its Issuer must be Issuer.
	Signer *gateway.Signer
	// ClientID is the one client's id (default gateway.LocalAudience), the
	// aud of the ID tokens.
	ClientID string
	// RedirectURIs are the redirect_uri values /authorize and /token accept,
	// compared exactly (the API's origin + "/callback").
	RedirectURIs []string
	// PostLogoutRedirectURIs are where /logout may send the browser back to
	// (the API's origin + "/").
	PostLogoutRedirectURIs []string
	// Now is the clock of codes and refresh tokens (default time.Now).
	Now func() time.Time
}

// Provider serves the endpoints; it is an http.Handler. New builds it.
type Provider struct {
	cfg     Config
	mux     *http.ServeMux
	origins []string // CORS origins of the token and userinfo endpoints
	authz   *gateway.Authorizer

	mu      sync.Mutex
	codes   map[string]*grant    // by code
	refresh map[string]*session  // by refresh token
	access  map[string]*identity // by access token id (jti), for userinfo
}

// identity is who signed in on the form.
type identity struct {
	email    string
	verified bool
	expires  time.Time
}

// grant is an authorization code and the request it answers.
type grant struct {
	identity
	clientID, redirectURI, challenge, nonce, scope string
	used                                           bool
	refreshTokens                                  []string // issued for the code: revoked if it is replayed
}

// session is what a refresh token stands for.
type session struct {
	identity
	clientID, scope string
}

// New returns a provider. Errors: no issuer or one that is not an absolute
// http(s) URL without a trailing slash, no signer or one of another issuer,
// or a redirect URI that is not absolute.
func New(cfg Config) (*Provider, error) {
	if u, err := url.Parse(cfg.Issuer); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || strings.HasSuffix(cfg.Issuer, "/") {
		return nil, fmt.Errorf("oidc: issuer %q is not an http(s) URL without a trailing slash", cfg.Issuer)
	}
	if cfg.Signer == nil || cfg.Signer.Issuer() != cfg.Issuer {
		return nil, errors.New("oidc: the signer must mint tokens with the provider's issuer")
	}
	if cfg.ClientID == "" {
		cfg.ClientID = gateway.LocalAudience
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	p := &Provider{cfg: cfg, mux: http.NewServeMux(), codes: map[string]*grant{}, refresh: map[string]*session{}, access: map[string]*identity{},
		authz: gateway.NewAuthorizer(cfg.Issuer, []string{cfg.ClientID}, cfg.Signer)}
	for _, u := range append(slices.Clone(cfg.RedirectURIs), cfg.PostLogoutRedirectURIs...) {
		o, err := originOf(u)
		if err != nil {
			return nil, err
		}
		if !slices.Contains(p.origins, o) {
			p.origins = append(p.origins, o)
		}
	}
	p.mux.HandleFunc("/.well-known/openid-configuration", p.public(p.discovery))
	p.mux.HandleFunc("/jwks.json", p.public(p.jwks))
	p.mux.HandleFunc("/authorize", p.authorize)
	p.mux.HandleFunc("/token", p.credentialed(p.token))
	p.mux.HandleFunc("/userinfo", p.credentialed(p.userinfo))
	p.mux.HandleFunc("/logout", p.logout)
	return p, nil
}

// ServeHTTP answers one request to the provider.
func (p *Provider) ServeHTTP(w http.ResponseWriter, r *http.Request) { p.mux.ServeHTTP(w, r) }

func (p *Provider) discovery(w http.ResponseWriter, r *http.Request) {
	iss := p.cfg.Issuer
	writeJSON(w, http.StatusOK, map[string]any{
		"issuer":                                iss,
		"authorization_endpoint":                iss + "/authorize",
		"token_endpoint":                        iss + "/token",
		"jwks_uri":                              iss + "/jwks.json",
		"userinfo_endpoint":                     iss + "/userinfo",
		"end_session_endpoint":                  iss + "/logout",
		"response_types_supported":              []string{"code"},
		"response_modes_supported":              []string{"query"},
		"grant_types_supported":                 []string{"authorization_code", "refresh_token"},
		"subject_types_supported":               []string{"public"},
		"id_token_signing_alg_values_supported": []string{"RS256"},
		"token_endpoint_auth_methods_supported": []string{"none"},
		"code_challenge_methods_supported":      []string{"S256"},
		"scopes_supported":                      Scopes,
		"claims_supported":                      []string{"iss", "sub", "aud", "exp", "iat", "auth_time", "nonce", "email", "email_verified"},
	})
}

func (p *Provider) jwks(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, p.cfg.Signer.JWKS())
}

// public allows any origin to GET an endpoint (its answer is public).
func (p *Provider) public(h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Access-Control-Allow-Origin", "*")
		if p.preflight(w, r) {
			return
		}
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			w.Header().Set("Allow", "GET, HEAD, OPTIONS")
			writeJSON(w, http.StatusMethodNotAllowed, oauthError{"invalid_request", "Use GET."})
			return
		}
		h(w, r)
	}
}

// credentialed allows the origins of the redirect URIs (the console's) to
// call an endpoint that issues or reads tokens.
func (p *Provider) credentialed(h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if o := r.Header.Get("Origin"); o != "" && slices.Contains(p.origins, o) {
			w.Header().Set("Access-Control-Allow-Origin", o)
		}
		w.Header().Add("Vary", "Origin")
		if p.preflight(w, r) {
			return
		}
		h(w, r)
	}
}

// preflight answers a CORS preflight; the allowed origin is already set.
func (p *Provider) preflight(w http.ResponseWriter, r *http.Request) bool {
	if r.Method != http.MethodOptions {
		return false
	}
	h := w.Header()
	h.Set("Access-Control-Allow-Methods", "GET, POST, OPTIONS")
	h.Set("Access-Control-Allow-Headers", "authorization, content-type")
	h.Set("Access-Control-Max-Age", "600")
	w.WriteHeader(http.StatusNoContent)
	return true
}

// oauthError is an RFC 6749 error body.
type oauthError struct {
	Error       string `json:"error"`
	Description string `json:"error_description,omitempty"`
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Pragma", "no-cache")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// randomToken is 256 random bits, URL-safe.
func randomToken() string {
	b := make([]byte, 32)
	_, _ = rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

// originOf is scheme://host of an absolute URL.
func originOf(raw string) (string, error) {
	u, err := url.Parse(raw)
	if err != nil || u.Scheme == "" || u.Host == "" {
		return "", fmt.Errorf("oidc: %q is not an absolute URL", raw)
	}
	return u.Scheme + "://" + u.Host, nil
}

// withQuery adds params to a URL that may already have a query.
func withQuery(raw string, params url.Values) string {
	u, err := url.Parse(raw)
	if err != nil {
		return raw
	}
	q := u.Query()
	for k, vs := range params {
		for _, v := range vs {
			if v != "" {
				q.Add(k, v)
			}
		}
	}
	u.RawQuery = q.Encode()
	return u.String()
}

// sweep drops expired codes, refresh tokens and access token records; the
// caller holds p.mu.
func (p *Provider) sweep(now time.Time) {
	for k, g := range p.codes {
		// Used codes are kept a while longer, so a replay is recognised.
		if now.After(g.expires.Add(10 * CodeTTL)) {
			delete(p.codes, k)
		}
	}
	for k, s := range p.refresh {
		if now.After(s.expires) {
			delete(p.refresh, k)
		}
	}
	for k, a := range p.access {
		if now.After(a.expires) {
			delete(p.access, k)
		}
	}
}
