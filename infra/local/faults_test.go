package local_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	ddbtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// proxiedDynamoDB is a client that goes where the functions go, one attempt
// a call so every answer is seen.
func proxiedDynamoDB() *dynamodb.Client {
	return dynamodb.NewFromConfig(fixture.AWS, func(o *dynamodb.Options) {
		o.BaseEndpoint = aws.String(fixture.DynamoDBProxyURL)
		o.RetryMaxAttempts = 1
	})
}

func putVia(db *dynamodb.Client, pk string) error {
	_, err := db.PutItem(context.Background(), &dynamodb.PutItemInput{TableName: aws.String(fixture.Tables["Table"]),
		Item: map[string]ddbtypes.AttributeValue{"PK": &ddbtypes.AttributeValueMemberS{Value: pk}, "SK": &ddbtypes.AttributeValueMemberS{Value: "t"}}})
	return err
}

func isThrottled(err error) bool {
	var pt *ddbtypes.ProvisionedThroughputExceededException
	return errors.As(err, &pt)
}

func TestFunctionsReachDynamoDBThroughTheProxy(t *testing.T) {
	env, err := fixture.FunctionEnv("EchoFunction")
	if err != nil {
		t.Fatal(err)
	}
	if env["AWS_ENDPOINT_URL_DYNAMODB"] != fixture.DynamoDBProxyURL || fixture.DynamoDBProxyURL == fixture.DynamoDBURL ||
		env["AWS_ENDPOINT_URL_DYNAMODB_STREAMS"] != fixture.DynamoDBURL || env["AWS_ENDPOINT_URL_SESV2"] != fixture.SESProxyURL ||
		env["AWS_ENDPOINT_URL_SECRETS_MANAGER"] != fixture.SecretsManagerURL {
		t.Errorf("function endpoints: %v", env)
	}
}

func TestThrottleDynamoDBEveryThirdWrite(t *testing.T) {
	t.Cleanup(func() { fixture.ThrottleDynamoDB(0, 0) })
	db := proxiedDynamoDB()
	th0, pa0 := fixture.DynamoDBThrottled()
	fixture.ThrottleDynamoDB(1.0/3, time.Minute)
	var pattern []byte
	for i := range 9 {
		err := putVia(db, fmt.Sprintf("third-%d", i))
		switch {
		case err == nil:
			pattern = append(pattern, '.')
		case isThrottled(err):
			pattern = append(pattern, 'x')
		default:
			t.Fatalf("write %d: %v", i, err)
		}
		// Reads, and the stack's own client, are never throttled.
		if _, err := db.GetItem(context.Background(), &dynamodb.GetItemInput{TableName: aws.String(fixture.Tables["Table"]),
			Key: map[string]ddbtypes.AttributeValue{"PK": &ddbtypes.AttributeValueMemberS{Value: "x"}, "SK": &ddbtypes.AttributeValueMemberS{Value: "t"}}}); err != nil {
			t.Fatalf("read: %v", err)
		}
		if _, err := fixture.DynamoDB.PutItem(context.Background(), &dynamodb.PutItemInput{TableName: aws.String(fixture.Tables["Table"]),
			Item: map[string]ddbtypes.AttributeValue{"PK": &ddbtypes.AttributeValueMemberS{Value: "direct"}, "SK": &ddbtypes.AttributeValueMemberS{Value: "t"}}}); err != nil {
			t.Fatalf("direct write: %v", err)
		}
	}
	if string(pattern) != "..x..x..x" {
		t.Errorf("writes = %s, want ..x..x..x (x: throttled)", pattern)
	}
	if th, pa := fixture.DynamoDBThrottled(); th-th0 != 3 || pa-pa0 != 6 {
		t.Errorf("counts moved by %d throttled, %d passed; want 3 and 6", th-th0, pa-pa0)
	}
}

func TestThrottleDynamoDBReachesTheFunctions(t *testing.T) {
	t.Cleanup(func() { fixture.ThrottleDynamoDB(0, 0) })
	put := func() string {
		t.Helper()
		res, err := fixture.Invoke(context.Background(), "EchoFunction", []byte(`{"action":"put","value":"from-fn"}`))
		if err != nil || res.FunctionError != "" {
			t.Fatalf("invoke: %v %s", err, res.Payload)
		}
		var out struct{ ErrorCode string }
		_ = json.Unmarshal(res.Payload, &out)
		return out.ErrorCode
	}
	tests := []struct {
		name     string
		fraction float64
		d        time.Duration
		wait     time.Duration
		want     string
	}{
		{"every write", 1, time.Minute, 0, "ProvisionedThroughputExceededException"},
		{"stopped", 0, 0, 0, ""},
		{"over once its time is up", 1, 300 * time.Millisecond, 500 * time.Millisecond, ""},
		{"until the next call", 1, 0, 0, "ProvisionedThroughputExceededException"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fixture.ThrottleDynamoDB(tt.fraction, tt.d)
			time.Sleep(tt.wait)
			if got := put(); got != tt.want {
				t.Errorf("the function's write: %q, want %q", got, tt.want)
			}
		})
	}
}
