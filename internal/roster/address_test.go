package roster

import (
	"strings"
	"testing"
)

func TestASCIIAddress(t *testing.T) {
	tests := []struct {
		email, want string
		ok          bool
	}{
		{"ann@school.org", "ann@school.org", true},
		{"zoe@école.fr", "zoe@xn--cole-9oa.fr", true},
		{"user@bücher.de", "user@xn--bcher-kva.de", true},
		{"user@xn--cole-9oa.fr", "user@xn--cole-9oa.fr", true},
		{"zoë@école.fr", "", false},                              // non-ASCII local part: SES cannot send it
		{"user@xn--zz.fr", "", false},                            // not valid punycode
		{"user@é" + strings.Repeat("ab", 35) + ".fr", "", false}, // label over 63 bytes once converted
		{"no-at-sign", "", false},
	}
	for _, tt := range tests {
		got, ok := ASCIIAddress(tt.email)
		if got != tt.want || ok != tt.ok {
			t.Errorf("ASCIIAddress(%q) = %q, %v; want %q, %v", tt.email, got, ok, tt.want, tt.ok)
		}
	}
}
