package local_test

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/golang-jwt/jwt/v5"

	"github.com/schoolroster/rosterimport/infra/local/gateway"
)

// TestSignInThroughTheLocalProvider signs in as the console does
// (authorization code with PKCE, the API's /callback) and calls the API with
// the ID token: the gateway's authorizer takes it, and the function gets the
// claims. stack.Token mints with the same issuer.
func TestSignInThroughTheLocalProvider(t *testing.T) {
	noRedirect := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	res, err := http.Get(fixture.OIDCURL + "/.well-known/openid-configuration")
	if err != nil {
		t.Fatal(err)
	}
	var disc map[string]any
	if err := json.NewDecoder(res.Body).Decode(&disc); err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if disc["issuer"] != fixture.OIDCURL || disc["authorization_endpoint"] != fixture.OIDCURL+"/authorize" {
		t.Fatalf("discovery %v, want the issuer %q", disc, fixture.OIDCURL)
	}

	verifier := strings.Repeat("v3rifier-", 6)
	sum := sha256.Sum256([]byte(verifier))
	callback := fixture.APIURL + "/callback"
	form := url.Values{"client_id": {gateway.LocalAudience}, "redirect_uri": {callback}, "response_type": {"code"},
		"scope": {"openid email profile"}, "state": {"s"}, "nonce": {"n"}, "code_challenge": {base64.RawURLEncoding.EncodeToString(sum[:])},
		"code_challenge_method": {"S256"}}
	res, err = http.Get(fixture.OIDCURL + "/authorize?" + form.Encode())
	if err != nil {
		t.Fatal(err)
	}
	page, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != 200 || !strings.Contains(string(page), "Local sign-in — development only") {
		t.Fatalf("authorize page: %d %s", res.StatusCode, page)
	}
	form.Set("email", "ann@school.school")
	form.Set("email_verified", "true")
	res, err = noRedirect.PostForm(fixture.OIDCURL+"/authorize", form)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	loc, err := url.Parse(res.Header.Get("Location"))
	if err != nil || !strings.HasPrefix(loc.String(), callback+"?") {
		t.Fatalf("sent back to %q (%d)", res.Header.Get("Location"), res.StatusCode)
	}
	res, err = http.PostForm(fixture.OIDCURL+"/token", url.Values{"grant_type": {"authorization_code"}, "code": {loc.Query().Get("code")},
		"redirect_uri": {callback}, "client_id": {gateway.LocalAudience}, "code_verifier": {verifier}})
	if err != nil {
		t.Fatal(err)
	}
	var tok struct {
		IDToken string `json:"id_token"`
	}
	_ = json.NewDecoder(res.Body).Decode(&tok)
	res.Body.Close()
	if res.StatusCode != 200 || tok.IDToken == "" {
		t.Fatalf("token: %d", res.StatusCode)
	}

	for name, token := range map[string]string{"the flow's ID token": tok.IDToken, "stack.Token": fixture.Token("ann@school.school")} {
		status, _, body := apiGet(t, "/hello/ann", token)
		if status != 200 || !strings.Contains(string(body), `"email":"ann@school.school"`) || !strings.Contains(string(body), `"sub":"local|ann@school.school"`) {
			t.Errorf("%s: %d %s", name, status, body)
		}
		claims := jwt.MapClaims{}
		if _, _, err := jwt.NewParser().ParseUnverified(token, claims); err != nil || claims["iss"] != fixture.OIDCURL {
			t.Errorf("%s: iss %v, want %s (%v)", name, claims["iss"], fixture.OIDCURL, err)
		}
	}
}
