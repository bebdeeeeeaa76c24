package csvimport

import (
	"fmt"
	"unicode/utf8"
)

// The rules of a users row, for one person an administrator types in (invite
// one, change names): the same normalisation and messages as a CSV row.

// CheckEmail normalises an address (trimmed, lower-cased) and returns it
// with "" or the row error it would get: "Email is required", "Invalid
// email format" or "Email contains spaces".
func CheckEmail(s string) (email, problem string) {
	e := normalizeEmail(s)
	return e, checkEmail(e)
}

// CleanName trims a name, folds white space and drops control characters,
// as a CSV cell is cleaned. It returns "" and the row error when the name is
// longer than limits allow.
func CleanName(field, s string) (name, problem string) {
	name = cleanText(s)
	if max := DefaultLimits().MaxCellChars; utf8.RuneCountInString(name) > max {
		return "", fmt.Sprintf("%s is longer than %s characters", field, Thousands(max))
	}
	return name, ""
}
