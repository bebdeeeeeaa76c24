package dynamo_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/schoolroster/rosterimport/internal/roster"
)

func invitation(school, email, importID string) roster.Invitation {
	return roster.Invitation{SchoolID: school, Email: email, FirstName: "Ann", LastName: "Lee", Groups: []string{"students"},
		InvitedBy: "head@" + school + ".school", InvitedByImport: importID, TokenHash: "hash-" + email,
		SealedToken: "sealed", MailStatus: roster.MailQueued, InvitedAt: t0}
}

func TestCreateInvitation(t *testing.T) {
	ctx := context.Background()
	s := newStore(t)
	newSchool(t, s, "invites")
	created, _, err := s.CreateInvitation(ctx, invitation("invites", "ann@invites.school", "IMP1"))
	if err != nil || !created {
		t.Fatalf("first create = %v %v", created, err)
	}
	// The same email again, from a retry of the same import or another one.
	created, state, err := s.CreateInvitation(ctx, invitation("invites", "ann@invites.school", "IMP2"))
	if err != nil || created || state.Status != roster.StatusInvited || state.InvitedByImport != "IMP1" {
		t.Fatalf("second create = %v %+v %v, want the existing invitation of IMP1", created, state, err)
	}
	// An active member is reported as such.
	created, state, err = s.CreateInvitation(ctx, invitation("invites", "head@invites.school", "IMP1"))
	if err != nil || created || state.Status != roster.StatusActive {
		t.Fatalf("create over the owner = %v %+v %v", created, state, err)
	}

	// Only a removed user can be invited again.
	if ok, err := s.ReinviteRemoved(ctx, invitation("invites", "ann@invites.school", "IMP3")); err != nil || ok {
		t.Fatalf("reinvite an invited user = %v %v, want false", ok, err)
	}
	_, err = emulators.DynamoDB.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName: aws.String(emulators.Tables["RosterTable"]),
		Key: map[string]types.AttributeValue{
			"PK": &types.AttributeValueMemberS{Value: "SCHOOL#invites"}, "SK": &types.AttributeValueMemberS{Value: "USER#ann@invites.school"},
		},
		UpdateExpression:          aws.String("SET #s = :r"),
		ExpressionAttributeNames:  map[string]string{"#s": "status"},
		ExpressionAttributeValues: map[string]types.AttributeValue{":r": &types.AttributeValueMemberS{Value: "removed"}},
	})
	if err != nil {
		t.Fatal(err)
	}
	if ok, err := s.ReinviteRemoved(ctx, invitation("invites", "ann@invites.school", "IMP3")); err != nil || !ok {
		t.Fatalf("reinvite a removed user = %v %v, want true", ok, err)
	}
	states, err := s.MemberStates(ctx, "invites", []string{"ann@invites.school", "nobody@invites.school", "head@invites.school"}, true)
	if err != nil {
		t.Fatal(err)
	}
	if len(states) != 2 || states["ann@invites.school"].Status != roster.StatusInvited || states["ann@invites.school"].InvitedByImport != "IMP3" ||
		states["head@invites.school"].Status != roster.StatusActive {
		t.Errorf("states = %+v", states)
	}
}

func TestMemberStatesInBatches(t *testing.T) {
	ctx := context.Background()
	s := newStore(t)
	newSchool(t, s, "many")
	var emails []string
	for i := 0; i < 250; i++ {
		e := fmt.Sprintf("p%03d@many.school", i)
		emails = append(emails, e)
		if i%2 == 0 {
			if _, _, err := s.CreateInvitation(ctx, invitation("many", e, "IMP1")); err != nil {
				t.Fatal(err)
			}
		}
	}
	states, err := s.MemberStates(ctx, "many", append(emails, emails[:10]...), false) // duplicates asked twice
	if err != nil {
		t.Fatal(err)
	}
	if len(states) != 125 {
		t.Errorf("found %d users, want 125", len(states))
	}
}

func TestMarkSent(t *testing.T) {
	ctx := context.Background()
	s := newStore(t)
	newSchool(t, s, "mail")
	for _, e := range []string{"a@mail.school", "b@mail.school", "c@mail.school"} {
		if _, _, err := s.CreateInvitation(ctx, invitation("mail", e, "IMP1")); err != nil {
			t.Fatal(err)
		}
	}
	states, err := s.MailStates(ctx, "mail", []string{"a@mail.school", "b@mail.school"})
	if err != nil || states["a@mail.school"].MailStatus != roster.MailQueued || states["a@mail.school"].SendCount != 1 || states["a@mail.school"].SealedToken != "sealed" {
		t.Fatalf("mail states = %+v %v", states, err)
	}
	// Only claimed mail is marked sent.
	for _, e := range []string{"a@mail.school", "b@mail.school", "c@mail.school"} {
		if ok, err := s.ClaimMail(ctx, "mail", e, 1, t0.Add(time.Hour)); err != nil || !ok {
			t.Fatalf("claim %s = %v %v", e, ok, err)
		}
	}
	// b's send is stale (a resend made it send 2): the batch still marks a and c.
	sent := []roster.SentMail{
		{SchoolID: "mail", Email: "a@mail.school", SendCount: 1, MessageID: "m-a"},
		{SchoolID: "mail", Email: "b@mail.school", SendCount: 2, MessageID: "m-b"},
		{SchoolID: "mail", Email: "c@mail.school", SendCount: 1, MessageID: "m-c"},
	}
	if err := s.MarkSent(ctx, sent, t0); err != nil {
		t.Fatal(err)
	}
	states, err = s.MailStates(ctx, "mail", []string{"a@mail.school", "b@mail.school", "c@mail.school"})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]roster.MailStatus{"a@mail.school": roster.MailSent, "b@mail.school": roster.MailSending, "c@mail.school": roster.MailSent}
	for e, w := range want {
		if states[e].MailStatus != w {
			t.Errorf("%s mail status = %s, want %s", e, states[e].MailStatus, w)
		}
	}
	if states["a@mail.school"].SealedToken != "" {
		t.Error("the sealed token stayed after sending")
	}
	if err := s.MarkMailFailed(ctx, "mail", "b@mail.school", 1, "MESSAGE_REJECTED"); err != nil {
		t.Fatal(err)
	}
	states, _ = s.MailStates(ctx, "mail", []string{"b@mail.school"})
	if states["b@mail.school"].MailStatus != roster.MailFailed {
		t.Errorf("b = %+v, want failed", states["b@mail.school"])
	}
}
