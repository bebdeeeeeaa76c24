package streams

import (
	"encoding/base64"
	"encoding/json"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/service/dynamodbstreams/types"
)

// lambdaRecord renders a stream record as Lambda's DynamoDB event record.
func (p *Poller) lambdaRecord(r types.Record) map[string]any {
	d := r.Dynamodb
	ddb := map[string]any{
		"SequenceNumber": deref(d.SequenceNumber),
		"SizeBytes":      json.Number(fmt.Sprint(deref(d.SizeBytes))),
		"StreamViewType": string(d.StreamViewType),
		"Keys":           attrMap(d.Keys),
	}
	if d.ApproximateCreationDateTime != nil {
		ddb["ApproximateCreationDateTime"] = json.Number(fmt.Sprint(d.ApproximateCreationDateTime.Unix()))
	}
	if d.NewImage != nil {
		ddb["NewImage"] = attrMap(d.NewImage)
	}
	if d.OldImage != nil {
		ddb["OldImage"] = attrMap(d.OldImage)
	}
	return map[string]any{
		"eventID": deref(r.EventID), "eventName": string(r.EventName), "eventVersion": deref(r.EventVersion),
		"eventSource": "aws:dynamodb", "awsRegion": p.region, "dynamodb": ddb, "eventSourceARN": p.m.streamARN,
	}
}

func attrMap(m map[string]types.AttributeValue) map[string]any {
	out := make(map[string]any, len(m))
	for k, v := range m {
		out[k] = attrJSON(v)
	}
	return out
}

func attrJSON(v types.AttributeValue) map[string]any {
	switch x := v.(type) {
	case *types.AttributeValueMemberS:
		return map[string]any{"S": x.Value}
	case *types.AttributeValueMemberN:
		return map[string]any{"N": x.Value}
	case *types.AttributeValueMemberB:
		return map[string]any{"B": base64.StdEncoding.EncodeToString(x.Value)}
	case *types.AttributeValueMemberBOOL:
		return map[string]any{"BOOL": x.Value}
	case *types.AttributeValueMemberNULL:
		return map[string]any{"NULL": true}
	case *types.AttributeValueMemberSS:
		return map[string]any{"SS": x.Value}
	case *types.AttributeValueMemberNS:
		return map[string]any{"NS": x.Value}
	case *types.AttributeValueMemberBS:
		var bs []string
		for _, b := range x.Value {
			bs = append(bs, base64.StdEncoding.EncodeToString(b))
		}
		return map[string]any{"BS": bs}
	case *types.AttributeValueMemberM:
		return map[string]any{"M": attrMap(x.Value)}
	case *types.AttributeValueMemberL:
		l := make([]any, len(x.Value))
		for i, e := range x.Value {
			l[i] = attrJSON(e)
		}
		return map[string]any{"L": l}
	}
	return map[string]any{"NULL": true}
}

func deref[T any](p *T) T {
	var zero T
	if p == nil {
		return zero
	}
	return *p
}
