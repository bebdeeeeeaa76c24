package oidc

import (
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"html/template"
	"net/http"
	"net/mail"
	"net/url"
	"regexp"
	"slices"
	"strings"
)

// authRequest is a checked authorization request.
type authRequest struct {
	ClientID, RedirectURI, State, Nonce, Challenge, Method, Scope, ResponseType string
}

// requestError is a refusal sent back to the client's redirect_uri, as RFC
// 6749 4.1.2.1 says once the client and redirect_uri are known to be good.
type requestError struct{ code, description string }

// pkceValue is a code_verifier's (and an S256 challenge's) alphabet and
// length, RFC 7636 4.1.
var pkceValue = regexp.MustCompile(`^[A-Za-z0-9._~-]{43,128}$`)

// checkRequest checks an authorization request's parameters (from the query
// or from the form's hidden fields). A bad client_id or redirect_uri is
// refused on a page (pageErr): the browser must not be sent to a URI nobody
// registered. Anything else wrong goes back to redirect_uri (reqErr).
func (p *Provider) checkRequest(v url.Values) (req authRequest, pageErr string, reqErr *requestError) {
	req = authRequest{ClientID: v.Get("client_id"), RedirectURI: v.Get("redirect_uri"), State: v.Get("state"), Nonce: v.Get("nonce"),
		Challenge: v.Get("code_challenge"), Method: v.Get("code_challenge_method"), Scope: v.Get("scope"), ResponseType: v.Get("response_type")}
	switch {
	case req.ClientID == "":
		return req, "The request has no client_id.", nil
	case req.ClientID != p.cfg.ClientID:
		return req, fmt.Sprintf("The client_id %q is unknown: this provider has one client, %q.", req.ClientID, p.cfg.ClientID), nil
	case req.RedirectURI == "":
		return req, "The request has no redirect_uri.", nil
	case !slices.Contains(p.cfg.RedirectURIs, req.RedirectURI):
		return req, fmt.Sprintf("The redirect_uri %q is not allowed. Allowed: %s.", req.RedirectURI, strings.Join(p.cfg.RedirectURIs, ", ")), nil
	case req.ResponseType != "code":
		return req, "", &requestError{"unsupported_response_type", "response_type must be code (the authorization code flow)."}
	case !slices.Contains(strings.Fields(req.Scope), "openid"):
		return req, "", &requestError{"invalid_scope", "scope must include openid."}
	case req.Challenge == "":
		return req, "", &requestError{"invalid_request", "code_challenge is required: use PKCE with S256."}
	case req.Method != "S256":
		return req, "", &requestError{"invalid_request", "code_challenge_method must be S256."}
	case !pkceValue.MatchString(req.Challenge):
		return req, "", &requestError{"invalid_request", "code_challenge is not an S256 challenge (43 URL-safe base64 characters)."}
	}
	for _, s := range strings.Fields(req.Scope) {
		if !slices.Contains(Scopes, s) {
			return req, "", &requestError{"invalid_scope", fmt.Sprintf("scope %q is not supported; supported: %s.", s, strings.Join(Scopes, " "))}
		}
	}
	return req, "", nil
}

// authorize is the authorization endpoint: GET shows the sign-in form, POST
// signs in whoever the form names and sends the browser back with a code.
func (p *Provider) authorize(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodPost {
		w.Header().Set("Allow", "GET, POST")
		p.page(w, http.StatusMethodNotAllowed, pageData{Problem: "Use GET (the sign-in form) or POST (its answer)."})
		return
	}
	if err := r.ParseForm(); err != nil {
		p.page(w, http.StatusBadRequest, pageData{Problem: "The request could not be read: " + err.Error()})
		return
	}
	v := r.Form
	if r.Method == http.MethodPost {
		v = r.PostForm
	}
	req, pageErr, reqErr := p.checkRequest(v)
	if pageErr != "" {
		p.page(w, http.StatusBadRequest, pageData{Problem: pageErr})
		return
	}
	if reqErr != nil {
		p.sendBack(w, r, req, url.Values{"error": {reqErr.code}, "error_description": {reqErr.description}})
		return
	}
	if r.Method == http.MethodGet {
		if v.Get("prompt") == "none" {
			// The provider keeps no sign-in session: nobody is signed in.
			p.sendBack(w, r, req, url.Values{"error": {"login_required"}, "error_description": {"The local provider keeps no session: sign in on its page."}})
			return
		}
		p.page(w, http.StatusOK, pageData{Form: true, Req: req, Email: v.Get("login_hint"), Verified: true})
		return
	}
	if v.Get("action") == "cancel" {
		p.sendBack(w, r, req, url.Values{"error": {"access_denied"}, "error_description": {"Sign-in was cancelled."}})
		return
	}
	email := strings.TrimSpace(v.Get("email"))
	verified := v.Get("email_verified") == "true"
	if a, err := mail.ParseAddress(email); err != nil || a.Address != email || a.Name != "" {
		p.page(w, http.StatusUnprocessableEntity, pageData{Form: true, Req: req, Email: email, Verified: verified,
			Invalid: "Enter an email address, like name@example.com."})
		return
	}
	code := randomToken()
	now := p.cfg.Now()
	p.mu.Lock()
	p.sweep(now)
	p.codes[code] = &grant{identity: identity{email: email, verified: verified, expires: now.Add(CodeTTL)},
		clientID: req.ClientID, redirectURI: req.RedirectURI, challenge: req.Challenge, nonce: req.Nonce, scope: req.Scope}
	p.mu.Unlock()
	p.sendBack(w, r, req, url.Values{"code": {code}})
}

// sendBack redirects the browser to the request's redirect_uri with params
// and the request's state.
func (p *Provider) sendBack(w http.ResponseWriter, r *http.Request, req authRequest, params url.Values) {
	params.Set("state", req.State)
	w.Header().Set("Cache-Control", "no-store")
	// 303: the browser follows a POST's answer with a GET.
	http.Redirect(w, r, withQuery(req.RedirectURI, params), http.StatusSeeOther)
}

// pageData is what the page shows: the form, or a problem.
type pageData struct {
	Form     bool
	Req      authRequest
	Email    string
	Verified bool
	Invalid  string // why the email was refused
	Problem  string // why the request cannot be used at all
	Message  string // a plain notice (signed out)
}

const pageStyle = `body{font:16px/1.5 system-ui,sans-serif;margin:0;background:#f6f6f4;color:#1b1b1b}
main{max-width:32rem;margin:3rem auto;padding:2rem;background:#fff;border:1px solid #ccc;border-radius:8px}
h1{font-size:1.4rem;margin-top:0}
.warning{background:#fff4ce;border-left:4px solid #b58100;padding:.5rem .75rem}
.problem,.error{color:#a4000f;font-weight:600}
label{display:block;font-weight:600;margin:.75rem 0 .25rem}
input[type=email]{width:100%;box-sizing:border-box;font:inherit;padding:.5rem;border:1px solid #767676;border-radius:4px}
.check{display:flex;gap:.5rem;align-items:center;margin:.75rem 0 0}
.check label{display:inline;margin:0}
.help{color:#555;font-size:.9rem;margin:.25rem 0 1rem}
button{font:inherit;padding:.5rem 1rem;margin-right:.5rem;border-radius:4px;border:1px solid #1b1b1b;background:#1b1b1b;color:#fff;cursor:pointer}
button.secondary{background:#fff;color:#1b1b1b}
:focus-visible{outline:3px solid #0b5fff;outline-offset:2px}
code{word-break:break-all}`

var pageTemplate = template.Must(template.New("page").Parse(`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex">
<title>Local sign-in — development only</title>
<style>` + pageStyle + `</style>
</head>
<body>
<main>
<h1>Local sign-in — development only</h1>
<p class="warning">This is the local stack's stand-in for the real sign-in page. Any address signs in, with no password. It is never deployed.</p>
{{- if .Problem}}
<h2>This sign-in request cannot be used</h2>
<p class="problem" role="alert">{{.Problem}}</p>
{{- else if .Message}}
<p role="status">{{.Message}}</p>
{{- else if .Form}}
<p>Signing in to <strong>{{.Req.ClientID}}</strong>, then back to <code>{{.Req.RedirectURI}}</code>.</p>
<form method="post" action="authorize" novalidate>
<input type="hidden" name="client_id" value="{{.Req.ClientID}}">
<input type="hidden" name="redirect_uri" value="{{.Req.RedirectURI}}">
<input type="hidden" name="response_type" value="{{.Req.ResponseType}}">
<input type="hidden" name="scope" value="{{.Req.Scope}}">
<input type="hidden" name="state" value="{{.Req.State}}">
<input type="hidden" name="nonce" value="{{.Req.Nonce}}">
<input type="hidden" name="code_challenge" value="{{.Req.Challenge}}">
<input type="hidden" name="code_challenge_method" value="{{.Req.Method}}">
<label for="email">Email address</label>
{{- if .Invalid}}
<p id="email-error" class="error" role="alert">{{.Invalid}}</p>
<input id="email" name="email" type="email" autocomplete="email" required autofocus value="{{.Email}}" aria-invalid="true" aria-describedby="email-error">
{{- else}}
<input id="email" name="email" type="email" autocomplete="email" required autofocus value="{{.Email}}">
{{- end}}
<div class="check">
<input id="email_verified" name="email_verified" type="checkbox" value="true" aria-describedby="verified-help"{{if .Verified}} checked{{end}}>
<label for="email_verified">Email verified</label>
</div>
<p id="verified-help" class="help">Untick to sign in as someone whose address is not verified: the API refuses them.</p>
<button type="submit" name="action" value="sign-in">Sign in</button>
<button type="submit" name="action" value="cancel" class="secondary">Cancel</button>
</form>
{{- end}}
</main>
</body>
</html>
`))

// page writes the provider's HTML page with headers that keep it from being
// framed or cached.
func (p *Provider) page(w http.ResponseWriter, status int, d pageData) {
	sum := sha256.Sum256([]byte(pageStyle))
	// Chrome checks form-action on the redirect after the form's POST too,
	// so the redirect URIs' origins are allowed besides the page's own.
	formAction := append([]string{"'self'"}, p.origins...)
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("Content-Security-Policy", "default-src 'none'; style-src 'sha256-"+base64.StdEncoding.EncodeToString(sum[:])+"'; form-action "+
		strings.Join(formAction, " ")+"; frame-ancestors 'none'; base-uri 'none'")
	w.WriteHeader(status)
	_ = pageTemplate.Execute(w, d)
}
