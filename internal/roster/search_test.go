package roster

import (
	"reflect"
	"testing"
)

func TestFold(t *testing.T) {
	for _, tt := range []struct{ in, want string }{
		{"Zoë", "zoe"},
		{"  ZOË   Brown ", "zoe brown"},
		{"O'Brien", "obrien"},
		{"Smith-Jones", "smith jones"},
		{"Straße", "strasse"},
		{"Đorđe Ñúñez", "đorđe nunez"},
		{"McAllister", "mcallister"},
		{"李 小龍", "李 小龍"},
		{"", ""},
	} {
		if got := Fold(tt.in); got != tt.want {
			t.Errorf("Fold(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestSearchWords(t *testing.T) {
	got := SearchWords("Zoë Anne", "McAllister-Brown", "zoe.mca@hill.school")
	want := []string{"zoe", "anne", "mcallister", "brown", "mca", "zoe.mca@hill.school"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("SearchWords = %q, want %q", got, want)
	}
}

func TestSearchMatches(t *testing.T) {
	words := SearchWords("Zoë", "McAllister", "zoe.mca@hill.school")
	for _, tt := range []struct {
		q    string
		want bool
	}{
		{"zo", true},
		{"ZOË", true},
		{"mc", true},
		{"allister", false},
		{"zoe mc", true},
		{"zoe smith", false},
		{"zoe.mca@hill", true},
		{"Zoe.MCA@hill.school", true},
		{"hill", false},
		{"", true},
	} {
		if got := ParseSearch(tt.q).Matches(words); got != tt.want {
			t.Errorf("search %q matches = %v, want %v", tt.q, got, tt.want)
		}
	}
}

func TestSortKey(t *testing.T) {
	a, b := SortKey("Zoë", "Brown", "z@x"), SortKey("Adam", "Browne", "a@x")
	if !(a < b) {
		t.Errorf("Brown, Zoë should sort before Browne, Adam: %q vs %q", a, b)
	}
	if SortKey("zoe", "brown", "z@x") != SortKey("Zoë", "BROWN", "z@x") {
		t.Error("sort keys differ by case or accent")
	}
}
