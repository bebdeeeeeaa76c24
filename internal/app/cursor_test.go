package app

import (
	"strings"
	"testing"

	"github.com/schoolroster/rosterimport/internal/roster"
)

func TestCursorSigner(t *testing.T) {
	var c, other CursorSigner
	if err := c.UnmarshalText([]byte(strings.Repeat("k", 32))); err != nil {
		t.Fatal(err)
	}
	_ = other.UnmarshalText([]byte(strings.Repeat("o", 32)))
	if err := c.UnmarshalText([]byte("short")); err == nil {
		t.Error("a short secret was taken")
	}
	_ = c.UnmarshalText([]byte(strings.Repeat("k", 32)))
	cur := c.Sign("demo|q=zo", "brown#zoe#zoe@x")
	if got, err := c.Open("demo|q=zo", cur); err != nil || got != "brown#zoe#zoe@x" {
		t.Fatalf("Open = %q, %v", got, err)
	}
	enc, sig, _ := strings.Cut(cur, ".")
	for name, bad := range map[string]string{
		"another school":    "",
		"tampered position": "YnJvd24jeg." + sig,
		"tampered mac":      enc + ".AAAAAAAAAAAAAAAAAAAAAA",
		"not a cursor":      "hello",
		"another key":       other.Sign("demo|q=zo", "brown#zoe#zoe@x"),
		"empty":             "",
	} {
		scope := "demo|q=zo"
		if name == "another school" {
			scope, bad = "hill|q=zo", cur
		}
		if _, err := c.Open(scope, bad); roster.ErrorCode(err) != roster.EINVALID {
			t.Errorf("%s: Open = %v, want invalid", name, err)
		}
	}
}
