package csvimport

import (
	"strings"
	"testing"
)

func TestCheckEmailOfOnePerson(t *testing.T) {
	for _, tt := range []struct{ in, email, problem string }{
		{"  Zoe@Hill.SCHOOL ", "zoe@hill.school", ""},
		{"", "", "Email is required"},
		{"zoe@", "zoe@", "Invalid email format"},
		{"zoe brown@hill.school", "zoe brown@hill.school", "Email contains spaces"},
		{"a@b@hill.school", "a@b@hill.school", "Invalid email format"},
	} {
		email, problem := CheckEmail(tt.in)
		if email != tt.email || problem != tt.problem {
			t.Errorf("CheckEmail(%q) = %q, %q; want %q, %q", tt.in, email, problem, tt.email, tt.problem)
		}
	}
}

func TestCleanName(t *testing.T) {
	for _, tt := range []struct{ in, name, problem string }{
		{"  Zoë \n  Anne ", "Zoë Anne", ""},
		{"A\x00B", "AB", ""},
		{"'=SUM(A1)", "=SUM(A1)", ""},
		{strings.Repeat("x", 1001), "", "First name is longer than 1,000 characters"},
	} {
		name, problem := CleanName("First name", tt.in)
		if name != tt.name || problem != tt.problem {
			t.Errorf("CleanName(%q) = %q, %q; want %q, %q", tt.in, name, problem, tt.name, tt.problem)
		}
	}
}
