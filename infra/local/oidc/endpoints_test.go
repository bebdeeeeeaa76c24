package oidc

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/schoolroster/rosterimport/infra/local/gateway"
)

func TestUserinfo(t *testing.T) {
	tp := newTestProvider(t)
	_, body := postForm(t, tp.url+"/token", tokenForm(tp.signIn(t, "ann@demo.school", false)), "")
	tr := decode[tokenResponse](t, body)
	tests := []struct {
		name, token string
		wantStatus  int
		wantBody    string
	}{
		{"access token", tr.AccessToken, 200, `"email":"ann@demo.school","email_verified":false,"sub":"local|ann@demo.school"`},
		{"ID token", tr.IDToken, 401, "not the ID token"},
		{"none", "", 401, "invalid_token"},
		{"another issuer's", tp.signer.MintClaims(jwt.MapClaims{"iss": "https://evil.example", "client_id": gateway.LocalAudience,
			"token_use": "access", "exp": time.Now().Add(time.Hour).Unix()}), 401, "invalid_token"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, _ := http.NewRequest(http.MethodGet, tp.url+"/userinfo", nil)
			req.Header.Set("Authorization", "Bearer "+tt.token)
			req.Header.Set("Origin", console)
			res, body := do(t, req)
			if res.StatusCode != tt.wantStatus || !strings.Contains(body, tt.wantBody) {
				t.Errorf("%d %s, want %d %s", res.StatusCode, body, tt.wantStatus, tt.wantBody)
			}
			if res.Header.Get("Access-Control-Allow-Origin") != console {
				t.Errorf("CORS origin %q", res.Header.Get("Access-Control-Allow-Origin"))
			}
		})
	}
}

func TestCORS(t *testing.T) {
	tp := newTestProvider(t)
	tests := []struct {
		path, origin, want string
	}{
		{"/token", console, console},
		{"/token", "https://evil.example", ""},
		{"/userinfo", console, console},
		{"/.well-known/openid-configuration", "https://anyone.example", "*"},
		{"/jwks.json", console, "*"},
	}
	for _, tt := range tests {
		t.Run(tt.path+" "+tt.origin, func(t *testing.T) {
			req, _ := http.NewRequest(http.MethodOptions, tp.url+tt.path, nil)
			req.Header.Set("Origin", tt.origin)
			req.Header.Set("Access-Control-Request-Method", "POST")
			req.Header.Set("Access-Control-Request-Headers", "content-type")
			res, _ := do(t, req)
			if res.StatusCode != 204 || res.Header.Get("Access-Control-Allow-Origin") != tt.want {
				t.Errorf("%d, allowed origin %q, want %q", res.StatusCode, res.Header.Get("Access-Control-Allow-Origin"), tt.want)
			}
			if tt.want != "" && !strings.Contains(res.Header.Get("Access-Control-Allow-Headers"), "content-type") {
				t.Errorf("allowed headers %q", res.Header.Get("Access-Control-Allow-Headers"))
			}
		})
	}
	_, body := postForm(t, tp.url+"/token", tokenForm(tp.signIn(t, "ann@demo.school", true)), console)
	if !strings.Contains(body, "id_token") {
		t.Errorf("token from the console's origin: %s", body)
	}
}

func TestLogout(t *testing.T) {
	tp := newTestProvider(t)
	tests := []struct {
		name       string
		query      url.Values
		wantStatus int
		wantTo     string
		wantPage   string
	}{
		{"back to the console", url.Values{"post_logout_redirect_uri": {console + "/"}, "state": {"s"}, "client_id": {gateway.LocalAudience}}, 302, console + "/?state=s", ""},
		{"not allowed", url.Values{"post_logout_redirect_uri": {"https://evil.example/"}}, 400, "", "is not allowed"},
		{"unknown client", url.Values{"post_logout_redirect_uri": {console + "/"}, "client_id": {"evil"}}, 400, "", "is unknown"},
		{"nowhere to go", nil, 200, "", "You are signed out"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, body := get(t, tp.url+"/logout?"+tt.query.Encode())
			if res.StatusCode != tt.wantStatus || res.Header.Get("Location") != tt.wantTo || !strings.Contains(body, tt.wantPage) {
				t.Errorf("%d to %q: %s", res.StatusCode, res.Header.Get("Location"), body)
			}
		})
	}
}

func TestNewRefusesBadConfig(t *testing.T) {
	signer, _ := gateway.LoadOrCreateSigner("", "http://127.0.0.1:1")
	tests := []struct {
		name string
		cfg  Config
	}{
		{"no issuer", Config{Signer: signer}},
		{"trailing slash", Config{Issuer: "http://127.0.0.1:1/", Signer: signer}},
		{"no signer", Config{Issuer: "http://127.0.0.1:1"}},
		{"signer of another issuer", Config{Issuer: "http://127.0.0.1:2", Signer: signer}},
		{"relative redirect", Config{Issuer: "http://127.0.0.1:1", Signer: signer, RedirectURIs: []string{"/callback"}}},
	}
	for _, tt := range tests {
		if _, err := New(tt.cfg); err == nil {
			t.Errorf("%s: no error", tt.name)
		}
	}
}
