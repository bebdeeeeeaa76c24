package csvimport

import (
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/schoolroster/rosterimport/internal/roster"
)

// Email problems, in the words of docs/product.md.
const (
	msgEmailRequired = "Email is required"
	msgEmailFormat   = "Invalid email format"
	msgEmailSpaces   = "Email contains spaces"
	msgEmailLocal    = "Email cannot be delivered: use only unaccented letters, digits and . _ + - before the @"
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
//     hyphens, not starting or ending with a hyphen;
//   - no control characters anywhere, so nothing can reach a mail header.
//
// Then the address must be one Amazon SES can deliver, which takes only
// 7-bit ASCII addresses:
//   - the local part is ASCII (SMTPUTF8 local parts cannot be sent at all);
//   - the domain converts to ASCII by IDNA (UTS #46 lookup, the conversion
//     mail clients make), and the converted domain keeps the label (63),
//     domain (253) and address (254) limits;
//   - the top-level label is letters or an IDNA ("xn--") label, so an IP
//     address or a typo such as "school.0rg" is refused;
//   - special-use domains that never receive mail (RFC 2606, 6761, 6762,
//     7686, 8375, 9476 and ICANN's .internal) are refused, naming the domain.
func checkEmail(e string) string {
	if e == "" {
		return msgEmailRequired
	}
	if msg, ok := checkASCIIEmail(e); ok {
		return msg
	}
	return checkEmailGeneral(e)
}

// checkEmailGeneral is the rule for any address; checkASCIIEmail must agree
// with it wherever it answers (FuzzCheckEmail holds it to that).
func checkEmailGeneral(e string) string {
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
	if flagsOf(local)&fHigh != 0 {
		return msgEmailLocal
	}
	ascii, ok := roster.ASCIIDomain(domain)
	if !ok || len(local)+1+len(ascii) > 254 {
		return msgEmailFormat
	}
	return deliverableDomain(ascii)
}

// reservedTLDs are special-use top-level domains that never receive mail,
// with the message that names them.
var reservedTLDs = func() map[string]string {
	m := map[string]string{}
	for _, tld := range []string{
		"test", "example", "invalid", "localhost", // RFC 2606, RFC 6761
		"local",    // RFC 6762: multicast DNS
		"onion",    // RFC 7686
		"alt",      // RFC 9476
		"internal", // ICANN, for private networks
		"arpa",     // infrastructure, home.arpa (RFC 8375) among it
	} {
		m[tld] = reservedMessage("." + tld)
	}
	return m
}()

// reservedSLDs are the second-level example domains of RFC 2606.
var reservedSLDs = map[string]string{
	"example.com": reservedMessage("example.com"),
	"example.net": reservedMessage("example.net"),
	"example.org": reservedMessage("example.org"),
}

func reservedMessage(domain string) string {
	return "Email domain " + domain + " is reserved and never receives mail"
}

// deliverableDomain checks the top-level label and the special-use names of
// an ASCII domain with at least two labels, and returns "" or the message.
func deliverableDomain(d string) string {
	dot := strings.LastIndexByte(d, '.')
	tld := d[dot+1:]
	if !strings.HasPrefix(tld, "xn--") && !allLetters(tld) {
		return msgEmailFormat
	}
	if msg, ok := reservedTLDs[tld]; ok {
		return msg
	}
	if len(tld) == 3 {
		sld := d[strings.LastIndexByte(d[:dot], '.')+1:]
		if msg, ok := reservedSLDs[sld]; ok {
			return msg
		}
	}
	return ""
}

func allLetters(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < 'a' || s[i] > 'z' {
			return false
		}
	}
	return s != ""
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
	return byteFlags[c]&(fAtext|fAlnum|fUpper|fHyphen) != 0
}

func validDomain(s string) bool {
	if len(s) == 0 {
		return false
	}
	labels := strings.Split(s, ".")
	if len(labels) < 2 {
		return false
	}
	for _, l := range labels {
		// Length limits hold for the ASCII form, checked after IDNA.
		if len(l) == 0 || l[0] == '-' || l[len(l)-1] == '-' {
			return false
		}
		for _, r := range l {
			if !(r == '-' || unicode.IsLetter(r) || unicode.IsDigit(r) || unicode.Is(unicode.Mn, r) || unicode.Is(unicode.Mc, r)) {
				return false
			}
		}
	}
	return true
}

// Byte flags of the ASCII fast path: a scan ORs them over a string, without
// branching per byte, and the result says what the string contains.
const (
	fAlnum  = 1 << iota // lower-case letter or digit
	fDigit              // digit
	fUpper              // upper-case letter: normalise first
	fHigh               // not ASCII: use the general rule
	fSpace              // white space
	fAtext              // allowed in the local part only
	fHyphen             // allowed in both parts
	fDot
	fAt
	fOther // allowed nowhere
	fCtl   // a control character (for names)
	// fOdd marks the lead bytes of every non-ASCII space, control character
	// and the BOM (C2: U+0080-U+00A0, E1: U+1680, E2: U+2000-U+205F, E3:
	// U+3000, EF: U+FEFF), so other non-ASCII text needs no decoding.
	fOdd
)

var byteFlags = func() (t [256]uint16) {
	for c := 0; c < 256; c++ {
		switch {
		case c == 0xC2 || c == 0xE1 || c == 0xE2 || c == 0xE3 || c == 0xEF:
			t[c] = fHigh | fOdd
		case c >= utf8.RuneSelf:
			t[c] = fHigh
		case '0' <= c && c <= '9':
			t[c] = fAlnum | fDigit
		case 'a' <= c && c <= 'z':
			t[c] = fAlnum
		case 'A' <= c && c <= 'Z':
			t[c] = fUpper
		case c == '-':
			t[c] = fHyphen
		case c == '.':
			t[c] = fDot
		case c == '@':
			t[c] = fAt
		case c == ' ':
			t[c] = fSpace
		case c == '\t', c == '\n', c == '\v', c == '\f', c == '\r':
			t[c] = fSpace | fCtl
		case c < 0x20 || c == 0x7f:
			t[c] = fOther | fCtl
		case strings.IndexByte("!#$%&'*+/=?^_`{|}~", byte(c)) >= 0:
			t[c] = fAtext
		default:
			t[c] = fOther
		}
	}
	return t
}()

// flagsOf ORs the byte flags of s, four independent lanes at a time.
func flagsOf(s string) uint16 {
	var f0, f1, f2, f3 uint16
	for len(s) >= 4 {
		f0 |= byteFlags[s[3]]
		f1 |= byteFlags[s[2]]
		f2 |= byteFlags[s[1]]
		f3 |= byteFlags[s[0]]
		s = s[4:]
	}
	for i := 0; i < len(s); i++ {
		f0 |= byteFlags[s[i]]
	}
	return f0 | f1 | f2 | f3
}

// normalizeEmail is roster.NormalizeEmail (trimmed, lower-cased) without
// allocating for an address that is already lower-case ASCII.
func normalizeEmail(s string) string {
	e, _ := normalizeEmailFlags(s)
	return e
}

// normalizeEmailFlags is normalizeEmail that also returns the byte flags of
// the result, so checking it needs no second pass.
func normalizeEmailFlags(s string) (string, uint16) {
	s = strings.TrimSpace(s)
	f := flagsOf(s)
	if f&(fUpper|fHigh) != 0 {
		s = strings.ToLower(s)
		f = flagsOf(s)
	}
	return s, f
}

// checkEmailFlags is checkEmail for e with its byte flags already known.
func checkEmailFlags(e string, flags uint16) string {
	if e == "" {
		return msgEmailRequired
	}
	if msg, ok := checkASCIIEmailFlags(e, flags); ok {
		return msg
	}
	return checkEmailGeneral(e)
}

// checkASCIIEmail is checkEmail for the common all-ASCII lower-case address,
// without allocating; ok is false when e needs the general rule.
func checkASCIIEmail(e string) (msg string, ok bool) {
	return checkASCIIEmailFlags(e, flagsOf(e))
}

func checkASCIIEmailFlags(e string, all uint16) (msg string, ok bool) {
	switch {
	case all&(fHigh|fUpper) != 0 || len(e) > 254:
		return "", false
	case all&fSpace != 0:
		return msgEmailSpaces, true
	case all&fOther != 0:
		return msgEmailFormat, true
	}
	at := strings.IndexByte(e, '@')
	if at < 1 || at > 64 || at != strings.LastIndexByte(e, '@') {
		return msgEmailFormat, true
	}
	local, domain := e[:at], e[at+1:]
	if strings.Contains(domain, "xn--") {
		return "", false // IDNA labels: the general rule validates them
	}
	if local[0] == '.' || local[len(local)-1] == '.' || strings.Contains(local, "..") {
		return msgEmailFormat, true
	}
	if len(domain) == 0 || len(domain) > 253 || all&fAtext != 0 && flagsOf(domain)&fAtext != 0 {
		return msgEmailFormat, true
	}
	labels := 0
	for {
		j := strings.IndexByte(domain, '.')
		label := domain
		if j >= 0 {
			label = domain[:j]
		}
		if len(label) == 0 || len(label) > 63 || label[0] == '-' || label[len(label)-1] == '-' {
			return msgEmailFormat, true
		}
		labels++
		if j < 0 {
			if labels < 2 {
				return msgEmailFormat, true
			}
			return deliverableDomain(e[at+1:]), true
		}
		domain = domain[j+1:]
	}
}
