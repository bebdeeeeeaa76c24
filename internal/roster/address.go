package roster

import (
	"strings"

	"golang.org/x/net/idna"
)

// ASCIIDomain converts the domain of an address to the form Amazon SES sends
// to, which takes only 7-bit ASCII: IDNA lookup (UTS #46, the conversion mail
// clients make) to punycode labels, with the label (63 bytes) and domain (253
// bytes) limits checked on the result. ok is false when it cannot be
// converted or breaks a limit; an ASCII domain without IDNA labels is
// returned as it is.
func ASCIIDomain(domain string) (ascii string, ok bool) {
	ascii = domain
	if !isASCII(domain) || strings.Contains(domain, "xn--") {
		var err error
		if ascii, err = idna.Lookup.ToASCII(domain); err != nil {
			return "", false
		}
	}
	if len(ascii) > 253 {
		return "", false
	}
	for l := range strings.SplitSeq(ascii, ".") {
		if len(l) == 0 || len(l) > 63 {
			return "", false
		}
	}
	return ascii, true
}

// ASCIIAddress is the address as SES takes it: the domain through
// ASCIIDomain. ok is false for a non-ASCII local part or a domain that does
// not convert; the email rule of the import lets no such address through.
func ASCIIAddress(email string) (string, bool) {
	at := strings.LastIndexByte(email, '@')
	if at < 0 || !isASCII(email[:at]) {
		return "", false
	}
	d, ok := ASCIIDomain(email[at+1:])
	if !ok {
		return "", false
	}
	return email[:at+1] + d, true
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return false
		}
	}
	return true
}
