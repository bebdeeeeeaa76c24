package local_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	streamtypes "github.com/aws/aws-sdk-go-v2/service/dynamodbstreams/types"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/schoolroster/rosterimport/infra/local/streams"
)

// presignPut returns a presigned PUT URL that signs the content length.
func presignPut(t *testing.T, key string, length int64, expires time.Duration) string {
	t.Helper()
	ps := s3.NewPresignClient(fixture.S3)
	req, err := ps.PresignPutObject(context.Background(), &s3.PutObjectInput{
		Bucket: aws.String(fixture.Buckets["Bucket"]), Key: &key, ContentLength: &length,
	}, s3.WithPresignExpires(expires))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(req.URL, "content-length") {
		t.Fatalf("presigned URL does not sign the content length: %s", req.URL)
	}
	return req.URL
}

func httpPut(t *testing.T, u string, body []byte) int {
	t.Helper()
	req, err := http.NewRequest(http.MethodPut, u, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

func objectExists(t *testing.T, key string) bool {
	t.Helper()
	_, err := fixture.S3.HeadObject(context.Background(), &s3.HeadObjectInput{Bucket: aws.String(fixture.Buckets["Bucket"]), Key: &key})
	return err == nil
}

func TestS3UploadPlumbing(t *testing.T) {
	ctx := context.Background()
	bucket := fixture.Buckets["Bucket"]
	body := []byte("email\nann@school.school\n")

	// Objects the subscription's prefix and suffix leave out.
	for _, key := range []string{"other/a.csv", "uploads/a.txt"} {
		if _, err := fixture.S3.PutObject(ctx, &s3.PutObjectInput{Bucket: &bucket, Key: aws.String(key), Body: bytes.NewReader(body)}); err != nil {
			t.Fatal(err)
		}
	}
	time.Sleep(300 * time.Millisecond)

	key := "uploads/demo/import 1.csv"
	t.Run("upload with a different length is refused", func(t *testing.T) {
		u := presignPut(t, key, int64(len(body)), 5*time.Minute)
		if got := httpPut(t, u, append(body, "extra"...)); got != http.StatusForbidden {
			t.Errorf("status = %d, want 403", got)
		}
		if objectExists(t, key) {
			t.Error("the object was stored")
		}
	})
	t.Run("upload to another key is refused", func(t *testing.T) {
		u, _ := url.Parse(presignPut(t, key, int64(len(body)), 5*time.Minute))
		u.Path = "/" + bucket + "/uploads/demo/someone-else.csv"
		if got := httpPut(t, u.String(), body); got != http.StatusForbidden {
			t.Errorf("status = %d, want 403", got)
		}
		if objectExists(t, "uploads/demo/someone-else.csv") {
			t.Error("the object was stored")
		}
	})
	t.Run("expired URL is refused", func(t *testing.T) {
		u := presignPut(t, key, int64(len(body)), time.Second)
		time.Sleep(2100 * time.Millisecond)
		if got := httpPut(t, u, body); got != http.StatusForbidden {
			t.Errorf("status = %d, want 403", got)
		}
	})
	if len(recorded(t, "S3Function")) != 0 {
		t.Fatalf("S3Function received events for refused or unsubscribed objects: %s", recorded(t, "S3Function"))
	}

	t.Run("signed upload is stored and delivered once", func(t *testing.T) {
		u := presignPut(t, key, int64(len(body)), 5*time.Minute)
		if got := httpPut(t, u, body); got != http.StatusOK {
			t.Fatalf("status = %d, want 200", got)
		}
		eventually(t, 10*time.Second, "the S3 event", func() bool { return len(recorded(t, "S3Function")) > 0 })
		time.Sleep(300 * time.Millisecond) // a second delivery would arrive by now
		evs := recorded(t, "S3Function")
		if len(evs) != 1 {
			t.Fatalf("got %d events, want 1: %s", len(evs), evs)
		}
		var ev events.S3Event
		if err := json.Unmarshal(evs[0], &ev); err != nil {
			t.Fatal(err)
		}
		if len(ev.Records) != 1 {
			t.Fatalf("got %d records", len(ev.Records))
		}
		r := ev.Records[0]
		got := []any{r.EventSource, r.EventName, r.S3.Bucket.Name, r.S3.Object.Key, r.S3.Object.Size}
		want := []any{"aws:s3", "ObjectCreated:Put", bucket, "uploads/demo/import+1.csv", int64(len(body))}
		for i := range want {
			if got[i] != want[i] {
				t.Errorf("record field %d = %v, want %v", i, got[i], want[i])
			}
		}
		if k, _ := url.QueryUnescape(r.S3.Object.Key); k != key {
			t.Errorf("decoded key = %q, want %q", k, key)
		}
	})
}

// streamRecords flattens the batches a stream fixture recorded.
func streamBatches(t *testing.T, fn string) [][]events.DynamoDBEventRecord {
	t.Helper()
	var out [][]events.DynamoDBEventRecord
	for _, raw := range recorded(t, fn) {
		var ev events.DynamoDBEvent
		if err := json.Unmarshal(raw, &ev); err != nil {
			t.Fatal(err)
		}
		out = append(out, ev.Records)
	}
	return out
}

func putItem(t *testing.T, item map[string]string) {
	t.Helper()
	av, err := attributevalue.MarshalMap(item)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := fixture.DynamoDB.PutItem(context.Background(), &dynamodb.PutItemInput{TableName: aws.String(fixture.Tables["Table"]), Item: av}); err != nil {
		t.Fatal(err)
	}
}

func TestStreamPlumbing(t *testing.T) {
	// w0 keeps the function busy while the others are written, so the
	// mapping reads them in one go and they form one batch.
	putItem(t, map[string]string{"PK": "w0", "SK": "x", "type": "watched", "sleep": "1s"})
	eventually(t, 10*time.Second, "w0 delivered", func() bool { return len(recorded(t, "StreamFunction")) > 0 })
	// The failing record sits between two that succeed.
	for _, it := range []map[string]string{
		{"PK": "w1", "SK": "x", "type": "watched"},
		{"PK": "i1", "SK": "x", "type": "ignored"},
		{"PK": "w2", "SK": "x", "type": "watched", "fail": "2"},
		{"PK": "w3", "SK": "x", "type": "watched"},
		{"PK": "i2", "SK": "x"},
	} {
		putItem(t, it)
	}

	keysOf := func(recs []events.DynamoDBEventRecord) []string {
		var ks []string
		for _, r := range recs {
			ks = append(ks, r.Change.Keys["PK"].String())
		}
		return ks
	}
	// w1 succeeds on the first delivery; w2 fails twice, and each time the
	// mapping redelivers from w2, so w3 comes again with it.
	eventually(t, 15*time.Second, "w3 delivered after w2's last failure", func() bool {
		n := 0
		for _, b := range streamBatches(t, "StreamFunction") {
			for _, k := range keysOf(b) {
				if k == "w2" {
					n++
				}
			}
		}
		return n >= 3
	})
	time.Sleep(500 * time.Millisecond)
	counts := map[string]int{}
	for _, b := range streamBatches(t, "StreamFunction") {
		for _, r := range b {
			counts[r.Change.Keys["PK"].String()]++
			if r.EventName != "INSERT" || r.EventSource != "aws:dynamodb" || r.Change.NewImage["type"].String() != "watched" {
				t.Errorf("unexpected record %+v", r)
			}
		}
	}
	want := map[string]int{"w0": 1, "w1": 1, "w2": 3, "w3": 3}
	if len(counts) != len(want) || counts["w0"] != want["w0"] || counts["w1"] != want["w1"] || counts["w2"] != want["w2"] || counts["w3"] != want["w3"] {
		t.Errorf("deliveries per item = %v, want %v (ignored items filtered out, failures redelivered from the first failed record)", counts, want)
	}
}

func TestStreamRetriesExhaustedGoToDeadLetters(t *testing.T) {
	putItem(t, map[string]string{"PK": "d1", "SK": "x", "type": "doomed"})
	putItem(t, map[string]string{"PK": "d2", "SK": "x", "type": "doomed", "crash": "always"})
	eventually(t, 15*time.Second, "a dead letter", func() bool {
		dl, _ := fixture.DeadLetters("DoomedStreamFunction")
		return len(dl) > 0
	})
	time.Sleep(500 * time.Millisecond)
	dl, err := fixture.DeadLetters("DoomedStreamFunction")
	if err != nil {
		t.Fatal(err)
	}
	if len(dl) != 1 {
		t.Fatalf("got %d dead letters, want 1 (bisect should isolate the crashing record): %s", len(dl), dl)
	}
	var entry streams.OnFailureRecord
	if err := json.Unmarshal(dl[0], &entry); err != nil {
		t.Fatal(err)
	}
	info := entry.DDBStreamBatchInfo
	if entry.RequestContext.Condition != "RetryAttemptsExhausted" || entry.RequestContext.ApproximateInvokeCount != 2 ||
		!strings.HasSuffix(entry.RequestContext.FunctionArn, ":function:DoomedStreamFunction") ||
		entry.ResponseContext.FunctionError != "Unhandled" || entry.ResponseContext.ExecutedVersion != "$LATEST" || entry.Version != "1.0" ||
		info.BatchSize != 1 || info.StartSequenceNumber == "" || info.StartSequenceNumber != info.EndSequenceNumber ||
		info.ShardID == "" || info.StreamArn == "" || info.ApproximateArrivalOfFirstRecord == "" {
		t.Errorf("dead letter = %s", dl[0])
	}
	var raw map[string]any
	_ = json.Unmarshal(dl[0], &raw)
	if _, ok := raw["records"]; ok {
		t.Errorf("the dead letter carries the records; Lambda sends their position only")
	}
	// The position finds the record in the stream, as whoever reads the
	// destination must.
	recs, err := streams.ReadBatch(context.Background(), fixture.Streams, info)
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) != 1 {
		t.Fatalf("the position reads %d records, want 1", len(recs))
	}
	if pk := recs[0].Dynamodb.Keys["PK"].(*streamtypes.AttributeValueMemberS).Value; pk != "d2" {
		t.Errorf("the position reads item %s, want d2 (the crashing one)", pk)
	}
}

// TestStreamLanes: with a ParallelizationFactor, a slow record holds up the
// records of its own partition key, in order, and not the others.
func TestStreamLanes(t *testing.T) {
	putItem(t, map[string]string{"PK": "slow", "SK": "1", "type": "laned", "sleep": "1500ms"}) // the timeout is 2s
	putItem(t, map[string]string{"PK": "slow", "SK": "2", "type": "laned"})
	var others []string
	for i := range 8 {
		pk := fmt.Sprint("quick", i)
		others = append(others, pk)
		putItem(t, map[string]string{"PK": pk, "SK": "1", "type": "laned"})
	}
	var order []string // PK/SK in the order delivered
	eventually(t, 30*time.Second, "every laned record delivered", func() bool {
		order = nil
		for _, b := range streamBatches(t, "LanesFunction") {
			for _, r := range b {
				order = append(order, r.Change.Keys["PK"].String()+"/"+r.Change.Keys["SK"].String())
			}
		}
		return len(order) >= 10
	})
	at := map[string]int{}
	for i, k := range order {
		at[k] = i
	}
	if len(order) != 10 || at["slow/1"] > at["slow/2"] {
		t.Fatalf("deliveries %v: want each once, slow/1 before slow/2", order)
	}
	// slow/2 waits behind slow/1 in their lane; records of
	// other keys in other lanes come before it.
	ahead := 0
	for _, pk := range others {
		if at[pk+"/1"] < at["slow/2"] {
			ahead++
		}
	}
	if ahead == 0 {
		t.Errorf("deliveries %v: every record waited for the slow one", order)
	}
}
