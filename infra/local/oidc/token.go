package oidc

import (
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"github.com/golang-jwt/jwt/v5"
)

// tokenResponse is the token endpoint's answer.
type tokenResponse struct {
	IDToken      string `json:"id_token"`
	AccessToken  string `json:"access_token"`
	TokenType    string `json:"token_type"`
	ExpiresIn    int    `json:"expires_in"`
	RefreshToken string `json:"refresh_token,omitempty"`
	Scope        string `json:"scope,omitempty"`
}

// token is the token endpoint: the authorization_code grant (with PKCE) and
// the refresh_token grant, for the public client.
func (p *Provider) token(w http.ResponseWriter, r *http.Request) {
	fail := func(status int, code, desc string) { writeJSON(w, status, oauthError{code, desc}) }
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", "POST, OPTIONS")
		fail(http.StatusMethodNotAllowed, "invalid_request", "Use POST.")
		return
	}
	if !strings.HasPrefix(r.Header.Get("Content-Type"), "application/x-www-form-urlencoded") {
		fail(http.StatusBadRequest, "invalid_request", "The body must be application/x-www-form-urlencoded.")
		return
	}
	if err := r.ParseForm(); err != nil {
		fail(http.StatusBadRequest, "invalid_request", "The body could not be read.")
		return
	}
	f := r.PostForm
	clientID := f.Get("client_id")
	switch {
	case clientID == "":
		fail(http.StatusBadRequest, "invalid_request", "client_id is required (the client is public: no secret).")
		return
	case clientID != p.cfg.ClientID:
		fail(http.StatusUnauthorized, "invalid_client", "The client_id is unknown.")
		return
	}
	var (
		res tokenResponse
		err *requestError
	)
	switch gt := f.Get("grant_type"); gt {
	case "authorization_code":
		res, err = p.redeemCode(f)
	case "refresh_token":
		res, err = p.redeemRefresh(f)
	case "":
		err = &requestError{"invalid_request", "grant_type is required."}
	default:
		err = &requestError{"unsupported_grant_type", "grant_type must be authorization_code or refresh_token."}
	}
	if err != nil {
		fail(http.StatusBadRequest, err.code, err.description)
		return
	}
	writeJSON(w, http.StatusOK, res)
}

// redeemCode exchanges an authorization code. A code is spent by its first
// redemption, good or not, so a wrong code_verifier cannot be retried; a
// replayed code also revokes the refresh tokens issued for it (RFC 6749
// 4.1.2).
func (p *Provider) redeemCode(f url.Values) (tokenResponse, *requestError) {
	code, redirectURI, verifier := f.Get("code"), f.Get("redirect_uri"), f.Get("code_verifier")
	switch {
	case code == "":
		return tokenResponse{}, &requestError{"invalid_request", "code is required."}
	case redirectURI == "":
		return tokenResponse{}, &requestError{"invalid_request", "redirect_uri is required."}
	case verifier == "":
		return tokenResponse{}, &requestError{"invalid_request", "code_verifier is required (PKCE)."}
	}
	now := p.cfg.Now()
	p.mu.Lock()
	defer p.mu.Unlock()
	g, ok := p.codes[code]
	switch {
	case !ok:
		return tokenResponse{}, &requestError{"invalid_grant", "The code is unknown or has expired."}
	case g.used:
		for _, rt := range g.refreshTokens {
			delete(p.refresh, rt)
		}
		return tokenResponse{}, &requestError{"invalid_grant", "The code has already been used."}
	}
	g.used = true
	switch {
	case !now.Before(g.expires):
		return tokenResponse{}, &requestError{"invalid_grant", "The code has expired (codes last 60 seconds)."}
	case g.clientID != f.Get("client_id"):
		return tokenResponse{}, &requestError{"invalid_grant", "The code was issued to another client."}
	case g.redirectURI != redirectURI:
		return tokenResponse{}, &requestError{"invalid_grant", "redirect_uri does not match the authorization request's."}
	case !pkceValue.MatchString(verifier) || !challengeMatches(g.challenge, verifier):
		return tokenResponse{}, &requestError{"invalid_grant", "code_verifier does not match the code_challenge."}
	}
	res := p.issue(g.identity, g.scope, g.nonce)
	g.refreshTokens = append(g.refreshTokens, res.RefreshToken)
	return res, nil
}

// redeemRefresh exchanges a refresh token for new tokens and a new refresh
// token; the old one is spent.
func (p *Provider) redeemRefresh(f url.Values) (tokenResponse, *requestError) {
	rt := f.Get("refresh_token")
	if rt == "" {
		return tokenResponse{}, &requestError{"invalid_request", "refresh_token is required."}
	}
	now := p.cfg.Now()
	p.mu.Lock()
	defer p.mu.Unlock()
	s, ok := p.refresh[rt]
	delete(p.refresh, rt)
	switch {
	case !ok || !now.Before(s.expires):
		return tokenResponse{}, &requestError{"invalid_grant", "The refresh token is unknown, used or expired."}
	case s.clientID != f.Get("client_id"):
		return tokenResponse{}, &requestError{"invalid_grant", "The refresh token was issued to another client."}
	}
	scope := s.scope
	if asked := f.Get("scope"); asked != "" {
		for _, sc := range strings.Fields(asked) {
			if !slices.Contains(strings.Fields(s.scope), sc) {
				return tokenResponse{}, &requestError{"invalid_scope", "A refresh cannot widen the scope."}
			}
		}
		scope = asked
	}
	return p.issue(identity{email: s.email, verified: s.verified}, scope, ""), nil
}

// issue mints an ID token, an access token and a refresh token; the caller
// holds p.mu.
func (p *Provider) issue(who identity, scope, nonce string) tokenResponse {
	now := p.cfg.Now()
	p.sweep(now)
	idc := p.cfg.Signer.IDTokenClaims(who.email, who.verified, TokenTTL)
	idc["auth_time"] = idc["iat"]
	idc["token_use"] = "id"
	if nonce != "" {
		idc["nonce"] = nonce
	}
	// Like Cognito's, the access token names the client (client_id, no aud)
	// and carries no email: the API, which needs the email, refuses it.
	jti := randomToken()
	ac := jwt.MapClaims{"iss": idc["iss"], "sub": idc["sub"], "client_id": p.cfg.ClientID, "scope": scope, "token_use": "access",
		"jti": jti, "iat": idc["iat"], "nbf": idc["nbf"], "exp": idc["exp"]}
	p.access[jti] = &identity{email: who.email, verified: who.verified, expires: now.Add(TokenTTL)}
	rt := randomToken()
	p.refresh[rt] = &session{identity: identity{email: who.email, verified: who.verified, expires: now.Add(RefreshTTL)}, clientID: p.cfg.ClientID, scope: scope}
	return tokenResponse{IDToken: p.cfg.Signer.MintClaims(idc), AccessToken: p.cfg.Signer.MintClaims(ac), TokenType: "Bearer",
		ExpiresIn: int(TokenTTL.Seconds()), RefreshToken: rt, Scope: scope}
}

// challengeMatches checks a code_verifier against an S256 code_challenge.
func challengeMatches(challenge, verifier string) bool {
	sum := sha256.Sum256([]byte(verifier))
	return subtle.ConstantTimeCompare([]byte(base64.RawURLEncoding.EncodeToString(sum[:])), []byte(challenge)) == 1
}

// userinfo answers the claims of the access token's holder.
func (p *Provider) userinfo(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodPost {
		w.Header().Set("Allow", "GET, POST, OPTIONS")
		writeJSON(w, http.StatusMethodNotAllowed, oauthError{"invalid_request", "Use GET or POST."})
		return
	}
	refuse := func(desc string) {
		w.Header().Set("WWW-Authenticate", `Bearer error="invalid_token", error_description="`+desc+`"`)
		writeJSON(w, http.StatusUnauthorized, oauthError{"invalid_token", desc})
	}
	claims, err := p.authz.Authorize(r.Header.Get("Authorization"))
	if err != nil {
		refuse("The access token is missing or not valid.")
		return
	}
	jti, _ := claims["jti"].(string)
	if use, _ := claims["token_use"].(string); use != "access" {
		refuse("Send the access token, not the ID token.")
		return
	}
	p.mu.Lock()
	who, ok := p.access[jti]
	p.mu.Unlock()
	if !ok {
		refuse("The access token was issued before the provider restarted.")
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"sub": claims["sub"], "email": who.email, "email_verified": who.verified})
}

// logout is the end-session endpoint. The provider keeps no session, so it
// only sends the browser back to an allowed post_logout_redirect_uri (with
// state), or shows that the person is signed out.
func (p *Provider) logout(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		p.page(w, http.StatusBadRequest, pageData{Problem: "The request could not be read: " + err.Error()})
		return
	}
	back := r.Form.Get("post_logout_redirect_uri")
	if back == "" {
		p.page(w, http.StatusOK, pageData{Message: "You are signed out of the local provider."})
		return
	}
	if cid := r.Form.Get("client_id"); cid != "" && cid != p.cfg.ClientID {
		p.page(w, http.StatusBadRequest, pageData{Problem: "The client_id " + cid + " is unknown."})
		return
	}
	if !slices.Contains(p.cfg.PostLogoutRedirectURIs, back) {
		p.page(w, http.StatusBadRequest, pageData{Problem: "The post_logout_redirect_uri " + back + " is not allowed. Allowed: " +
			strings.Join(p.cfg.PostLogoutRedirectURIs, ", ") + "."})
		return
	}
	w.Header().Set("Cache-Control", "no-store")
	http.Redirect(w, r, withQuery(back, url.Values{"state": {r.Form.Get("state")}}), http.StatusFound)
}
