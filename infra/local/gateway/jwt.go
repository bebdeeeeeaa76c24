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

// The local identity provider: the issuer and audience the stack passes to
// template.yaml as JwtIssuer and JwtAudience.
const (
	LocalIssuer   = "https://auth.roster.localhost/"
	LocalAudience = "roster-local"
)

// Signer is the local stack's identity provider: it mints RS256 tokens and
// publishes the public key as a JWKS, as Cognito or Auth0 would.
type Signer struct {
	key *rsa.PrivateKey
	kid string
	now func() time.Time
}

// LoadOrCreateSigner reads the signing key from path, creating it if absent,
// so tokens minted by `stack token` work against a running `make run`.
// An empty path gives a fresh in-memory key.
func LoadOrCreateSigner(path string) (*Signer, error) {
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
			return newSigner(k), nil
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
	return newSigner(k), nil
}

func newSigner(k *rsa.PrivateKey) *Signer {
	sum := sha256.Sum256(k.PublicKey.N.Bytes())
	return &Signer{key: k, kid: hex.EncodeToString(sum[:8]), now: time.Now}
}

// Mint returns a token for email, valid for ttl, with the local issuer and
// audience: a verified email, and a sub that is the same for every token of
// that address (as an identity provider's account id is), whatever its case.
func (s *Signer) Mint(email string, ttl time.Duration) string {
	now := s.now()
	return s.MintClaims(jwt.MapClaims{
		"sub": "local|" + strings.ToLower(strings.TrimSpace(email)), "email": email, "email_verified": true,
		"iss": LocalIssuer, "aud": LocalAudience,
		"iat": now.Unix(), "nbf": now.Unix(), "exp": now.Add(ttl).Unix(),
	})
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

// jwtAuthorizer checks tokens the way an HTTP API JWT authorizer does.
type jwtAuthorizer struct {
	issuer    string
	audiences []string
	keys      map[string]*rsa.PublicKey // by kid
}

// authorize validates the token in an Authorization header value and returns
// its claims. The error text is what API Gateway puts in www-authenticate.
func (a *jwtAuthorizer) authorize(header string) (jwt.MapClaims, error) {
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
