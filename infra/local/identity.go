package local

import (
	"fmt"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"sync/atomic"

	"github.com/schoolroster/rosterimport/infra/local/gateway"
	"github.com/schoolroster/rosterimport/infra/local/oidc"
)

// IssuerFile is where `make run` (Options.Persist) records its provider's
// URL under the state folder, so `stack token` mints tokens with the issuer
// the running stack's authorizer checks.
const IssuerFile = "jwt/issuer"

// listenIdentity takes the HTTP API's port (the functions' routes are
// served there once they run: 503 until then) and the OpenID Connect
// provider's, loads the signing key with the provider's URL as issuer, and
// serves the provider: it allows the API's /callback as redirect URI and
// its "/" after logout, besides Options.OIDCRedirectURIs.
func (s *Stack) listenIdentity() (err error) {
	var redirects, logouts []string
	if !s.opts.EmulatorsOnly {
		apiLn, err := listen(s.opts.Ports.API)
		if err != nil {
			return fmt.Errorf("HTTP API port: %w", err)
		}
		s.APIURL = "http://" + apiLn.Addr().String()
		s.serve(apiLn, &s.api)
		redirects, logouts = []string{s.APIURL + "/callback"}, []string{s.APIURL + "/"}
	}
	for _, u := range s.opts.OIDCRedirectURIs {
		p, err := url.Parse(u)
		if err != nil || p.Scheme == "" || p.Host == "" {
			return fmt.Errorf("OIDCRedirectURIs: %q is not an absolute URL", u)
		}
		redirects = append(redirects, u)
		if back := p.Scheme + "://" + p.Host + "/"; !slices.Contains(logouts, back) {
			logouts = append(logouts, back)
		}
	}
	ln, err := listen(s.opts.Ports.OIDC)
	if err != nil {
		return fmt.Errorf("OpenID Connect provider port: %w", err)
	}
	defer func() {
		if err != nil {
			_ = ln.Close()
		}
	}()
	s.OIDCURL = "http://" + ln.Addr().String()
	keyPath := ""
	if s.opts.Persist {
		keyPath = filepath.Join(s.opts.StateDir, "jwt", "signing-key.pem")
	}
	if s.Signer, err = gateway.LoadOrCreateSigner(keyPath, s.OIDCURL); err != nil {
		return err
	}
	if s.opts.Persist {
		if err := os.MkdirAll(filepath.Join(s.opts.StateDir, filepath.Dir(IssuerFile)), 0o700); err != nil {
			return err
		}
		if err := os.WriteFile(filepath.Join(s.opts.StateDir, IssuerFile), []byte(s.OIDCURL+"\n"), 0o600); err != nil {
			return err
		}
	}
	provider, err := oidc.New(oidc.Config{Issuer: s.OIDCURL, Signer: s.Signer, ClientID: gateway.LocalAudience,
		RedirectURIs: redirects, PostLogoutRedirectURIs: logouts})
	if err != nil {
		return err
	}
	s.serve(ln, provider)
	return nil
}

// listen listens on 127.0.0.1:port, a free port for 0.
func listen(port int) (net.Listener, error) {
	return net.Listen("tcp", "127.0.0.1:"+strconv.Itoa(port))
}

// apiHandler serves the gateway once it is set, and 503 before.
type apiHandler struct {
	g atomic.Pointer[gateway.Gateway]
}

func (h *apiHandler) set(g *gateway.Gateway) { h.g.Store(g) }

func (h *apiHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if g := h.g.Load(); g != nil {
		g.ServeHTTP(w, r)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusServiceUnavailable)
	_, _ = w.Write([]byte(`{"message":"Service Unavailable"}` + "\n"))
}
