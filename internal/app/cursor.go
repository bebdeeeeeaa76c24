package app

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"strings"

	"github.com/schoolroster/rosterimport/internal/roster"
)

// CursorSigner makes the users list's page cursors opaque to clients and
// integrity-protected: a cursor carries where the last page ended, with an
// HMAC over it and the list it belongs to (the school and the query), so a
// cursor that was altered or comes from another school or query is refused.
type CursorSigner struct{ key []byte }

// UnmarshalText derives the signing key from a secret (the function's
// TOKEN_SECRET), so a configuration can hold a CursorSigner.
// Errors: when the secret is shorter than 32 characters.
func (c *CursorSigner) UnmarshalText(secret []byte) error {
	if len(secret) < 32 {
		return errors.New("cursor signing secret must be at least 32 characters")
	}
	k := sha256.Sum256(append([]byte("users-list-cursor\x00"), secret...))
	c.key = k[:]
	return nil
}

// Sign returns the cursor for position in the list named by scope.
func (c *CursorSigner) Sign(scope, position string) string {
	return base64.RawURLEncoding.EncodeToString([]byte(position)) + "." + base64.RawURLEncoding.EncodeToString(c.mac(scope, position))
}

// Open returns the position a cursor holds, if it was signed for scope.
// Errors: EINVALID for any cursor this signer did not make for scope.
func (c *CursorSigner) Open(scope, cursor string) (string, error) {
	enc, sig, ok := strings.Cut(cursor, ".")
	pos, perr := base64.RawURLEncoding.DecodeString(enc)
	mac, merr := base64.RawURLEncoding.DecodeString(sig)
	if !ok || perr != nil || merr != nil || !hmac.Equal(mac, c.mac(scope, string(pos))) {
		return "", errBadCursor
	}
	return string(pos), nil
}

var errBadCursor = roster.Errorf(roster.EINVALID, "The cursor is not valid for this list. Start again from the first page.")

func (c *CursorSigner) mac(scope, position string) []byte {
	h := hmac.New(sha256.New, c.key)
	h.Write([]byte(scope))
	h.Write([]byte{0})
	h.Write([]byte(position))
	return h.Sum(nil)[:16]
}
