package streams

import (
	"encoding/json"
	"strconv"
	"testing"
	"time"

	"github.com/schoolroster/rosterimport/infra/local/lambdart"
)

func TestOnFailureRecordIsThePositionOnly(t *testing.T) {
	p := &Poller{m: mapping{function: "Fn", streamARN: "arn:aws:dynamodb:us-east-1:000000000000:table/T/stream/2024"},
		region: "us-east-1", account: "000000000000"}
	rec := func(seq string, created int64) map[string]any {
		return map[string]any{"dynamodb": map[string]any{"SequenceNumber": seq, "ApproximateCreationDateTime": json.Number(strconv.FormatInt(created, 10))}}
	}
	now := time.Date(2019, 11, 14, 0, 13, 49, 717_000_000, time.UTC)
	tests := []struct {
		name    string
		batch   []map[string]any
		res     lambdart.InvokeResult
		invokes int
		want    string
	}{
		{
			name:    "function error",
			batch:   []map[string]any{rec("800000000003126276362", 1573690399)},
			res:     lambdart.InvokeResult{RequestID: "req-1", FunctionError: "Unhandled"},
			invokes: 1,
			want: `{"requestContext":{"requestId":"req-1","functionArn":"arn:aws:lambda:us-east-1:000000000000:function:Fn","condition":"RetryAttemptsExhausted","approximateInvokeCount":1},` +
				`"responseContext":{"statusCode":200,"executedVersion":"$LATEST","functionError":"Unhandled"},"version":"1.0","timestamp":"2019-11-14T00:13:49.717Z",` +
				`"DDBStreamBatchInfo":{"shardId":"shardId-1","startSequenceNumber":"800000000003126276362","endSequenceNumber":"800000000003126276362",` +
				`"approximateArrivalOfFirstRecord":"2019-11-14T00:13:19Z","approximateArrivalOfLastRecord":"2019-11-14T00:13:19Z","batchSize":1,` +
				`"streamArn":"arn:aws:dynamodb:us-east-1:000000000000:table/T/stream/2024"}}`,
		},
		{
			name:    "items failed, three records, retried",
			batch:   []map[string]any{rec("100", 1573690399), rec("200", 1573690400), rec("300", 1573690461)},
			res:     lambdart.InvokeResult{RequestID: "req-2"},
			invokes: 4,
			want: `{"requestContext":{"requestId":"req-2","functionArn":"arn:aws:lambda:us-east-1:000000000000:function:Fn","condition":"RetryAttemptsExhausted","approximateInvokeCount":4},` +
				`"responseContext":{"statusCode":200,"executedVersion":"$LATEST"},"version":"1.0","timestamp":"2019-11-14T00:13:49.717Z",` +
				`"DDBStreamBatchInfo":{"shardId":"shardId-1","startSequenceNumber":"100","endSequenceNumber":"300",` +
				`"approximateArrivalOfFirstRecord":"2019-11-14T00:13:19Z","approximateArrivalOfLastRecord":"2019-11-14T00:14:21Z","batchSize":3,` +
				`"streamArn":"arn:aws:dynamodb:us-east-1:000000000000:table/T/stream/2024"}}`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b, err := json.Marshal(p.onFailureRecord("shardId-1", tt.batch, tt.res, tt.invokes, now))
			if err != nil {
				t.Fatal(err)
			}
			if string(b) != tt.want {
				t.Errorf("record\n got %s\nwant %s", b, tt.want)
			}
		})
	}
}
