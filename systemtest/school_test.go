package systemtest

import (
	"encoding/json"
	"testing"
)

func TestGetSchoolOverHTTP(t *testing.T) {
	tests := []struct {
		name       string
		token      string
		wantStatus int
		wantCode   string
	}{
		{"owner", stack.Token("admin@demo.school"), 200, ""},
		{"owner, email claim in capitals", stack.Token("Admin@Demo.School"), 200, ""},
		{"another school's owner", stack.Token(otherOwner), 403, "forbidden"},
		{"a stranger", stack.Token("nobody@example.com"), 403, "forbidden"},
		{"no token", "", 401, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			status, body := call(t, "GET", "/schools/demo", tt.token, "")
			if status != tt.wantStatus {
				t.Fatalf("status = %d, want %d: %s", status, tt.wantStatus, body)
			}
			switch {
			case status == 200:
				var got struct {
					ID, Name string
					Groups   []struct {
						Name        string
						MemberCount int
					}
				}
				if err := json.Unmarshal(body, &got); err != nil {
					t.Fatal(err)
				}
				if got.ID != "demo" || got.Name != "Demo School" || len(got.Groups) != 3 {
					t.Errorf("got %+v", got)
				}
			case tt.wantCode != "":
				var e struct {
					Error struct{ Code, Message string }
				}
				if err := json.Unmarshal(body, &e); err != nil || e.Error.Code != tt.wantCode || e.Error.Message == "" {
					t.Errorf("error body = %s", body)
				}
			}
		})
	}
	// The other school's owner does see their own school.
	if status, body := call(t, "GET", "/schools/other", stack.Token(otherOwner), ""); status != 200 {
		t.Errorf("other owner on their own school: %d %s", status, body)
	}
}
