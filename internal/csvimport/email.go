package csvimport

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// Email problems, in the words of spec.md.
const (
	msgEmailRequired = "Email is required"
	msgEmailFormat   = "Invalid email format"
	msgEmailSpaces   = "Email contains spaces"
)

// checkEmail applies the service's email rule to an already trimmed,
// lower-cased address and returns "" or the spec's message.
//
// The rule is a practical subset of RFC 5321/5322 and RFC 6531, the addresses
// mail providers actually issue, so a typo is caught here rather than as a
// bounce later:
//   - spaces (any white space) inside the address: "Email contains spaces",
//     checked first because it is the likeliest typo and the clearest message;
//   - exactly one @, a local part of 1-64 bytes and a domain of 1-253 bytes,
//     254 bytes in all (the SMTP path limit);
//   - the local part is dot-atoms: letters (any script, for SMTPUTF8), digits
//     and !#$%&'*+/=?^_`{|}~- with single dots between them, not at either
//     end; quoted local parts ("john doe"@x) are refused though RFC-valid,
//     because no school system issues them;
//   - the domain has at least two labels, each 1-63 bytes of letters (any
//     script, so IDN domains such as école.fr are accepted), digits and
//     hyphens, not starting or ending with a hyphen; the last label is not
//     all digits (an IP address is not a mail domain here);
//   - no control characters anywhere, so nothing can reach a mail header.
func checkEmail(e string) string {
	if e == "" {
		return msgEmailRequired
	}
	if strings.IndexFunc(e, unicode.IsSpace) >= 0 {
		return msgEmailSpaces
	}
	if len(e) > 254 || !utf8.ValidString(e) {
		return msgEmailFormat
	}
	at := strings.IndexByte(e, '@')
	if at < 0 || strings.IndexByte(e[at+1:], '@') >= 0 {
		return msgEmailFormat
	}
	local, domain := e[:at], e[at+1:]
	if !validLocal(local) || !validDomain(domain) {
		return msgEmailFormat
	}
	return ""
}

func validLocal(s string) bool {
	if len(s) == 0 || len(s) > 64 || s[0] == '.' || s[len(s)-1] == '.' || strings.Contains(s, "..") {
		return false
	}
	for _, r := range s {
		switch {
		case r < utf8.RuneSelf:
			if !isAtext(byte(r)) && r != '.' {
				return false
			}
		case unicode.IsControl(r) || !unicode.IsGraphic(r):
			return false
		}
	}
	return true
}

func isAtext(c byte) bool {
	switch {
	case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
		return true
	}
	return strings.IndexByte("!#$%&'*+/=?^_`{|}~-", c) >= 0
}

func validDomain(s string) bool {
	if len(s) == 0 || len(s) > 253 {
		return false
	}
	labels := strings.Split(s, ".")
	if len(labels) < 2 {
		return false
	}
	for _, l := range labels {
		if len(l) == 0 || len(l) > 63 || l[0] == '-' || l[len(l)-1] == '-' {
			return false
		}
		for _, r := range l {
			if !(r == '-' || unicode.IsLetter(r) || unicode.IsDigit(r) || unicode.Is(unicode.Mn, r) || unicode.Is(unicode.Mc, r)) {
				return false
			}
		}
	}
	tld := labels[len(labels)-1]
	return strings.TrimFunc(tld, unicode.IsDigit) != ""
}
