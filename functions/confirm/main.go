// Command confirm is the Lambda that applies a confirmed import: it consumes
// import items queued on the table stream.
package main

import (
	"context"
	"fmt"
	"log/slog"
	"os"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambda"
)

type config struct {
	Table  string // TABLE_NAME
	Bucket string // BUCKET_NAME
}

func loadConfig() (config, error) {
	c := config{Table: os.Getenv("TABLE_NAME"), Bucket: os.Getenv("BUCKET_NAME")}
	if c.Table == "" || c.Bucket == "" {
		return c, fmt.Errorf("TABLE_NAME and BUCKET_NAME must be set")
	}
	return c, nil
}

func main() {
	log := slog.New(slog.NewJSONHandler(os.Stdout, nil))
	if _, err := loadConfig(); err != nil {
		log.Error("bad configuration", "err", err)
		os.Exit(1)
	}
	lambda.Start(func(ctx context.Context, ev events.DynamoDBEvent) (events.DynamoDBEventResponse, error) {
		log.Error("confirm is not implemented yet", "records", len(ev.Records))
		return events.DynamoDBEventResponse{}, fmt.Errorf("confirm: not implemented")
	})
}
