package dynamo

import (
	"strings"
	"testing"

	"github.com/aws/aws-lambda-go/events"
)

func TestQueuedImport(t *testing.T) {
	s, n := events.NewStringAttribute, events.NewNumberAttribute
	for _, tc := range []struct {
		name             string
		img              StreamImage
		school, importID string
		wantErr          bool
	}{
		{"import", StreamImage{"schoolId": s("demo"), "importId": s("I1"), "status": s("queued")}, "demo", "I1", false},
		{"no import id", StreamImage{"schoolId": s("demo")}, "", "", true},
		{"wrong type", StreamImage{"schoolId": events.NewBooleanAttribute(true), "importId": s("I1")}, "", "", true},
		{"number id", StreamImage{"schoolId": n("7"), "importId": s("I1")}, "7", "I1", false},
		{"empty", nil, "", "", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			school, id, err := QueuedImport(tc.img)
			if (err != nil) != tc.wantErr || school != tc.school || id != tc.importID {
				t.Errorf("QueuedImport = %q, %q, %v; want %q, %q, error %v", school, id, err, tc.school, tc.importID, tc.wantErr)
			}
		})
	}
}

func TestQueuedMail(t *testing.T) {
	s, n := events.NewStringAttribute, events.NewNumberAttribute
	for _, tc := range []struct {
		name    string
		img     StreamImage
		email   string
		count   int
		wantErr string
	}{
		{"queued", StreamImage{"schoolId": s("demo"), "email": s("zoe@demo.school"), "sendCount": n("2")}, "zoe@demo.school", 2, ""},
		{"no email", StreamImage{"schoolId": s("demo"), "sendCount": n("1")}, "", 0, "lacks"},
		{"bad send count", StreamImage{"schoolId": s("demo"), "email": s("a@b.test"), "sendCount": s("two")}, "", 0, "sendCount"},
		{"no send count", StreamImage{"schoolId": s("demo"), "email": s("a@b.test")}, "", 0, "sendCount"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, email, count, err := QueuedMail(tc.img)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("err = %v, want one saying %q", err, tc.wantErr)
				}
				return
			}
			if err != nil || email != tc.email || count != tc.count {
				t.Errorf("QueuedMail = %q, %d, %v; want %q, %d", email, count, err, tc.email, tc.count)
			}
		})
	}
}
