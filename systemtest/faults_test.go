package systemtest

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodbstreams"
	"github.com/aws/aws-sdk-go-v2/service/dynamodbstreams/types"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/schoolroster/rosterimport/internal/app"
	"github.com/schoolroster/rosterimport/internal/blobs"
	"github.com/schoolroster/rosterimport/internal/roster"
)

// usersFile makes a users CSV of n people at domain.
func usersFile(domain string, n int) []byte {
	var b strings.Builder
	b.WriteString("email,first_name,last_name,group\n")
	for i := 0; i < n; i++ {
		fmt.Fprintf(&b, "p%05d@%s,First%d,Last%d,%s\n", i, domain, i, i, []string{"Students", "Staff", "Parents"}[i%3])
	}
	return []byte(b.String())
}

func groupCounts(t *testing.T, tok, school string) map[string]int {
	t.Helper()
	var s struct{ Groups []roster.Group }
	apiJSON(t, "GET", "/schools/"+school, tok, nil, &s)
	out := map[string]int{}
	for _, g := range s.Groups {
		out[g.Name] = g.MemberCount
	}
	return out
}

// TestConfirmCrashHalfWay kills the confirm function part way through a
// large import; the stream redelivers the record and the import finishes
// with exact counts and one mail per invitation.
func TestConfirmCrashHalfWay(t *testing.T) {
	const n = 3000
	tok := seedSchool(t, "crash")
	id := uploadFile(t, tok, "crash", "big.csv", usersFile("crash.school", n))
	waitImport(t, tok, "crash", id, 60*time.Second, statusIs(roster.ImportReady))
	before := stack.Invocations("ConfirmFunction")
	apiJSON(t, "POST", "/schools/crash/imports/"+id+"/confirm", tok, nil, nil)

	ctx := context.Background()
	deadline := time.Now().Add(60 * time.Second)
	killedAt := -1
	for time.Now().Before(deadline) {
		imp, err := store().GetImport(ctx, "crash", id)
		if err != nil {
			t.Fatal(err)
		}
		if imp.Status == roster.ImportImporting && imp.Progress.Done >= 200 {
			if stack.Kill("ConfirmFunction") {
				killedAt = imp.Progress.Done
			}
			break
		}
		if finished(imp) {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	if killedAt < 0 || killedAt >= n {
		t.Fatalf("could not kill the confirm function part way (progress at kill: %d)", killedAt)
	}
	done := waitImport(t, tok, "crash", id, 120*time.Second, finished)
	if done.Status != roster.ImportCompleted || done.Results != (roster.ImportResults{Created: n}) || done.Progress.Done != n {
		t.Fatalf("after the crash (killed at %d): %s %+v progress %+v", killedAt, done.Status, done.Results, done.Progress)
	}
	if got := stack.Invocations("ConfirmFunction") - before; got < 2 {
		t.Errorf("confirm was invoked %d times; the crash should have caused a redelivery", got)
	}
	if g := groupCounts(t, tok, "crash"); g["Students"] != n/3 || g["Staff"] != n/3+1 || g["Parents"] != n/3 {
		t.Errorf("group counts %v, want %d each (+ the owner in Staff)", g, n/3)
	}
	mails := waitMails(t, "crash.school", n, 120*time.Second)
	for email, m := range mails {
		if len(m) != 1 {
			t.Fatalf("%s got %d mails", email, len(m))
		}
	}
	t.Logf("killed at %d/%d rows; %d confirm invocations", killedAt, n, stack.Invocations("ConfirmFunction")-before)
}

// queuedRecord finds the stream record that queued an import.
func queuedRecord(t *testing.T, school, id string) string {
	t.Helper()
	ctx := context.Background()
	streams, err := stack.Streams.ListStreams(ctx, &dynamodbstreams.ListStreamsInput{TableName: ptr(stack.Tables["RosterTable"])})
	if err != nil || len(streams.Streams) == 0 {
		t.Fatalf("list streams: %v", err)
	}
	arn := streams.Streams[0].StreamArn
	desc, err := stack.Streams.DescribeStream(ctx, &dynamodbstreams.DescribeStreamInput{StreamArn: arn})
	if err != nil {
		t.Fatal(err)
	}
	for _, sh := range desc.StreamDescription.Shards {
		it, err := stack.Streams.GetShardIterator(ctx, &dynamodbstreams.GetShardIteratorInput{StreamArn: arn, ShardId: sh.ShardId, ShardIteratorType: types.ShardIteratorTypeTrimHorizon})
		if err != nil {
			t.Fatal(err)
		}
		iter := it.ShardIterator
		for iter != nil {
			out, err := stack.Streams.GetRecords(ctx, &dynamodbstreams.GetRecordsInput{ShardIterator: iter})
			if err != nil {
				t.Fatal(err)
			}
			for _, r := range out.Records {
				img := r.Dynamodb.NewImage
				if s, ok := img["SK"].(*types.AttributeValueMemberS); ok && s.Value == "IMPORT#"+id {
					if st, ok := img["status"].(*types.AttributeValueMemberS); ok && st.Value == "queued" {
						return *r.Dynamodb.SequenceNumber
					}
				}
			}
			if len(out.Records) == 0 {
				break
			}
			iter = out.NextShardIterator
		}
	}
	t.Fatal("no stream record queued the import")
	return ""
}

// TestConfirmSameRecordDeliveredThrice delivers the record that queued an
// import to two confirmers at once, while the stack's own confirm function
// gets it from the stream too: counts stay exact, mail goes once.
func TestConfirmSameRecordDeliveredThrice(t *testing.T) {
	const n = 1000
	tok := seedSchool(t, "twice")
	id := uploadFile(t, tok, "twice", "twice.csv", usersFile("twice.school", n))
	waitImport(t, tok, "twice", id, 60*time.Second, statusIs(roster.ImportReady))
	apiJSON(t, "POST", "/schools/twice/imports/"+id+"/confirm", tok, nil, nil)
	seq := queuedRecord(t, "twice", id)

	secret := functionSecret(t)
	sealer, err := roster.NewSealer(secret)
	if err != nil {
		t.Fatal(err)
	}
	files := blobs.New(s3.NewFromConfig(stack.AWS, func(o *s3.Options) { o.BaseEndpoint = &stack.S3URL; o.UsePathStyle = true }), stack.Buckets["ImportsBucket"])
	c := &app.Confirmer{Store: store(), Files: files, Sealer: sealer, Now: time.Now, Log: slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))}
	var wg sync.WaitGroup
	errs := make([]error, 2)
	for i := range errs {
		wg.Add(1)
		go func() { defer wg.Done(); errs[i] = c.Queued(context.Background(), "twice", id, seq) }()
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	done := waitImport(t, tok, "twice", id, 120*time.Second, finished)
	if done.Status != roster.ImportCompleted || done.Results != (roster.ImportResults{Created: n}) || done.Progress.Done != n {
		t.Fatalf("after three deliveries: %s %+v progress %+v", done.Status, done.Results, done.Progress)
	}
	if g := groupCounts(t, tok, "twice"); g["Students"]+g["Staff"]+g["Parents"] != n+1 {
		t.Errorf("group counts %v add up to %d, want %d", g, g["Students"]+g["Staff"]+g["Parents"], n+1)
	}
	for email, m := range waitMails(t, "twice.school", n, 120*time.Second) {
		if len(m) != 1 {
			t.Fatalf("%s got %d mails", email, len(m))
		}
	}
}

// functionSecret is the token sealing secret the stack gave the functions.
func functionSecret(t *testing.T) string {
	t.Helper()
	secret, err := stack.SecretValue("TokenSealingSecret", "AWSCURRENT")
	if err != nil {
		t.Fatal(err)
	}
	return secret
}

// TestMailerThrottled makes SES refuse the mailer's first bulk sends for
// the rate: the invitations are delayed a few seconds, then each is sent once.
func TestMailerThrottled(t *testing.T) {
	const n = 120
	tok := seedSchool(t, "throttle")
	id := uploadFile(t, tok, "throttle", "t.csv", usersFile("throttle.school", n))
	waitImport(t, tok, "throttle", id, 60*time.Second, statusIs(roster.ImportReady))
	throttled0 := stack.SESStats().Throttled
	// Two refusals in a row: the mailer tries the same batch again after 1 s
	// and 2 s within its invocation (a third would defer it a minute, which
	// TestMailerWaits covers).
	stack.ThrottleSESNext(2)
	apiJSON(t, "POST", "/schools/throttle/imports/"+id+"/confirm", tok, nil, nil)
	waitImport(t, tok, "throttle", id, 60*time.Second, finished)
	mails := waitMails(t, "throttle.school", n, 120*time.Second)
	for email, m := range mails {
		if len(m) != 1 {
			t.Fatalf("%s got %d mails", email, len(m))
		}
	}
	if throttled := stack.SESStats().Throttled; throttled-throttled0 != 2 {
		t.Errorf("SES refused %d bulk sends, want the 2 injected", throttled-throttled0)
	}
	if dl, _ := stack.DeadLetters("MailerFunction"); len(dl) != 0 {
		t.Errorf("throttling sent %d batches to the dead-letter queue", len(dl))
	}
}
