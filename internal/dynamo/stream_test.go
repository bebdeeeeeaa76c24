package dynamo

import (
	"strings"
	"testing"

	"github.com/aws/aws-lambda-go/events"
)

func TestQueuedWork(t *testing.T) {
	s, n := events.NewStringAttribute, events.NewNumberAttribute
	imp := s("import")
	for _, tc := range []struct {
		name    string
		img     StreamImage
		want    Work
		wantErr bool
	}{
		{"import", StreamImage{"type": imp, "schoolId": s("demo"), "importId": s("I1"), "status": s("queued")}, Work{WorkImport, "demo", "I1"}, false},
		{"send job", StreamImage{"type": s("sendjob"), "schoolId": s("demo"), "jobId": s("J1")}, Work{WorkSendJob, "demo", "J1"}, false},
		{"no import id", StreamImage{"type": imp, "schoolId": s("demo")}, Work{}, true},
		{"wrong attribute type", StreamImage{"type": imp, "schoolId": events.NewBooleanAttribute(true), "importId": s("I1")}, Work{}, true},
		{"number id", StreamImage{"type": imp, "schoolId": n("7"), "importId": s("I1")}, Work{WorkImport, "7", "I1"}, false},
		{"a user", StreamImage{"type": s("user"), "schoolId": s("demo"), "email": s("a@b.school")}, Work{}, true},
		{"empty", nil, Work{}, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := QueuedWork(tc.img)
			if (err != nil) != tc.wantErr || got != tc.want {
				t.Errorf("QueuedWork = %+v, %v; want %+v, error %v", got, err, tc.want, tc.wantErr)
			}
		})
	}
}

func TestChangedUser(t *testing.T) {
	s, n := events.NewStringAttribute, events.NewNumberAttribute
	user := StreamImage{
		"type": s("user"), "schoolId": s("demo"), "email": s("zoe@demo.school"), "firstName": s("Zoë"), "status": s("invited"),
		"groups": events.NewListAttribute([]events.DynamoDBAttributeValue{s("students"), s("clubs")}), "version": n("3"),
		"invitedAt": s("2026-09-01T08:00:00Z"), "GSI1PK": s("TOKEN#abc"),
	}
	before, after, err := ChangedUser(nil, user)
	if err != nil || before != nil || after == nil {
		t.Fatalf("insert = %v, %v, %v", before, after, err)
	}
	if after.Email != "zoe@demo.school" || after.FirstName != "Zoë" || len(after.Groups) != 2 || after.Groups[1] != "clubs" ||
		after.Version != 3 || after.TokenHash != "abc" || after.InvitedAt.Year() != 2026 {
		t.Errorf("decoded user = %+v", after)
	}
	if before, after, err = ChangedUser(user, nil); err != nil || before == nil || after != nil {
		t.Errorf("delete = %v, %v, %v", before, after, err)
	}
	if _, _, err = ChangedUser(StreamImage{"type": s("user")}, nil); err == nil {
		t.Error("a user image without school or email decoded")
	}
	if _, _, err = ChangedUser(nil, StreamImage{"schoolId": s("demo"), "email": s("x@y.school"), "version": s("three")}); err == nil {
		t.Error("a user image with a bad version decoded")
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
		{"bad send count", StreamImage{"schoolId": s("demo"), "email": s("a@b.school"), "sendCount": s("two")}, "", 0, "sendCount"},
		{"no send count", StreamImage{"schoolId": s("demo"), "email": s("a@b.school")}, "", 0, "sendCount"},
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

func TestMailWakeOf(t *testing.T) {
	s, n := events.NewStringAttribute, events.NewNumberAttribute
	for _, tc := range []struct {
		name    string
		img     StreamImage
		want    MailWake
		wantErr bool
	}{
		{"queued mail", StreamImage{"type": s("user"), "schoolId": s("demo"), "email": s("a@b.school"), "sendCount": n("2")},
			MailWake{SchoolID: "demo", Email: "a@b.school", SendCount: 2}, false},
		{"a school's turn", StreamImage{"type": s("mailturn"), "schoolId": s("demo"), "turn": n("7"), "open": events.NewBooleanAttribute(true)},
			MailWake{SchoolID: "demo", Turn: 7}, false},
		{"a turn without a number", StreamImage{"type": s("mailturn"), "schoolId": s("demo")}, MailWake{}, true},
		{"a turn without a school", StreamImage{"type": s("mailturn"), "turn": n("7")}, MailWake{}, true},
		{"a user without an email", StreamImage{"type": s("user"), "schoolId": s("demo"), "sendCount": n("1")}, MailWake{}, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := MailWakeOf(tc.img)
			if (err != nil) != tc.wantErr || (err == nil && got != tc.want) {
				t.Errorf("MailWakeOf = %+v, %v; want %+v, error %v", got, err, tc.want, tc.wantErr)
			}
		})
	}
}
