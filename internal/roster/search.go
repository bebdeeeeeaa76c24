package roster

import (
	"strings"
	"unicode"

	"golang.org/x/text/runes"
	"golang.org/x/text/transform"
	"golang.org/x/text/unicode/norm"
)

// Fold is the form names and queries are compared in: lower case, without
// accents, with apostrophes dropped and any other punctuation as a space, so
// that "Zoë" matches "zoe" and "O'Brien" matches "obrien".
func Fold(s string) string {
	t := transform.Chain(norm.NFD, runes.Remove(runes.In(unicode.Mn)), norm.NFC)
	folded, _, err := transform.String(t, s)
	if err != nil {
		folded = s
	}
	var b strings.Builder
	space := true // no leading space
	for _, r := range strings.ToLower(folded) {
		switch {
		case r == '\'' || r == '’' || r == 'ʼ':
			continue
		case r == 'ß':
			b.WriteString("ss")
			space = false
		case unicode.IsLetter(r) || unicode.IsDigit(r):
			b.WriteRune(r)
			space = false
		case !space:
			b.WriteByte(' ')
			space = true
		}
	}
	return strings.TrimRight(b.String(), " ")
}

// SearchWords are the words a user is found by: the words of the first
// and last names and of the email's local part, folded, and the whole email.
func SearchWords(firstName, lastName, email string) []string {
	local, _, _ := strings.Cut(email, "@")
	seen := map[string]bool{}
	var words []string
	for _, w := range strings.Fields(Fold(firstName) + " " + Fold(lastName) + " " + Fold(local)) {
		if !seen[w] {
			seen[w] = true
			words = append(words, w)
		}
	}
	if email != "" && !seen[email] {
		words = append(words, email)
	}
	return words
}

// SortKey orders users by last name, then first name, then email, without
// regard to case or accents.
func SortKey(firstName, lastName, email string) string {
	return Fold(lastName) + "#" + Fold(firstName) + "#" + email
}

// SearchQuery is a folded search: each word must start a word of the user.
type SearchQuery []string

// ParseSearch folds a search typed by an administrator into its words; an
// email typed whole is kept as one word.
func ParseSearch(q string) SearchQuery {
	q = strings.TrimSpace(q)
	if strings.Contains(q, "@") && !strings.ContainsAny(q, " \t") {
		return SearchQuery{strings.ToLower(q)}
	}
	return strings.Fields(Fold(q))
}

// Matches reports whether every word of the query starts one of words.
func (q SearchQuery) Matches(words []string) bool {
	for _, qw := range q {
		found := false
		for _, w := range words {
			if strings.HasPrefix(w, qw) {
				found = true
				break
			}
		}
		if !found {
			return false
		}
	}
	return true
}
