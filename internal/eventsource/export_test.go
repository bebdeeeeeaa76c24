package eventsource

import (
	"bytes"
	"context"
	"errors"
	"reflect"
	"testing"

	"github.com/aws/aws-lambda-go/events"
)

func exportImage(school, id string) map[string]events.DynamoDBAttributeValue {
	return map[string]events.DynamoDBAttributeValue{
		"type": events.NewStringAttribute("exportjob"), "schoolId": events.NewStringAttribute(school), "exportId": events.NewStringAttribute(id),
		"status": events.NewStringAttribute("queued"),
	}
}

func TestQueuedWorkRunsExports(t *testing.T) {
	boom := errors.New("s3 fault")
	for _, tc := range []struct {
		name         string
		records      []events.DynamoDBEventRecord
		fail         map[string]error
		wantCalls    []string
		wantFailures []string
	}{
		{"an export goes to the export runner, claimed by its record",
			[]events.DynamoDBEventRecord{importRecord("1", exportImage("a", "E1")), importRecord("2", jobImage("a", "J1")), importRecord("3", importImage("a", "I1"))},
			nil, []string{"export a/E1/1", "job a/J1/2", "a/I1/3"}, nil},
		{"a failed export is redelivered with the records after it",
			[]events.DynamoDBEventRecord{importRecord("1", exportImage("a", "E1")), importRecord("2", importImage("a", "I1"))},
			map[string]error{"E1": boom}, []string{"export a/E1/1"}, []string{"1", "2"}},
		{"an export image without its id is skipped",
			[]events.DynamoDBEventRecord{importRecord("1", map[string]events.DynamoDBAttributeValue{
				"type": events.NewStringAttribute("exportjob"), "schoolId": events.NewStringAttribute("a")})},
			nil, nil, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var calls []string
			var logs bytes.Buffer
			record := func(prefix string) queuedFunc {
				return func(_ context.Context, school, id, claim string) error {
					calls = append(calls, prefix+school+"/"+id+"/"+claim)
					return tc.fail[id]
				}
			}
			h := &QueuedWork{Confirmer: record(""), SendJobs: record("job "), Exports: record("export "), Log: logTo(&logs)}
			resp, err := h.Handle(context.Background(), events.DynamoDBEvent{Records: tc.records})
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(calls, tc.wantCalls) {
				t.Errorf("calls = %v, want %v", calls, tc.wantCalls)
			}
			if got := failureIDs(resp); !reflect.DeepEqual(got, tc.wantFailures) {
				t.Errorf("batch item failures = %v, want %v", got, tc.wantFailures)
			}
		})
	}
}
