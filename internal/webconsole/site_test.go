package webconsole

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/base64"
	"io"
	"log/slog"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/aws/aws-lambda-go/events"
)

func TestSite(t *testing.T) {
	big := strings.Repeat("console.log('x');", 100)
	site := &Site{Log: slog.New(slog.NewTextHandler(io.Discard, nil)),
		Files: fstest.MapFS{
			"index.html":           {Data: []byte(`<!doctype html><script type="module" src="/assets/app-1a2b.js"></script>`)},
			"assets/app-1a2b.js":   {Data: []byte(big)},
			"assets/logo-9f8e.png": {Data: []byte{0x89, 'P', 'N', 'G', 0}},
		},
		Config: Config{Issuer: "https://cognito-idp.eu-west-2.amazonaws.com/eu-west-2_AbC", ClientID: "client", Scope: "openid email",
			LogoutEndpoint: "https://roster-1.auth.eu-west-2.amazoncognito.com/logout",
			ConnectSrc:     []string{"https://roster.auth.eu-west-2.amazoncognito.com", "https://bucket.s3.eu-west-2.amazonaws.com", ""}},
	}
	tests := []struct {
		path, accept             string
		wantStatus               int
		wantType, wantCache      string
		wantBody                 string // after decoding
		wantGzip, wantCSPHeaders bool
	}{
		{"/", "", 200, "text/html; charset=utf-8", "no-cache", `<!doctype html>`, false, true},
		{"/accept", "", 200, "text/html; charset=utf-8", "no-cache", `<!doctype html>`, false, true},
		{"/callback", "gzip", 200, "text/html; charset=utf-8", "no-cache", `<!doctype html>`, false, true}, // small: not worth gzip
		{"/assets/app-1a2b.js", "gzip, br", 200, "text/javascript; charset=utf-8", "public, max-age=31536000, immutable", big, true, true},
		{"/assets/app-1a2b.js", "", 200, "text/javascript; charset=utf-8", "public, max-age=31536000, immutable", big, false, true},
		{"/assets/logo-9f8e.png", "gzip", 200, "image/png", "public, max-age=31536000, immutable", "\x89PNG\x00", false, true},
		{"/config.json", "", 200, "application/json", "no-store", `{"issuer":"https://cognito-idp.eu-west-2.amazonaws.com/eu-west-2_AbC","clientId":"client","scope":"openid email","logoutEndpoint":"https://roster-1.auth.eu-west-2.amazoncognito.com/logout"}`, false, true},
		{"/assets/missing.js", "", 404, "text/plain; charset=utf-8", "no-store", "Not found.", false, false},
		{"/assets/../index.html", "", 404, "text/plain; charset=utf-8", "no-store", "Not found.", false, false},
		{"/schools", "", 404, "text/plain; charset=utf-8", "no-store", "Not found.", false, false},
	}
	for _, tt := range tests {
		t.Run(tt.path+" "+tt.accept, func(t *testing.T) {
			res, err := site.Serve(context.Background(), events.APIGatewayV2HTTPRequest{RawPath: tt.path, Headers: map[string]string{"accept-encoding": tt.accept}})
			if err != nil {
				t.Fatal(err)
			}
			body := res.Body
			if res.IsBase64Encoded {
				b, _ := base64.StdEncoding.DecodeString(res.Body)
				body = string(b)
			}
			if gz := res.Headers["content-encoding"] == "gzip"; gz != tt.wantGzip {
				t.Fatalf("gzip = %v, want %v", gz, tt.wantGzip)
			} else if gz {
				zr, err := gzip.NewReader(bytes.NewReader([]byte(body)))
				if err != nil {
					t.Fatal(err)
				}
				b, _ := io.ReadAll(zr)
				body = string(b)
			}
			if res.StatusCode != tt.wantStatus || res.Headers["content-type"] != tt.wantType || res.Headers["cache-control"] != tt.wantCache || !strings.HasPrefix(body, tt.wantBody) {
				t.Errorf("got %d %q %q %q", res.StatusCode, res.Headers["content-type"], res.Headers["cache-control"], body)
			}
			if csp := res.Headers["content-security-policy"]; (csp != "") != tt.wantCSPHeaders {
				t.Errorf("CSP = %q", csp)
			}
		})
	}
	res, _ := site.Serve(context.Background(), events.APIGatewayV2HTTPRequest{RawPath: "/"})
	want := "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; font-src 'self'; " +
		"connect-src 'self' https://roster.auth.eu-west-2.amazoncognito.com https://bucket.s3.eu-west-2.amazonaws.com https://cognito-idp.eu-west-2.amazonaws.com; " +
		"base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
	if got := res.Headers["content-security-policy"]; got != want {
		t.Errorf("CSP =\n%s\nwant\n%s", got, want)
	}
	unbuilt := &Site{Files: fstest.MapFS{".placeholder": {}}, Log: site.Log}
	if res, _ := unbuilt.Serve(context.Background(), events.APIGatewayV2HTTPRequest{RawPath: "/"}); res.StatusCode != 503 {
		t.Errorf("an unbuilt console answers %d, want 503", res.StatusCode)
	}
}
