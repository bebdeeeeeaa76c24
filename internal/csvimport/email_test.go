package csvimport

import (
	"strings"
	"testing"
)

func TestCheckEmail(t *testing.T) {
	tests := []struct {
		email string
		want  string
	}{
		{"ann@school.org", ""},
		{"ann.lee+year7@school.org.uk", ""},
		{"o'neill@school.ie", ""},
		{"a_b-c!#$%&*/=?^`{|}~@x.io", ""},
		{"zoe@école.fr", ""},
		{"user@xn--cole-9oa.fr", ""},
		{"user@bücher.xn--p1ai", ""},
		{"user@例え.jp", ""},
		// SES sends 7-bit ASCII only: a non-ASCII local part cannot be sent.
		{"zoë@école.fr", msgEmailLocal},
		{"josé@school.org", msgEmailLocal},
		{"用户@例子.cn", msgEmailLocal},
		// IDNA: invalid punycode, and labels too long once converted.
		{"user@xn--zz.fr", msgEmailFormat},
		{"user@xn--.fr", msgEmailFormat},
		{"user@é" + strings.Repeat("ab", 35) + ".fr", msgEmailFormat},
		{"user@é" + strings.Repeat("ab", 20) + ".fr", ""},
		{"user@" + strings.Repeat("é", 40) + ".fr", ""}, // 80 bytes of UTF-8, 52 once converted
		// Top-level labels are letters or IDNA labels.
		{"ann@school.0rg", msgEmailFormat},
		{"ann@school.o-rg", msgEmailFormat},
		{"ann@school.xn--p1ai", ""},
		// Special-use domains never receive mail.
		{"ann@school.test", `Email domain .test is reserved and never receives mail`},
		{"ann@test", msgEmailFormat},
		{"ann@printer.local", `Email domain .local is reserved and never receives mail`},
		{"ann@x.localhost", `Email domain .localhost is reserved and never receives mail`},
		{"ann@x.invalid", `Email domain .invalid is reserved and never receives mail`},
		{"ann@hidden.onion", `Email domain .onion is reserved and never receives mail`},
		{"ann@router.home.arpa", `Email domain .arpa is reserved and never receives mail`},
		{"ann@x.alt", `Email domain .alt is reserved and never receives mail`},
		{"ann@corp.internal", `Email domain .internal is reserved and never receives mail`},
		{"ann@x.example", `Email domain .example is reserved and never receives mail`},
		{"ann@example.com", `Email domain example.com is reserved and never receives mail`},
		{"ann@mail.example.org", `Email domain example.org is reserved and never receives mail`},
		{"ann@example.net", `Email domain example.net is reserved and never receives mail`},
		{"ann@myexample.com", ""},
		{"ann@example.co.uk", ""},
		{"user@sub-domain.school.org", ""},
		{"", msgEmailRequired},
		{"ann lee@school.org", msgEmailSpaces},
		{"ann@school .org", msgEmailSpaces},
		{"ann\t@school.org", msgEmailSpaces},
		{"ann @@school.org", msgEmailSpaces}, // spaces win over format
		{"ann@", msgEmailFormat},
		{"ann", msgEmailFormat},
		{"@school.org", msgEmailFormat},
		{"ann@@school.org", msgEmailFormat},
		{"ann@bob@school.org", msgEmailFormat},
		{"ann@school", msgEmailFormat},
		{"ann@.school.org", msgEmailFormat},
		{"ann@school..org", msgEmailFormat},
		{"ann@school.org.", msgEmailFormat},
		{"ann@-school.org", msgEmailFormat},
		{"ann@school-.org", msgEmailFormat},
		{"ann@school.123", msgEmailFormat},
		{"ann@192.168.0.1", msgEmailFormat},
		{".ann@school.org", msgEmailFormat},
		{"ann.@school.org", msgEmailFormat},
		{"an..n@school.org", msgEmailFormat},
		{`"ann lee"@school.org`, msgEmailSpaces},
		{`"ann"@school.org`, msgEmailFormat},
		{"ann<x>@school.org", msgEmailFormat},
		{"ann,bob@school.org", msgEmailFormat},
		{"ann@scho_ol.org", msgEmailFormat},
		{"ann\x00@school.org", msgEmailFormat},
		{strings.Repeat("a", 65) + "@school.org", msgEmailFormat},
		{strings.Repeat("a", 64) + "@school.org", ""},
		{"a@" + strings.Repeat("b", 64) + ".org", msgEmailFormat},
		{"a@" + strings.Repeat("b.", 130) + "org", msgEmailFormat},
	}
	for _, tt := range tests {
		if got := checkEmail(tt.email); got != tt.want {
			t.Errorf("checkEmail(%q) = %q, want %q", tt.email, got, tt.want)
		}
	}
}

// FuzzCheckEmail holds the ASCII fast path to the general rule.
func FuzzCheckEmail(f *testing.F) {
	for _, s := range []string{"ann@school.org", "a@b", "a..b@c.d", "a@-b.c", "a@b.c-", "a@1.2", "x@y.z1", "a@b.test", "a@example.com", "a@xn--cole-9oa.fr", "a@b.c0m", ".a@b.co",
		"a.@b.co", "a@b..co", "a@@b.co", "a b@c.co", "a@b.co.", "a@.b.co", "@b.co", "a@", "a-b_c@d-e.f0", "a@b.c.d.e"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, e string) {
		if fast, ok := checkASCIIEmail(e); ok && e != "" {
			if general := checkEmailGeneral(e); fast != general {
				t.Fatalf("checkASCIIEmail(%q) = %q, general rule says %q", e, fast, general)
			}
		}
		if n := normalizeEmail(e); n != strings.ToLower(strings.TrimSpace(e)) {
			t.Fatalf("normalizeEmail(%q) = %q", e, n)
		}
	})
}
