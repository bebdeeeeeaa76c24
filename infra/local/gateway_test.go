package local_test

import (
	"crypto/rand"
	"crypto/rsa"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/schoolroster/rosterimport/infra/local/gateway"
)

func apiGet(t *testing.T, path, token string) (int, http.Header, []byte) {
	t.Helper()
	return apiDo(t, http.MethodGet, path, token, "", nil)
}

func apiDo(t *testing.T, method, path, token, contentType string, body io.Reader) (int, http.Header, []byte) {
	t.Helper()
	req, err := http.NewRequest(method, fixture.APIURL+path, body)
	if err != nil {
		t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header, b
}

func TestJWTAuthorizer(t *testing.T) {
	now := time.Now()
	valid := func(over jwt.MapClaims) jwt.MapClaims {
		c := jwt.MapClaims{"email": "ann@school.school", "iss": fixture.OIDCURL, "aud": gateway.LocalAudience,
			"iat": now.Unix(), "exp": now.Add(time.Hour).Unix()}
		for k, v := range over {
			if v == nil {
				delete(c, k)
			} else {
				c[k] = v
			}
		}
		return c
	}
	// A stranger's key under the stack's key id: a forged signature.
	kid := fixture.Signer.JWKS()["keys"].([]map[string]string)[0]["kid"]
	strangerKey, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	forge := func(claims jwt.MapClaims) string {
		tok := jwt.NewWithClaims(jwt.SigningMethodRS256, claims)
		tok.Header["kid"] = kid
		signed, err := tok.SignedString(strangerKey)
		if err != nil {
			t.Fatal(err)
		}
		return signed
	}

	tests := []struct {
		name       string
		token      string
		wantStatus int
		wantDesc   string
	}{
		{"missing", "", 401, ""},
		{"not a JWT", "not-a-token", 401, "the token is not valid"},
		{"expired", fixture.Signer.MintClaims(valid(jwt.MapClaims{"exp": now.Add(-time.Minute).Unix()})), 401, "the token has expired"},
		{"no expiry", fixture.Signer.MintClaims(valid(jwt.MapClaims{"exp": nil})), 401, "the token is not valid"},
		{"wrongly signed", forge(valid(nil)), 401, "the token is not valid"},
		{"wrong issuer", fixture.Signer.MintClaims(valid(jwt.MapClaims{"iss": "https://evil.example/"})), 401, "the token has an invalid issuer"},
		{"wrong audience", fixture.Signer.MintClaims(valid(jwt.MapClaims{"aud": "someone-else"})), 401, "the token does not have a valid audience"},
		{"good", fixture.Signer.MintClaims(valid(nil)), 200, ""},
		{"good via client_id", fixture.Signer.MintClaims(valid(jwt.MapClaims{"aud": nil, "client_id": gateway.LocalAudience})), 200, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			status, h, body := apiGet(t, "/hello/ann", tt.token)
			if status != tt.wantStatus {
				t.Fatalf("status = %d, want %d; body %s", status, tt.wantStatus, body)
			}
			if tt.wantStatus == 401 {
				if got := strings.TrimSpace(string(body)); got != `{"message":"Unauthorized"}` {
					t.Errorf("body = %s, want API Gateway's {\"message\":\"Unauthorized\"}", got)
				}
				if !strings.Contains(h.Get("www-authenticate"), tt.wantDesc) {
					t.Errorf("www-authenticate = %q, want it to mention %q", h.Get("www-authenticate"), tt.wantDesc)
				}
				return
			}
			var got struct {
				Route  string
				Path   map[string]string
				Claims map[string]string
			}
			if err := json.Unmarshal(body, &got); err != nil {
				t.Fatal(err)
			}
			if got.Route != "GET /hello/{name}" || got.Path["name"] != "ann" || got.Claims["email"] != "ann@school.school" {
				t.Errorf("function saw route %q path %v claims %v", got.Route, got.Path, got.Claims)
			}
		})
	}
}

func TestGatewayPayloadFormat(t *testing.T) {
	tok := fixture.Token("ann@school.school")
	t.Run("query, escaped path parameter and text body", func(t *testing.T) {
		status, _, body := apiDo(t, http.MethodPost, "/hello/a%2Bb%40x.org?q=1&q=2&z=%C3%A9", tok, "application/json", strings.NewReader(`{"k":1}`))
		if status != 200 {
			t.Fatalf("status %d: %s", status, body)
		}
		var got struct {
			Path   map[string]string
			Query  map[string]string
			Body   string
			Base64 bool
		}
		_ = json.Unmarshal(body, &got)
		if got.Path["name"] != "a+b@x.org" || got.Query["q"] != "1,2" || got.Query["z"] != "é" || got.Body != `{"k":1}` || got.Base64 {
			t.Errorf("event = %+v", got)
		}
	})
	t.Run("binary body is base64", func(t *testing.T) {
		status, _, body := apiDo(t, http.MethodPost, "/hello/x", tok, "application/octet-stream", strings.NewReader("\x00\x01\xff"))
		var got struct {
			Body   string
			Base64 bool
		}
		_ = json.Unmarshal(body, &got)
		if status != 200 || !got.Base64 || got.Body != "AAH/" {
			t.Errorf("status %d, event %+v", status, got)
		}
	})
	t.Run("unknown route", func(t *testing.T) {
		status, _, body := apiGet(t, "/nowhere", tok)
		if status != 404 || strings.TrimSpace(string(body)) != `{"message":"Not Found"}` {
			t.Errorf("status %d body %s", status, body)
		}
	})
	t.Run("route without authorizer", func(t *testing.T) {
		status, _, body := apiGet(t, "/public", "")
		if status != 200 || !strings.Contains(string(body), `"route":"GET /public"`) {
			t.Errorf("status %d body %s", status, body)
		}
	})
}
