package roster

import (
	"testing"
	"time"
)

func TestExportFileName(t *testing.T) {
	at := time.Date(2026, 9, 1, 23, 30, 0, 0, time.FixedZone("BST", 3600))
	for _, tt := range []struct{ id, name, want string }{
		{"hill", "Hill School", "users-hill-school-2026-09-01.csv"},
		{"stm", "St. Mary's C of E (Primary)", "users-st-marys-c-of-e-primary-2026-09-01.csv"},
		{"zoe", "École Zoë", "users-ecole-zoe-2026-09-01.csv"},
		{"demo", "", "users-demo-2026-09-01.csv"},
		{"x1", "日本語", "users-x1-2026-09-01.csv"},
		{"long", "A very long school name that goes on and on and on beyond sixty letters", "users-a-very-long-school-name-that-goes-on-and-on-and-on-beyond-2026-09-01.csv"},
	} {
		if got := ExportFileName(tt.id, tt.name, at); got != tt.want {
			t.Errorf("ExportFileName(%q, %q) = %q, want %q", tt.id, tt.name, got, tt.want)
		}
	}
}
