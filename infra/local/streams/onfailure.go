package streams

import (
	"context"
	"errors"
	"fmt"
	"math/big"
	"strconv"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodbstreams"
	"github.com/aws/aws-sdk-go-v2/service/dynamodbstreams/types"

	"github.com/schoolroster/rosterimport/infra/local/lambdart"
)

// OnFailureRecord is what Lambda sends a stream mapping's OnFailure
// destination when it gives up on a batch: where the batch is in the
// stream, not its records. Whoever reads it fetches the records from the
// stream (ReadBatch) before they expire.
type OnFailureRecord struct {
	RequestContext     RequestContext  `json:"requestContext"`
	ResponseContext    ResponseContext `json:"responseContext"`
	Version            string          `json:"version"`
	Timestamp          string          `json:"timestamp"`
	DDBStreamBatchInfo BatchInfo       `json:"DDBStreamBatchInfo"`
}

// RequestContext says which invocation gave up and why.
type RequestContext struct {
	RequestID              string `json:"requestId"`
	FunctionArn            string `json:"functionArn"`
	Condition              string `json:"condition"` // RetryAttemptsExhausted
	ApproximateInvokeCount int    `json:"approximateInvokeCount"`
}

// ResponseContext is the last invocation's result.
type ResponseContext struct {
	StatusCode      int    `json:"statusCode"`
	ExecutedVersion string `json:"executedVersion"`
	FunctionError   string `json:"functionError,omitempty"` // absent when the batch failed item by item
}

// BatchInfo is the position of the batch in the stream.
type BatchInfo struct {
	ShardID                         string `json:"shardId"`
	StartSequenceNumber             string `json:"startSequenceNumber"`
	EndSequenceNumber               string `json:"endSequenceNumber"`
	ApproximateArrivalOfFirstRecord string `json:"approximateArrivalOfFirstRecord"`
	ApproximateArrivalOfLastRecord  string `json:"approximateArrivalOfLastRecord"`
	BatchSize                       int    `json:"batchSize"`
	StreamArn                       string `json:"streamArn"`
}

// onFailureRecord renders the record of a batch given up on after invokes
// invocations, the last of which answered res.
func (p *Poller) onFailureRecord(shard string, batch []map[string]any, res lambdart.InvokeResult, invokes int, now time.Time) OnFailureRecord {
	first, last := batch[0]["dynamodb"].(map[string]any), batch[len(batch)-1]["dynamodb"].(map[string]any)
	return OnFailureRecord{
		RequestContext: RequestContext{RequestID: res.RequestID, Condition: "RetryAttemptsExhausted", ApproximateInvokeCount: invokes,
			FunctionArn: fmt.Sprintf("arn:aws:lambda:%s:%s:function:%s", p.region, p.account, p.m.function)},
		ResponseContext: ResponseContext{StatusCode: 200, ExecutedVersion: "$LATEST", FunctionError: res.FunctionError},
		Version:         "1.0",
		Timestamp:       now.UTC().Format("2006-01-02T15:04:05.000Z"),
		DDBStreamBatchInfo: BatchInfo{
			ShardID: shard, StartSequenceNumber: fmt.Sprint(first["SequenceNumber"]), EndSequenceNumber: fmt.Sprint(last["SequenceNumber"]),
			ApproximateArrivalOfFirstRecord: arrival(first), ApproximateArrivalOfLastRecord: arrival(last),
			BatchSize: len(batch), StreamArn: p.m.streamARN,
		},
	}
}

// arrival is a record's ApproximateCreationDateTime as the on-failure
// record writes it: UTC, to the second.
func arrival(ddb map[string]any) string {
	secs, err := strconv.ParseInt(fmt.Sprint(ddb["ApproximateCreationDateTime"]), 10, 64)
	if err != nil {
		return ""
	}
	return time.Unix(secs, 0).UTC().Format(time.RFC3339)
}

// ReadBatch reads from the stream the records an on-failure record points
// at: those of its shard from its start to its end sequence number (with any
// the mapping's filter left out of the batch).
// Errors: the stream's (a trimmed shard gives TrimmedDataAccessException),
// or a sequence number that is not one.
func ReadBatch(ctx context.Context, client *dynamodbstreams.Client, info BatchInfo) ([]types.Record, error) {
	end, ok := new(big.Int).SetString(info.EndSequenceNumber, 10)
	if !ok {
		return nil, fmt.Errorf("end sequence number %q is not a number", info.EndSequenceNumber)
	}
	it, err := client.GetShardIterator(ctx, &dynamodbstreams.GetShardIteratorInput{StreamArn: &info.StreamArn, ShardId: &info.ShardID,
		ShardIteratorType: types.ShardIteratorTypeAtSequenceNumber, SequenceNumber: &info.StartSequenceNumber})
	if err != nil {
		return nil, err
	}
	var out []types.Record
	for iter := it.ShardIterator; iter != nil; {
		page, err := client.GetRecords(ctx, &dynamodbstreams.GetRecordsInput{ShardIterator: iter, Limit: aws.Int32(1000)})
		if err != nil {
			return nil, err
		}
		for _, r := range page.Records {
			seq, ok := new(big.Int).SetString(aws.ToString(r.Dynamodb.SequenceNumber), 10)
			if !ok || seq.Cmp(end) > 0 {
				return out, nil
			}
			out = append(out, r)
		}
		if len(page.Records) == 0 {
			break // caught up with an open shard
		}
		iter = page.NextShardIterator
	}
	if len(out) == 0 {
		return nil, errors.New("no records at that position")
	}
	return out, nil
}
