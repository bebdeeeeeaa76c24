package roster

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"
)

// NewInvitationToken returns a fresh 256-bit random token (URL-safe base64)
// and the hex SHA-256 hash that is all the table stores of it.
func NewInvitationToken() (token, hash string) {
	var b [32]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic(err) // crypto/rand never fails on supported platforms
	}
	token = base64.RawURLEncoding.EncodeToString(b[:])
	return token, HashToken(token)
}

// HashToken returns the hex SHA-256 of a token.
func HashToken(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:])
}

// Sealer encrypts invitation tokens for the mailer with AES-256-GCM, bound
// to the school and email they belong to. The table holds the sealed token
// only until the email is sent; the key lives outside the table.
//
// A Sealer seals with its current key and opens with the current or an
// older one, so a key rotation loses no queued invitation: tokens sealed
// before it still open while the previous key is kept.
type Sealer struct {
	aead  cipher.AEAD   // the current key's: seals and opens
	older []cipher.AEAD // previous keys': open only
}

// NewSealer derives the keys from secrets (SHA-256 of each): the current
// one, then any older ones still to be opened.
// Errors: when a secret is shorter than 32 characters.
func NewSealer(current string, older ...string) (*Sealer, error) {
	s := &Sealer{}
	if err := s.UnmarshalText([]byte(current)); err != nil {
		return nil, err
	}
	for _, o := range older {
		var old Sealer
		if err := old.UnmarshalText([]byte(o)); err != nil {
			return nil, fmt.Errorf("older key: %w", err)
		}
		s.older = append(s.older, old.aead)
	}
	return s, nil
}

// UnmarshalText sets the key from a secret, as NewSealer does, so that a
// function's configuration can hold a Sealer read from its environment.
// Errors: when the secret is shorter than 32 characters.
func (s *Sealer) UnmarshalText(secret []byte) error {
	if len(secret) < 32 {
		return errors.New("token sealing secret must be at least 32 characters")
	}
	key := sha256.Sum256(secret)
	block, err := aes.NewCipher(key[:])
	if err != nil {
		return err
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return err
	}
	s.aead = aead
	return nil
}

// Seal encrypts token for the user (schoolID, email).
func (s *Sealer) Seal(token, schoolID, email string) string {
	nonce := make([]byte, s.aead.NonceSize())
	if _, err := io.ReadFull(rand.Reader, nonce); err != nil {
		panic(err)
	}
	out := s.aead.Seal(nonce, nonce, []byte(token), []byte(schoolID+"\x00"+email))
	return base64.RawStdEncoding.EncodeToString(out)
}

// Open decrypts a sealed token of the user (schoolID, email).
// Errors: when it was not sealed for that user with one of the keys.
func (s *Sealer) Open(sealed, schoolID, email string) (string, error) {
	b, err := base64.RawStdEncoding.DecodeString(sealed)
	if err != nil || len(b) < s.aead.NonceSize() {
		return "", errors.New("sealed token is malformed")
	}
	n := s.aead.NonceSize()
	for _, aead := range append([]cipher.AEAD{s.aead}, s.older...) {
		if plain, err := aead.Open(nil, b[:n], b[n:], []byte(schoolID+"\x00"+email)); err == nil {
			return string(plain), nil
		}
	}
	return "", errors.New("sealed token does not open for this user with any key")
}

// crockford is the alphabet of import ids.
const crockford = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"

// NewID returns a 26-character id that sorts by time (a ULID: 48 bits of
// milliseconds, 80 random bits), so a school's imports list newest first.
func NewID(now time.Time, random io.Reader) string {
	var b [16]byte
	ms := uint64(now.UnixMilli())
	for i := 5; i >= 0; i-- {
		b[i] = byte(ms)
		ms >>= 8
	}
	if _, err := io.ReadFull(random, b[6:]); err != nil {
		panic(err)
	}
	// 128 bits as 26 base-32 digits, most significant first.
	var sb strings.Builder
	var acc uint32
	bitsIn := 2 // 130 bits of output: two leading zero bits
	for _, c := range b {
		acc = acc<<8 | uint32(c)
		bitsIn += 8
		for bitsIn >= 5 {
			bitsIn -= 5
			sb.WriteByte(crockford[(acc>>uint(bitsIn))&31])
		}
	}
	return sb.String()
}
