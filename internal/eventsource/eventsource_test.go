package eventsource

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"reflect"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-lambda-go/events"

	"github.com/schoolroster/rosterimport/internal/app"
	"github.com/schoolroster/rosterimport/internal/roster"
)

type previewFunc func(ctx context.Context, key string, size int64, claim string) error

func (f previewFunc) Uploaded(ctx context.Context, key string, size int64, claim string) error {
	return f(ctx, key, size, claim)
}

type queuedFunc func(ctx context.Context, schoolID, id, claim string) error

func (f queuedFunc) Queued(ctx context.Context, schoolID, id, claim string) error {
	return f(ctx, schoolID, id, claim)
}

type mailFunc func(ctx context.Context, records []app.QueuedMail) []string

func (f mailFunc) Send(ctx context.Context, records []app.QueuedMail) []string {
	return f(ctx, records)
}

// logTo returns a logger writing JSON lines to buf.
func logTo(buf *bytes.Buffer) *slog.Logger { return slog.New(slog.NewJSONHandler(buf, nil)) }

// lastLine decodes the last log line.
func lastLine(t *testing.T, buf *bytes.Buffer) map[string]any {
	t.Helper()
	lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
	var v map[string]any
	if err := json.Unmarshal([]byte(lines[len(lines)-1]), &v); err != nil {
		t.Fatalf("log line %q: %v", lines[len(lines)-1], err)
	}
	return v
}

func TestUploads(t *testing.T) {
	type call struct {
		key   string
		size  int64
		claim string
	}
	s3rec := func(key, seq, etag string) events.S3EventRecord {
		return events.S3EventRecord{S3: events.S3Entity{Object: events.S3Object{Key: key, Size: 10, Sequencer: seq, ETag: etag}}}
	}
	boom := errors.New("dynamodb unreachable")
	for _, tc := range []struct {
		name      string
		records   []events.S3EventRecord
		fail      map[string]error
		wantCalls []call
		wantErr   bool
	}{
		{"escaped key, sequencer as claim", []events.S3EventRecord{s3rec("uploads/demo/I%2B1", "00A1", "e1")},
			nil, []call{{"uploads/demo/I+1", 10, "00A1"}}, false},
		{"no sequencer: the ETag is the claim", []events.S3EventRecord{s3rec("uploads/demo/I1", "", "e1")},
			nil, []call{{"uploads/demo/I1", 10, "e1"}}, false},
		{"undecodable key skipped", []events.S3EventRecord{s3rec("uploads/%zz", "1", ""), s3rec("uploads/demo/I2", "2", "")},
			nil, []call{{"uploads/demo/I2", 10, "2"}}, false},
		{"a fault fails the event, the rest still run", []events.S3EventRecord{s3rec("uploads/demo/I1", "1", ""), s3rec("uploads/demo/I2", "2", "")},
			map[string]error{"uploads/demo/I1": boom}, []call{{"uploads/demo/I1", 10, "1"}, {"uploads/demo/I2", 10, "2"}}, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var got []call
			var logs bytes.Buffer
			var n int64
			h := &Uploads{
				Previewer: previewFunc(func(_ context.Context, key string, size int64, claim string) error {
					got = append(got, call{key, size, claim})
					n += 3
					return tc.fail[key]
				}),
				Log: logTo(&logs), Counters: []Counter{{Name: "dynamodbWrites", Load: func() int64 { return n }}},
			}
			err := h.Handle(context.Background(), events.S3Event{Records: tc.records})
			if (err != nil) != tc.wantErr || (err != nil && !errors.Is(err, boom)) {
				t.Errorf("err = %v, want error %v", err, tc.wantErr)
			}
			if !reflect.DeepEqual(got, tc.wantCalls) {
				t.Errorf("calls = %+v, want %+v", got, tc.wantCalls)
			}
			line := lastLine(t, &logs)
			if line["msg"] != "invocation done" || line["records"] != float64(len(tc.records)) || line["dynamodbWrites"] != float64(3*len(tc.wantCalls)) {
				t.Errorf("closing log line = %v", line)
			}
		})
	}
}

func importRecord(seq string, img map[string]events.DynamoDBAttributeValue) events.DynamoDBEventRecord {
	return events.DynamoDBEventRecord{Change: events.DynamoDBStreamRecord{SequenceNumber: seq, NewImage: img}}
}

func importImage(school, id string) map[string]events.DynamoDBAttributeValue {
	return map[string]events.DynamoDBAttributeValue{
		"type": events.NewStringAttribute("import"), "schoolId": events.NewStringAttribute(school), "importId": events.NewStringAttribute(id),
		"status": events.NewStringAttribute("queued"),
	}
}

func jobImage(school, id string) map[string]events.DynamoDBAttributeValue {
	return map[string]events.DynamoDBAttributeValue{
		"type": events.NewStringAttribute("sendjob"), "schoolId": events.NewStringAttribute(school), "jobId": events.NewStringAttribute(id),
		"status": events.NewStringAttribute("queued"),
	}
}

func TestQueuedWork(t *testing.T) {
	boom := errors.New("throttled")
	for _, tc := range []struct {
		name         string
		records      []events.DynamoDBEventRecord
		fail         map[string]error // by import id
		wantCalls    []string         // school/import/claim
		wantFailures []string
	}{
		{"all confirmed", []events.DynamoDBEventRecord{importRecord("1", importImage("a", "I1")), importRecord("2", importImage("b", "I2"))},
			nil, []string{"a/I1/1", "b/I2/2"}, nil},
		{"a failure and every record after it are redelivered",
			[]events.DynamoDBEventRecord{importRecord("1", importImage("a", "I1")), importRecord("2", importImage("a", "I2")), importRecord("3", importImage("b", "I3"))},
			map[string]error{"I2": boom}, []string{"a/I1/1", "a/I2/2"}, []string{"2", "3"}},
		{"an undecodable record is skipped, not retried",
			[]events.DynamoDBEventRecord{importRecord("1", map[string]events.DynamoDBAttributeValue{"schoolId": events.NewStringAttribute("a")}), importRecord("2", importImage("a", "I2"))},
			nil, []string{"a/I2/2"}, nil},
		{"send jobs go to the job runner",
			[]events.DynamoDBEventRecord{importRecord("1", jobImage("a", "J1")), importRecord("2", importImage("a", "I2"))},
			nil, []string{"job a/J1/1", "a/I2/2"}, nil},
		{"empty batch", nil, nil, nil, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var calls []string
			var logs bytes.Buffer
			h := &QueuedWork{
				Confirmer: queuedFunc(func(_ context.Context, school, id, claim string) error {
					calls = append(calls, school+"/"+id+"/"+claim)
					return tc.fail[id]
				}),
				SendJobs: queuedFunc(func(_ context.Context, school, id, claim string) error {
					calls = append(calls, "job "+school+"/"+id+"/"+claim)
					return tc.fail[id]
				}),
				Log: logTo(&logs),
			}
			resp, err := h.Handle(context.Background(), events.DynamoDBEvent{Records: tc.records})
			if err != nil {
				t.Fatalf("Handle returned %v; failures go in the response", err)
			}
			if !reflect.DeepEqual(calls, tc.wantCalls) {
				t.Errorf("calls = %v, want %v", calls, tc.wantCalls)
			}
			if got := failureIDs(resp); !reflect.DeepEqual(got, tc.wantFailures) {
				t.Errorf("batch item failures = %v, want %v", got, tc.wantFailures)
			}
			if line := lastLine(t, &logs); line["failed"] != float64(len(tc.wantFailures)) {
				t.Errorf("closing log line = %v", line)
			}
		})
	}
}

func mailRecord(seq, email string, sendCount events.DynamoDBAttributeValue) events.DynamoDBEventRecord {
	img := map[string]events.DynamoDBAttributeValue{"schoolId": events.NewStringAttribute("demo"), "email": events.NewStringAttribute(email)}
	if sendCount.DataType() != events.DataTypeNull {
		img["sendCount"] = sendCount
	}
	return events.DynamoDBEventRecord{Change: events.DynamoDBStreamRecord{SequenceNumber: seq, NewImage: img}}
}

func TestQueuedMails(t *testing.T) {
	one, two := events.NewNumberAttribute("1"), events.NewNumberAttribute("2")
	for _, tc := range []struct {
		name      string
		records   []events.DynamoDBEventRecord
		retry     []string
		wantMails []app.QueuedMail
	}{
		{"decoded in order", []events.DynamoDBEventRecord{mailRecord("1", "a@x.school", one), mailRecord("2", "b@x.school", two)}, nil,
			[]app.QueuedMail{{RecordID: "1", SchoolID: "demo", Email: "a@x.school", SendCount: 1}, {RecordID: "2", SchoolID: "demo", Email: "b@x.school", SendCount: 2}}},
		{"the mailer's retries become failures", []events.DynamoDBEventRecord{mailRecord("1", "a@x.school", one), mailRecord("2", "b@x.school", one)}, []string{"2"},
			[]app.QueuedMail{{RecordID: "1", SchoolID: "demo", Email: "a@x.school", SendCount: 1}, {RecordID: "2", SchoolID: "demo", Email: "b@x.school", SendCount: 1}}},
		{"a bad send count is skipped, the others sent", []events.DynamoDBEventRecord{mailRecord("1", "a@x.school", events.NewStringAttribute("x")), mailRecord("2", "b@x.school", one)}, nil,
			[]app.QueuedMail{{RecordID: "2", SchoolID: "demo", Email: "b@x.school", SendCount: 1}}},
		{"a missing send count is skipped", []events.DynamoDBEventRecord{mailRecord("1", "a@x.school", events.NewNullAttribute())}, nil,
			[]app.QueuedMail{}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var got []app.QueuedMail
			var logs bytes.Buffer
			var calls int64
			h := &QueuedMails{
				Mailer: mailFunc(func(_ context.Context, recs []app.QueuedMail) []string {
					got = recs
					calls++
					return tc.retry
				}),
				Log: logTo(&logs), Counters: []Counter{{Name: "sesCalls", Load: func() int64 { return calls }}},
			}
			resp, err := h.Handle(context.Background(), events.DynamoDBEvent{Records: tc.records})
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tc.wantMails) {
				t.Errorf("mails = %+v, want %+v", got, tc.wantMails)
			}
			if ids := failureIDs(resp); !reflect.DeepEqual(ids, tc.retry) {
				t.Errorf("batch item failures = %v, want %v", ids, tc.retry)
			}
			if line := lastLine(t, &logs); line["retry"] != float64(len(tc.retry)) || line["sesCalls"] != float64(1) {
				t.Errorf("closing log line = %v", line)
			}
		})
	}
}

func failureIDs(resp events.DynamoDBEventResponse) []string {
	var ids []string
	for _, f := range resp.BatchItemFailures {
		ids = append(ids, f.ItemIdentifier)
	}
	return ids
}

type reindexFunc func(ctx context.Context, before, after *roster.Member) error

func (f reindexFunc) Reindex(ctx context.Context, before, after *roster.Member) error {
	return f(ctx, before, after)
}

func userRecord(seq string, oldImg, newImg map[string]events.DynamoDBAttributeValue) events.DynamoDBEventRecord {
	return events.DynamoDBEventRecord{Change: events.DynamoDBStreamRecord{SequenceNumber: seq, OldImage: oldImg, NewImage: newImg}}
}

func userImage(email, status string) map[string]events.DynamoDBAttributeValue {
	return map[string]events.DynamoDBAttributeValue{
		"type": events.NewStringAttribute("user"), "schoolId": events.NewStringAttribute("demo"), "email": events.NewStringAttribute(email),
		"status": events.NewStringAttribute(status), "version": events.NewNumberAttribute("1"),
	}
}

func TestUserChanges(t *testing.T) {
	boom := errors.New("throttled")
	for _, tc := range []struct {
		name         string
		records      []events.DynamoDBEventRecord
		fail         string // the email whose reindex fails
		wantCalls    []string
		wantFailures []string
	}{
		{"insert, modify, delete", []events.DynamoDBEventRecord{
			userRecord("1", nil, userImage("a@x.school", "invited")),
			userRecord("2", userImage("a@x.school", "invited"), userImage("a@x.school", "active")),
			userRecord("3", userImage("b@x.school", "active"), nil),
		}, "", []string{"- > a@x.school/invited", "a@x.school/invited > a@x.school/active", "b@x.school/active > -"}, nil},
		{"a failure and every record after it are redelivered", []events.DynamoDBEventRecord{
			userRecord("1", nil, userImage("a@x.school", "invited")),
			userRecord("2", nil, userImage("b@x.school", "invited")),
			userRecord("3", nil, userImage("c@x.school", "invited")),
			userRecord("4", userImage("b@x.school", "invited"), userImage("b@x.school", "active")),
		}, "b@x.school", []string{"- > a@x.school/invited", "- > b@x.school/invited", "- > c@x.school/invited"}, []string{"2", "3", "4"}},
		{"an undecodable record is skipped", []events.DynamoDBEventRecord{
			userRecord("1", nil, map[string]events.DynamoDBAttributeValue{"type": events.NewStringAttribute("user")}),
			userRecord("2", nil, userImage("b@x.school", "invited")),
		}, "", []string{"- > b@x.school/invited"}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var calls []string
			var mu sync.Mutex
			var logs bytes.Buffer
			desc := func(m *roster.Member) string {
				if m == nil {
					return "-"
				}
				return m.Email + "/" + string(m.Status)
			}
			h := &UserChanges{Indexer: reindexFunc(func(_ context.Context, before, after *roster.Member) error {
				mu.Lock()
				defer mu.Unlock()
				calls = append(calls, desc(before)+" > "+desc(after))
				if after != nil && after.Email == tc.fail {
					return boom
				}
				return nil
			}), Log: logTo(&logs)}
			resp, err := h.Handle(context.Background(), events.DynamoDBEvent{Records: tc.records})
			if err != nil {
				t.Fatal(err)
			}
			// Users are reindexed at once, each user's changes in order: a
			// user's later change waits for a failed one.
			sort.Strings(calls)
			want := append([]string{}, tc.wantCalls...)
			sort.Strings(want)
			if !reflect.DeepEqual(calls, want) {
				t.Errorf("calls = %q, want %q", calls, want)
			}
			if got := failureIDs(resp); !reflect.DeepEqual(got, tc.wantFailures) {
				t.Errorf("failures = %v, want %v", got, tc.wantFailures)
			}
		})
	}
}
