// Command mailer is the Lambda that sends invitation emails through SES v2 for
// users whose mail status became queued on the table stream.
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
	Table        string // TABLE_NAME
	Sender       string // SENDER_EMAIL
	TemplateName string // INVITATION_TEMPLATE
	AppBaseURL   string // APP_BASE_URL
}

func loadConfig() (config, error) {
	c := config{
		Table: os.Getenv("TABLE_NAME"), Sender: os.Getenv("SENDER_EMAIL"),
		TemplateName: os.Getenv("INVITATION_TEMPLATE"), AppBaseURL: os.Getenv("APP_BASE_URL"),
	}
	if c.Table == "" || c.Sender == "" || c.TemplateName == "" || c.AppBaseURL == "" {
		return c, fmt.Errorf("TABLE_NAME, SENDER_EMAIL, INVITATION_TEMPLATE and APP_BASE_URL must be set")
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
		log.Error("mailer is not implemented yet", "records", len(ev.Records))
		return events.DynamoDBEventResponse{}, fmt.Errorf("mailer: not implemented")
	})
}
