package oidc

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/schoolroster/rosterimport/infra/local/gateway"
)

const (
	console  = "http://127.0.0.1:3000"
	callback = console + "/callback"
	verifier = "dBjftJeZ4CVP-mJ92K9jrW_5t9Qm0Ca_n6eGSUgzQk4x7vZ3q" // 49 characters
)

func challengeOf(v string) string {
	sum := sha256.Sum256([]byte(v))
	return base64.RawURLEncoding.EncodeToString(sum[:])
}

// testProvider is a provider on a test server, with a clock tests move.
type testProvider struct {
	*Provider
	url    string
	signer *gateway.Signer
	mu     sync.Mutex
	now    time.Time
}

func (tp *testProvider) advance(d time.Duration) {
	tp.mu.Lock()
	tp.now = tp.now.Add(d)
	tp.mu.Unlock()
}

func newTestProvider(t *testing.T) *testProvider {
	t.Helper()
	srv := httptest.NewUnstartedServer(nil)
	issuer := "http://" + srv.Listener.Addr().String()
	signer, err := gateway.LoadOrCreateSigner("", issuer)
	if err != nil {
		t.Fatal(err)
	}
	tp := &testProvider{url: issuer, signer: signer, now: time.Now()}
	tp.Provider, err = New(Config{Issuer: issuer, Signer: signer, RedirectURIs: []string{callback}, PostLogoutRedirectURIs: []string{console + "/"},
		Now: func() time.Time { tp.mu.Lock(); defer tp.mu.Unlock(); return tp.now }})
	if err != nil {
		t.Fatal(err)
	}
	srv.Config.Handler = tp.Provider
	srv.Start()
	t.Cleanup(srv.Close)
	return tp
}

var noRedirects = &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}

func do(t *testing.T, req *http.Request) (*http.Response, string) {
	t.Helper()
	res, err := noRedirects.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res, string(b)
}

func get(t *testing.T, u string) (*http.Response, string) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, u, nil)
	return do(t, req)
}

func postForm(t *testing.T, u string, form url.Values, origin string) (*http.Response, string) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, u, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if origin != "" {
		req.Header.Set("Origin", origin)
	}
	return do(t, req)
}

// authParams is a good authorization request.
func authParams() url.Values {
	return url.Values{"client_id": {gateway.LocalAudience}, "redirect_uri": {callback}, "response_type": {"code"},
		"scope": {"openid email profile"}, "state": {"st4te"}, "nonce": {"n0nce"},
		"code_challenge": {challengeOf(verifier)}, "code_challenge_method": {"S256"}}
}

// signIn posts the form for email and returns the code sent back.
func (tp *testProvider) signIn(t *testing.T, email string, verified bool) string {
	t.Helper()
	form := authParams()
	form.Set("email", email)
	if verified {
		form.Set("email_verified", "true")
	}
	res, body := postForm(t, tp.url+"/authorize", form, "")
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("sign-in: %d %s", res.StatusCode, body)
	}
	loc, _ := url.Parse(res.Header.Get("Location"))
	if got := loc.Scheme + "://" + loc.Host + loc.Path; got != callback || loc.Query().Get("state") != "st4te" || loc.Query().Get("code") == "" {
		t.Fatalf("sent back to %s", loc)
	}
	return loc.Query().Get("code")
}

func tokenForm(code string) url.Values {
	return url.Values{"grant_type": {"authorization_code"}, "code": {code}, "redirect_uri": {callback},
		"client_id": {gateway.LocalAudience}, "code_verifier": {verifier}}
}

func decode[T any](t *testing.T, body string) T {
	t.Helper()
	var v T
	if err := json.Unmarshal([]byte(body), &v); err != nil {
		t.Fatalf("%v: %s", err, body)
	}
	return v
}

func TestDiscovery(t *testing.T) {
	tp := newTestProvider(t)
	res, body := get(t, tp.url+"/.well-known/openid-configuration")
	if res.StatusCode != 200 || res.Header.Get("Access-Control-Allow-Origin") != "*" {
		t.Fatalf("%d %v", res.StatusCode, res.Header)
	}
	d := decode[map[string]any](t, body)
	want := map[string]any{"issuer": tp.url, "authorization_endpoint": tp.url + "/authorize", "token_endpoint": tp.url + "/token",
		"jwks_uri": tp.url + "/jwks.json", "userinfo_endpoint": tp.url + "/userinfo", "end_session_endpoint": tp.url + "/logout"}
	for k, v := range want {
		if d[k] != v {
			t.Errorf("%s = %v, want %v", k, d[k], v)
		}
	}
	for k, v := range map[string]string{"response_types_supported": "code", "code_challenge_methods_supported": "S256",
		"id_token_signing_alg_values_supported": "RS256", "scopes_supported": "openid", "claims_supported": "email_verified"} {
		if !strings.Contains(string(mustJSON(d[k])), `"`+v+`"`) {
			t.Errorf("%s = %v, want %s among them", k, d[k], v)
		}
	}
	res, body = get(t, tp.url+"/jwks.json")
	if res.StatusCode != 200 || !strings.Contains(body, `"kid"`) || res.Header.Get("Access-Control-Allow-Origin") != "*" {
		t.Errorf("jwks: %d %s", res.StatusCode, body)
	}
}

func mustJSON(v any) []byte { b, _ := json.Marshal(v); return b }

func TestAuthorizeRequests(t *testing.T) {
	tp := newTestProvider(t)
	tests := []struct {
		name       string
		change     url.Values // "" deletes
		wantStatus int
		wantPage   string // in the page
		wantError  string // error sent back to redirect_uri
	}{
		{"the form", nil, 200, `<label for="email">Email address</label>`, ""},
		{"login hint", url.Values{"login_hint": {"ann@demo.school"}}, 200, `value="ann@demo.school"`, ""},
		{"no client", url.Values{"client_id": {""}}, 400, "no client_id", ""},
		{"unknown client", url.Values{"client_id": {"evil"}}, 400, "The client_id &#34;evil&#34; is unknown", ""},
		{"redirect not allowed", url.Values{"redirect_uri": {"https://evil.example/callback"}}, 400, "is not allowed", ""},
		{"redirect on another path", url.Values{"redirect_uri": {console + "/callback/x"}}, 400, "is not allowed", ""},
		{"no code_challenge", url.Values{"code_challenge": {""}}, 303, "", "invalid_request"},
		{"plain PKCE", url.Values{"code_challenge_method": {"plain"}}, 303, "", "invalid_request"},
		{"no PKCE method", url.Values{"code_challenge_method": {""}}, 303, "", "invalid_request"},
		{"short challenge", url.Values{"code_challenge": {"abc"}}, 303, "", "invalid_request"},
		{"implicit flow", url.Values{"response_type": {"token"}}, 303, "", "unsupported_response_type"},
		{"no openid scope", url.Values{"scope": {"email"}}, 303, "", "invalid_scope"},
		{"unknown scope", url.Values{"scope": {"openid admin"}}, 303, "", "invalid_scope"},
		{"silent sign-in", url.Values{"prompt": {"none"}}, 303, "", "login_required"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			q := authParams()
			for k, v := range tt.change {
				if v[0] == "" {
					q.Del(k)
				} else {
					q.Set(k, v[0])
				}
			}
			res, body := get(t, tp.url+"/authorize?"+q.Encode())
			if res.StatusCode != tt.wantStatus {
				t.Fatalf("status %d, want %d: %s", res.StatusCode, tt.wantStatus, body)
			}
			if tt.wantPage != "" {
				if !strings.Contains(body, "<title>Local sign-in — development only</title>") || !strings.Contains(body, tt.wantPage) {
					t.Errorf("page lacks %q:\n%s", tt.wantPage, body)
				}
				if !strings.Contains(res.Header.Get("Content-Security-Policy"), "frame-ancestors 'none'") {
					t.Errorf("CSP = %q", res.Header.Get("Content-Security-Policy"))
				}
			}
			if tt.wantStatus == 200 {
				for _, want := range []string{`type="checkbox" value="true" aria-describedby="verified-help" checked`,
					`name="code_challenge" value="` + challengeOf(verifier) + `"`, `name="state" value="st4te"`, `name="nonce" value="n0nce"`,
					`name="redirect_uri" value="` + callback + `"`, `<button type="submit" name="action" value="sign-in">Sign in</button>`} {
					if !strings.Contains(body, want) {
						t.Errorf("form lacks %s", want)
					}
				}
			}
			if tt.wantError != "" {
				loc, _ := url.Parse(res.Header.Get("Location"))
				if !strings.HasPrefix(loc.String(), callback+"?") || loc.Query().Get("error") != tt.wantError || loc.Query().Get("state") != "st4te" ||
					loc.Query().Get("code") != "" {
					t.Errorf("sent back to %s, want error %s", loc, tt.wantError)
				}
			}
		})
	}
}

func TestSignInForm(t *testing.T) {
	tp := newTestProvider(t)
	tests := []struct {
		name       string
		change     url.Values
		wantStatus int
		wantError  string // sent back
		wantPage   string
	}{
		{"signs in", url.Values{"email": {"ann@demo.school"}}, 303, "", ""},
		{"not an address", url.Values{"email": {"ann"}}, 422, "", `aria-invalid="true" aria-describedby="email-error"`},
		{"a display name", url.Values{"email": {"Ann <ann@demo.school>"}}, 422, "", "Enter an email address"},
		{"cancelled", url.Values{"action": {"cancel"}}, 303, "access_denied", ""},
		// The hidden fields are the browser's to change: checked again.
		{"forged redirect", url.Values{"email": {"ann@demo.school"}, "redirect_uri": {"https://evil.example/callback"}}, 400, "", "is not allowed"},
		{"forged challenge method", url.Values{"email": {"ann@demo.school"}, "code_challenge_method": {"plain"}}, 303, "invalid_request", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			form := authParams()
			for k, v := range tt.change {
				form.Set(k, v[0])
			}
			res, body := postForm(t, tp.url+"/authorize", form, "")
			if res.StatusCode != tt.wantStatus {
				t.Fatalf("status %d, want %d: %s", res.StatusCode, tt.wantStatus, body)
			}
			if tt.wantPage != "" && !strings.Contains(body, tt.wantPage) {
				t.Errorf("page lacks %q: %s", tt.wantPage, body)
			}
			if res.StatusCode == 303 {
				q, _ := url.ParseQuery(strings.SplitN(res.Header.Get("Location"), "?", 2)[1])
				if q.Get("error") != tt.wantError || (tt.wantError == "") != (q.Get("code") != "") || q.Get("state") != "st4te" {
					t.Errorf("sent back with %v, want error %q", q, tt.wantError)
				}
			}
		})
	}
}

func TestTokenGrant(t *testing.T) {
	tp := newTestProvider(t)
	tests := []struct {
		name       string
		change     func(tp *testProvider, form url.Values)
		wantStatus int
		wantError  string
	}{
		{"good", nil, 200, ""},
		{"wrong verifier", func(_ *testProvider, f url.Values) { f.Set("code_verifier", strings.Repeat("x", 43)) }, 400, "invalid_grant"},
		{"verifier too short", func(_ *testProvider, f url.Values) { f.Set("code_verifier", "abc") }, 400, "invalid_grant"},
		{"no verifier", func(_ *testProvider, f url.Values) { f.Del("code_verifier") }, 400, "invalid_request"},
		{"wrong redirect_uri", func(_ *testProvider, f url.Values) { f.Set("redirect_uri", console+"/other") }, 400, "invalid_grant"},
		{"no redirect_uri", func(_ *testProvider, f url.Values) { f.Del("redirect_uri") }, 400, "invalid_request"},
		{"unknown client", func(_ *testProvider, f url.Values) { f.Set("client_id", "evil") }, 401, "invalid_client"},
		{"no client", func(_ *testProvider, f url.Values) { f.Del("client_id") }, 400, "invalid_request"},
		{"unknown code", func(_ *testProvider, f url.Values) { f.Set("code", "nope") }, 400, "invalid_grant"},
		{"expired code", func(tp *testProvider, _ url.Values) { tp.advance(CodeTTL) }, 400, "invalid_grant"},
		{"implicit grant", func(_ *testProvider, f url.Values) { f.Set("grant_type", "password") }, 400, "unsupported_grant_type"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			form := tokenForm(tp.signIn(t, "Ann@Demo.School", true))
			if tt.change != nil {
				tt.change(tp, form)
			}
			res, body := postForm(t, tp.url+"/token", form, "")
			if res.StatusCode != tt.wantStatus {
				t.Fatalf("status %d, want %d: %s", res.StatusCode, tt.wantStatus, body)
			}
			if res.Header.Get("Cache-Control") != "no-store" {
				t.Errorf("Cache-Control = %q", res.Header.Get("Cache-Control"))
			}
			if tt.wantError != "" {
				if e := decode[oauthError](t, body); e.Error != tt.wantError || e.Description == "" {
					t.Errorf("error = %+v, want %s", e, tt.wantError)
				}
				return
			}
			tr := decode[tokenResponse](t, body)
			if tr.TokenType != "Bearer" || tr.ExpiresIn != 3600 || tr.IDToken == "" || tr.AccessToken == "" || tr.RefreshToken == "" {
				t.Fatalf("token response %+v", tr)
			}
		})
	}
}

// TestCodeIsSingleUse: a code is spent by its first redemption, even a
// failed one, and a replay revokes the refresh token the first one got.
func TestCodeIsSingleUse(t *testing.T) {
	tp := newTestProvider(t)
	code := tp.signIn(t, "ann@demo.school", true)
	res, body := postForm(t, tp.url+"/token", tokenForm(code), "")
	if res.StatusCode != 200 {
		t.Fatalf("first: %d %s", res.StatusCode, body)
	}
	first := decode[tokenResponse](t, body)
	res, body = postForm(t, tp.url+"/token", tokenForm(code), "")
	if e := decode[oauthError](t, body); res.StatusCode != 400 || e.Error != "invalid_grant" {
		t.Fatalf("replay: %d %s", res.StatusCode, body)
	}
	res, body = postForm(t, tp.url+"/token", url.Values{"grant_type": {"refresh_token"}, "refresh_token": {first.RefreshToken},
		"client_id": {gateway.LocalAudience}}, "")
	if res.StatusCode != 400 {
		t.Errorf("refresh after a replay: %d %s, want invalid_grant", res.StatusCode, body)
	}

	code = tp.signIn(t, "ann@demo.school", true)
	bad := tokenForm(code)
	bad.Set("code_verifier", strings.Repeat("y", 43))
	if res, _ := postForm(t, tp.url+"/token", bad, ""); res.StatusCode != 400 {
		t.Fatalf("wrong verifier: %d", res.StatusCode)
	}
	if res, body := postForm(t, tp.url+"/token", tokenForm(code), ""); res.StatusCode != 400 {
		t.Errorf("the right verifier after a wrong one: %d %s, want the code spent", res.StatusCode, body)
	}
}

func TestRefreshGrant(t *testing.T) {
	tp := newTestProvider(t)
	_, body := postForm(t, tp.url+"/token", tokenForm(tp.signIn(t, "ann@demo.school", true)), "")
	first := decode[tokenResponse](t, body)
	refresh := func(rt string, extra url.Values) (*http.Response, string) {
		f := url.Values{"grant_type": {"refresh_token"}, "refresh_token": {rt}, "client_id": {gateway.LocalAudience}}
		for k, v := range extra {
			f[k] = v
		}
		return postForm(t, tp.url+"/token", f, "")
	}
	if res, body := refresh(first.RefreshToken, url.Values{"scope": {"openid admin"}}); res.StatusCode != 400 || !strings.Contains(body, "invalid_scope") {
		t.Errorf("widened scope: %d %s", res.StatusCode, body)
	}
	_, body = postForm(t, tp.url+"/token", tokenForm(tp.signIn(t, "ann@demo.school", true)), "")
	second := decode[tokenResponse](t, body)
	res, body := refresh(second.RefreshToken, nil)
	if res.StatusCode != 200 {
		t.Fatalf("refresh: %d %s", res.StatusCode, body)
	}
	renewed := decode[tokenResponse](t, body)
	if renewed.RefreshToken == second.RefreshToken || renewed.IDToken == "" {
		t.Errorf("renewed %+v", renewed)
	}
	if res, _ := refresh(second.RefreshToken, nil); res.StatusCode != 400 {
		t.Errorf("a spent refresh token: %d, want 400", res.StatusCode)
	}
	tp.advance(RefreshTTL)
	if res, _ := refresh(renewed.RefreshToken, nil); res.StatusCode != 400 {
		t.Errorf("an expired refresh token: %d, want 400", res.StatusCode)
	}
}

// TestFlowTokenPassesTheGatewaysCheck: the ID token of the flow is what
// the HTTP API's JWT authorizer accepts, with the claims the service reads.
func TestFlowTokenPassesTheGatewaysCheck(t *testing.T) {
	tp := newTestProvider(t)
	authz := gateway.NewAuthorizer(tp.url, []string{gateway.LocalAudience}, tp.signer)
	for _, verified := range []bool{true, false} {
		_, body := postForm(t, tp.url+"/token", tokenForm(tp.signIn(t, "Ann@Demo.School", verified)), "")
		tr := decode[tokenResponse](t, body)
		claims, err := authz.Authorize("Bearer " + tr.IDToken)
		if err != nil {
			t.Fatalf("the gateway refuses the ID token: %v", err)
		}
		exp, _ := claims.GetExpirationTime()
		iat, _ := claims.GetIssuedAt()
		want := jwt.MapClaims{"iss": tp.url, "aud": gateway.LocalAudience, "sub": "local|ann@demo.school", "email": "Ann@Demo.School",
			"email_verified": verified, "nonce": "n0nce"}
		for k, v := range want {
			if claims[k] != v {
				t.Errorf("%s = %v, want %v", k, claims[k], v)
			}
		}
		if exp.Sub(iat.Time) != time.Hour {
			t.Errorf("lifetime %s, want 1h", exp.Sub(iat.Time))
		}
		if claims["sub"] != gateway.Subject("ann@demo.school") || tp.signer.Mint("ann@demo.school", time.Hour) == "" {
			t.Errorf("sub %v is not the one stack.Token gives", claims["sub"])
		}
		// The access token passes too (client_id, as Cognito's), but has no email.
		ac, err := authz.Authorize("Bearer " + tr.AccessToken)
		if err != nil || ac["email"] != nil || ac["client_id"] != gateway.LocalAudience {
			t.Errorf("access token: %v %v", ac, err)
		}
	}
}
