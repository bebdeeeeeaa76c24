package csvimport

import (
	"fmt"
	"strings"
	"testing"
	"unicode/utf8"
)

// TestPreviewIsBounded: a file can make the preview hold only so much (it is
// kept on the import item, which DynamoDB limits to 400 KB): long values are
// shortened and error texts past the 50th distinct one are counted together.
func TestPreviewIsBounded(t *testing.T) {
	var b strings.Builder
	b.WriteString("email,first_name,group\n")
	for i := 0; i < 300; i++ {
		fmt.Fprintf(&b, "p%03d@hill.school,%s,G%03d%s\n", i, strings.Repeat("N", 900), i, strings.Repeat("G", 900))
	}
	sum, sink := validate(t, KindUsers, b.String(), nil)
	if sum.Invalid != 300 || len(sum.ErrorCounts) != maxErrorKinds+1 || sum.ErrorCounts[otherErrorsKind] != 300-maxErrorKinds {
		t.Fatalf("%d invalid, %d error kinds, other %d", sum.Invalid, len(sum.ErrorCounts), sum.ErrorCounts[otherErrorsKind])
	}
	size := 0
	for k := range sum.ErrorCounts {
		size += len(k)
		if utf8.RuneCountInString(k) > maxShownChars {
			t.Errorf("error kind of %d characters", utf8.RuneCountInString(k))
		}
	}
	for _, r := range sum.Preview {
		size += len(r.Error) + len(r.Email) + len(r.FirstName) + len(r.Group)
		if utf8.RuneCountInString(r.FirstName) > maxShownChars || utf8.RuneCountInString(r.Error) > maxShownChars || !strings.HasSuffix(r.Error, "…") {
			t.Errorf("preview row %d keeps %d/%d characters: %.40q", r.Row, utf8.RuneCountInString(r.FirstName), utf8.RuneCountInString(r.Error), r.Error)
		}
	}
	if size > 100_000 {
		t.Errorf("the preview holds %d bytes", size)
	}
	// The rows themselves (the rows and error files) keep every character.
	if got := sink.rows[0]; len(got.FirstName) != 900 || !strings.HasPrefix(got.Error, "Unknown group: G000GGG") || len(got.Error) < 900 {
		t.Errorf("row 2 as sent to the sinks was shortened: %d, %d", len(got.FirstName), len(got.Error))
	}
}
