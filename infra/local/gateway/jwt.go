package gateway

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// LocalAudience is the client id of the local identity provider's one
// client (the console), and so the audience of its ID tokens: the stack
// passes it to template.yaml as JwtAudience. The issuer is the provider's
// URL (infra/local/oidc), which has a port of its own.
const LocalAudience = "roster-local"

// Signer holds the local identity provider's key: it mints RS256 tokens with
// its issuer and publishes the public key as a JWKS, as Cognito or Auth0
// would. The OpenID Connect provider (infra/local/oidc) signs with it too.
type Signer struct {
	key    *rsa.PrivateKey
	kid    string
	issuer string
	now    func() time.Time
}

// LoadOrCreateSigner reads the signing key from path, creating it if absent,
// so tokens minted by `stack token` work against a running `make run`.
// An empty path gives a fresh in-memory key. issuer is the iss of the
// tokens Mint makes: the local provider's URL.
// Errors: the key file cannot be read, parsed or written.
func LoadOrCreateSigner(path, issuer string) (*Signer, error) {
	if path != "" {
		if b, err := os.ReadFile(path); err == nil {
			blk, _ := pem.Decode(b)
			if blk == nil {
				return nil, fmt.Errorf("%s: not a PEM file", path)
			}
			k, err := x509.ParsePKCS1PrivateKey(blk.Bytes)
			if err != nil {
				return nil, fmt.Errorf("%s: %w", path, err)
			}
			return newSigner(k, issuer), nil
		}
	}
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return nil, err
	}
	if path != "" {
		if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
			return nil, err
		}
		pemBytes := pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(k)})
		if err := os.WriteFile(path, pemBytes, 0o600); err != nil {
			return nil, err
		}
	}
	return newSigner(k, issuer), nil
}

func newSigner(k *rsa.PrivateKey, issuer string) *Signer {
	sum := sha256.Sum256(k.PublicKey.N.Bytes())
	return &Signer{key: k, kid: hex.EncodeToString(sum[:8]), issuer: issuer, now: time.Now}
}

// Issuer is the iss of the tokens the signer mints.
func (s *Signer) Issuer() string { return s.issuer }

// Subject is the sub of every token of an address: "local|" and the address
// trimmed and lower-cased, the same whatever its case (as an identity
// provider's account id is).
func Subject(email string) string { return "local|" + strings.ToLower(strings.TrimSpace(email)) }

// IDTokenClaims are the claims of an ID token for email, valid for ttl from
// now: the signer's issuer, the local audience, Subject(email), email and
// email_verified.
func (s *Signer) IDTokenClaims(email string, verified bool, ttl time.Duration) jwt.MapClaims {
	now := s.now()
	return jwt.MapClaims{
		"sub": Subject(email), "email": email, "email_verified": verified,
		"iss": s.issuer, "aud": LocalAudience,
		"iat": now.Unix(), "nbf": now.Unix(), "exp": now.Add(ttl).Unix(),
	}
}

// Mint returns an ID token for email, valid for ttl, with the signer's
// issuer and the local audience, and a verified email.
func (s *Signer) Mint(email string, ttl time.Duration) string {
	return s.MintClaims(s.IDTokenClaims(email, true, ttl))
}

// MintClaims signs arbitrary claims with the stack's key (tests use it for
// expired tokens, wrong issuers and audiences).
func (s *Signer) MintClaims(claims jwt.MapClaims) string {
	t := jwt.NewWithClaims(jwt.SigningMethodRS256, claims)
	t.Header["kid"] = s.kid
	signed, err := t.SignedString(s.key)
	if err != nil {
		panic(err) // only fails for a broken key, which newSigner never makes
	}
	return signed
}

// JWKS returns the public key set document.
func (s *Signer) JWKS() map[string]any {
	pub := s.key.PublicKey
	return map[string]any{"keys": []map[string]string{{
		"kty": "RSA", "use": "sig", "alg": "RS256", "kid": s.kid,
		"n": base64.RawURLEncoding.EncodeToString(pub.N.Bytes()),
		"e": base64.RawURLEncoding.EncodeToString(big.NewInt(int64(pub.E)).Bytes()),
	}}}
}

// keys are the public keys of the signer by key id, for an authorizer.
func (s *Signer) keys() map[string]*rsa.PublicKey {
	return map[string]*rsa.PublicKey{s.kid: &s.key.PublicKey}
}

// Authorizer checks tokens the way an HTTP API JWT authorizer does: RS256
// with the signer's key, the issuer, an expiry, and the audience (or
// client_id when there is no aud).
type Authorizer struct {
	issuer    string
	audiences []string
	keys      map[string]*rsa.PublicKey // by kid
}

// NewAuthorizer returns the authorizer of an API whose JwtConfiguration has
// issuer and audiences, for tokens signed by s.
func NewAuthorizer(issuer string, audiences []string, s *Signer) *Authorizer {
	return &Authorizer{issuer: issuer, audiences: audiences, keys: s.keys()}
}

// Authorize validates the token in an Authorization header value ("Bearer
// x", or the token alone) and returns its claims. Errors: the reason API
// Gateway puts in www-authenticate ("the token has expired", "the token has
// an invalid issuer", "the token does not have a valid audience", "the token
// is not valid"), or an empty message for no token.
func (a *Authorizer) Authorize(header string) (jwt.MapClaims, error) {
	tok := strings.TrimSpace(header)
	if len(tok) > 7 && strings.EqualFold(tok[:7], "bearer ") {
		tok = strings.TrimSpace(tok[7:])
	}
	if tok == "" {
		return nil, errors.New("")
	}
	claims := jwt.MapClaims{}
	_, err := jwt.ParseWithClaims(tok, claims, func(t *jwt.Token) (any, error) {
		kid, _ := t.Header["kid"].(string)
		if k, ok := a.keys[kid]; ok {
			return k, nil
		}
		return nil, errors.New("no key matches the token's kid")
	}, jwt.WithValidMethods([]string{"RS256"}), jwt.WithIssuer(a.issuer), jwt.WithExpirationRequired(), jwt.WithLeeway(0))
	switch {
	case errors.Is(err, jwt.ErrTokenExpired):
		return nil, errors.New("the token has expired")
	case errors.Is(err, jwt.ErrTokenInvalidIssuer):
		return nil, errors.New("the token has an invalid issuer")
	case err != nil:
		return nil, errors.New("the token is not valid")
	}
	// HTTP APIs accept a token whose aud, or else client_id, is an allowed audience.
	auds, _ := claims.GetAudience()
	if cid, ok := claims["client_id"].(string); ok && len(auds) == 0 {
		auds = jwt.ClaimStrings{cid}
	}
	for _, aud := range auds {
		if slices.Contains(a.audiences, aud) {
			return claims, nil
		}
	}
	return nil, errors.New("the token does not have a valid audience")
}
