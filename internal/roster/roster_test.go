package roster

import (
	"bytes"
	"crypto/rand"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"
)

func TestNewIDSortsByTime(t *testing.T) {
	base := time.Date(2026, 9, 1, 8, 0, 0, 0, time.UTC)
	var prev string
	for i := 0; i < 1000; i++ {
		id := NewID(base.Add(time.Duration(i)*time.Millisecond), rand.Reader)
		if len(id) != 26 || strings.Trim(id, crockford) != "" {
			t.Fatalf("id %q is not 26 Crockford base-32 characters", id)
		}
		if id <= prev {
			t.Fatalf("%q does not sort after %q", id, prev)
		}
		prev = id
	}
	// The same instant with other random bits: still distinct.
	a, b := NewID(base, rand.Reader), NewID(base, rand.Reader)
	if a == b || a[:10] != b[:10] {
		t.Errorf("ids of one instant: %q %q (want the same time prefix, different randomness)", a, b)
	}
	// A known value: all-zero randomness at the Unix epoch plus one millisecond.
	if got := NewID(time.UnixMilli(1), bytes.NewReader(make([]byte, 10))); got != "00000000010000000000000000" {
		t.Errorf("NewID(1ms, zeros) = %q", got)
	}
}

func TestInvitationTokens(t *testing.T) {
	tok, hash := NewInvitationToken()
	tok2, _ := NewInvitationToken()
	if len(tok) != 43 || tok == tok2 {
		t.Errorf("tokens %q %q: want 43 characters (256 bits) and fresh each time", tok, tok2)
	}
	if hash != HashToken(tok) || len(hash) != 64 || strings.Contains(hash, tok) {
		t.Errorf("hash %q", hash)
	}
}

func TestSealer(t *testing.T) {
	if _, err := NewSealer("short"); err == nil {
		t.Error("a short secret was accepted")
	}
	s, err := NewSealer(strings.Repeat("k", 40))
	if err != nil {
		t.Fatal(err)
	}
	sealed := s.Seal("the-token", "hill", "ann@hill.school")
	if strings.Contains(sealed, "the-token") || sealed == s.Seal("the-token", "hill", "ann@hill.school") {
		t.Errorf("sealed %q: want ciphertext, fresh each time", sealed)
	}
	tests := []struct {
		name, school, email string
		key                 *Sealer
		wantErr             bool
	}{
		{"same user", "hill", "ann@hill.school", s, false},
		{"another user", "hill", "bob@hill.school", s, true},
		{"another school", "dale", "ann@hill.school", s, true},
		{"another key", "hill", "ann@hill.school", mustSealer(t, strings.Repeat("j", 40)), true},
		// After a rotation, the old key is kept to open what it sealed.
		{"rotated, old key kept", "hill", "ann@hill.school", mustSealer(t, strings.Repeat("j", 40), strings.Repeat("k", 40)), false},
		{"rotated twice, old key gone", "hill", "ann@hill.school", mustSealer(t, strings.Repeat("i", 40), strings.Repeat("j", 40)), true},
	}
	for _, tt := range tests {
		got, err := tt.key.Open(sealed, tt.school, tt.email)
		if (err != nil) != tt.wantErr || (!tt.wantErr && got != "the-token") {
			t.Errorf("%s: Open = %q, %v", tt.name, got, err)
		}
	}
	if _, err := NewSealer(strings.Repeat("k", 40), "short"); err == nil {
		t.Error("a short older secret was accepted")
	}
	if got := mustSealer(t, strings.Repeat("j", 40), strings.Repeat("k", 40)).Seal("t", "hill", "ann@hill.school"); mustOpen(t, mustSealer(t, strings.Repeat("j", 40)), got) != "t" {
		t.Error("a rotated sealer does not seal with its current key")
	}
	if _, err := s.Open("not base64!", "hill", "ann@hill.school"); err == nil {
		t.Error("garbage opened")
	}
}

func mustSealer(t *testing.T, secret string, older ...string) *Sealer {
	t.Helper()
	s, err := NewSealer(secret, older...)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func mustOpen(t *testing.T, s *Sealer, sealed string) string {
	t.Helper()
	got, err := s.Open(sealed, "hill", "ann@hill.school")
	if err != nil {
		t.Fatal(err)
	}
	return got
}

func TestErrors(t *testing.T) {
	cause := errors.New("dynamodb: throttled on table X")
	tests := []struct {
		err         error
		wantCode    string
		wantMessage string
	}{
		{nil, "", "An internal error has occurred."},
		{Errorf(EFORBIDDEN, "No %s.", "entry"), EFORBIDDEN, "No entry."},
		{fmt.Errorf("wrapped: %w", Errorf(ENOTFOUND, "Gone.")), ENOTFOUND, "Gone."},
		{Internal(cause), EINTERNAL, "An internal error has occurred."},
		{cause, EINTERNAL, "An internal error has occurred."},
	}
	for _, tt := range tests {
		if got := ErrorCode(tt.err); got != tt.wantCode {
			t.Errorf("ErrorCode(%v) = %q, want %q", tt.err, got, tt.wantCode)
		}
		if tt.err != nil && ErrorMessage(tt.err) != tt.wantMessage {
			t.Errorf("ErrorMessage(%v) = %q, want %q", tt.err, ErrorMessage(tt.err), tt.wantMessage)
		}
	}
	if !errors.Is(Internal(cause), cause) {
		t.Error("Internal does not unwrap to its cause")
	}
}

func TestNormalizeEmail(t *testing.T) {
	for in, want := range map[string]string{" Ann@Hill.SCHOOL ": "ann@hill.school", "zoë@école.fr": "zoë@école.fr", "": ""} {
		if got := NormalizeEmail(in); got != want {
			t.Errorf("NormalizeEmail(%q) = %q, want %q", in, got, want)
		}
	}
}
