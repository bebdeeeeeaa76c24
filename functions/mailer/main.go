// Command mailer is the Lambda that sends invitation emails through SES v2 for
// users whose mail status became queued on the table stream.
package main

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"strconv"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambda"
	awsconfig "github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/sesv2"

	"github.com/schoolroster/rosterimport/internal/app"
	"github.com/schoolroster/rosterimport/internal/dynamo"
	"github.com/schoolroster/rosterimport/internal/mail"
	"github.com/schoolroster/rosterimport/internal/roster"
	"github.com/schoolroster/rosterimport/internal/streamimage"
)

type config struct {
	Table        string // TABLE_NAME
	Sender       string // SENDER_EMAIL
	TemplateName string // INVITATION_TEMPLATE
	AppBaseURL   string // APP_BASE_URL: accept links are {APP_BASE_URL}/accept?token=...
	TokenSecret  string // TOKEN_SECRET: opens the tokens confirm sealed
}

func loadConfig() (config, error) {
	c := config{
		Table: os.Getenv("TABLE_NAME"), Sender: os.Getenv("SENDER_EMAIL"), TemplateName: os.Getenv("INVITATION_TEMPLATE"),
		AppBaseURL: os.Getenv("APP_BASE_URL"), TokenSecret: os.Getenv("TOKEN_SECRET"),
	}
	if c.Table == "" || c.Sender == "" || c.TemplateName == "" || c.AppBaseURL == "" || c.TokenSecret == "" {
		return c, fmt.Errorf("TABLE_NAME, SENDER_EMAIL, INVITATION_TEMPLATE, APP_BASE_URL and TOKEN_SECRET must be set")
	}
	return c, nil
}

func main() {
	log := slog.New(slog.NewJSONHandler(os.Stdout, nil))
	cfg, err := loadConfig()
	if err != nil {
		log.Error("bad configuration", "err", err)
		os.Exit(1)
	}
	sealer, err := roster.NewSealer(cfg.TokenSecret)
	if err != nil {
		log.Error("bad configuration", "err", err)
		os.Exit(1)
	}
	awsCfg, err := awsconfig.LoadDefaultConfig(context.Background())
	if err != nil {
		log.Error("load AWS config", "err", err)
		os.Exit(1)
	}
	db := dynamo.Count(dynamodb.NewFromConfig(awsCfg))
	sender := mail.NewSender(sesv2.NewFromConfig(awsCfg), cfg.Sender, cfg.TemplateName)
	rate, err := sender.MaxSendRate(context.Background())
	if err != nil {
		// Sending still works; pace at the sandbox rate until a new container.
		log.Warn("could not read the SES sending rate; pacing at 1 email a second", "err", err)
		rate = 1
	}
	m := &app.Mailer{
		Store: dynamo.NewStore(db, cfg.Table), Sender: sender, Sealer: sealer, AppBaseURL: cfg.AppBaseURL,
		Pacer: &app.Pacer{Rate: rate}, Now: time.Now, Log: log,
	}
	lambda.Start(func(ctx context.Context, ev events.DynamoDBEvent) (events.DynamoDBEventResponse, error) {
		calls0, writes0 := sender.Calls.Load(), db.Writes.Load()
		var queued []app.QueuedMail
		for _, rec := range ev.Records {
			img := rec.Change.NewImage
			n, _ := strconv.Atoi(streamimage.String(img, "sendCount"))
			queued = append(queued, app.QueuedMail{RecordID: rec.Change.SequenceNumber, SchoolID: streamimage.String(img, "schoolId"),
				Email: streamimage.String(img, "email"), SendCount: n})
		}
		var resp events.DynamoDBEventResponse
		for _, id := range m.Send(ctx, queued) {
			resp.BatchItemFailures = append(resp.BatchItemFailures, events.DynamoDBBatchItemFailure{ItemIdentifier: id})
		}
		log.Info("invocation done", "records", len(ev.Records), "retry", len(resp.BatchItemFailures),
			"sesCalls", sender.Calls.Load()-calls0, "dynamodbWrites", db.Writes.Load()-writes0)
		return resp, nil
	})
}
