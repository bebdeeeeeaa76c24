// Command mailer is the Lambda that sends invitation emails through SES v2 for
// users whose mail status became queued on the table stream.
package main

import (
	"context"
	"time"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/sesv2"

	"github.com/schoolroster/rosterimport/internal/app"
	"github.com/schoolroster/rosterimport/internal/dynamo"
	"github.com/schoolroster/rosterimport/internal/eventsource"
	"github.com/schoolroster/rosterimport/internal/lambdaenv"
	"github.com/schoolroster/rosterimport/internal/mail"
)

type config struct {
	lambdaenv.Table
	Sender                string `env:"SENDER_EMAIL,required,notEmpty"`
	TemplateName          string `env:"INVITATION_TEMPLATE,required,notEmpty"`
	AppBaseURL            string `env:"APP_BASE_URL,required,notEmpty"` // accept links are {APP_BASE_URL}/accept?token=...
	lambdaenv.TokenSecret        // opens the tokens confirm sealed
	DailyLimit            int    `env:"SCHOOL_DAILY_INVITATION_LIMIT,required"` // a school's invitations a UTC day; 0: none
}

func main() {
	ctx := context.Background()
	var cfg config
	env := lambdaenv.MustLoad(ctx, &cfg)
	keys := env.MustTokenKeys(ctx, cfg.TokenSecret)
	// Marking mail sent must outlast throttling: a mark lost to the SDK's
	// client-side retry quota leaves the mail claimed, and the sweeper would
	// send it again. SES keeps the default: the mailer handles its waits.
	db := dynamo.Count(dynamodb.NewFromConfig(env.AWS, func(o *dynamodb.Options) { o.Retryer = lambdaenv.PatientRetryer() }))
	sender := mail.NewSender(sesv2.NewFromConfig(env.AWS), cfg.Sender, cfg.TemplateName)
	maxRate, err := sender.MaxSendRate(ctx)
	if err != nil {
		// Sending still works; pace at the sandbox rate until a new container.
		env.Log.Warn("could not read the SES sending rate; pacing at 1 email a second", "err", err)
		maxRate = 1
	}
	store := dynamo.NewStore(db, cfg.TableName)
	rate, turn := app.PaceFor(maxRate)
	mailer := &app.Mailer{
		Store: store, Sender: sender, Sealer: keys.Sealer, AppBaseURL: cfg.AppBaseURL, DailyLimit: cfg.DailyLimit,
		Pacer: &app.AccountPacer{Store: store, Rate: rate, Now: time.Now}, TurnSize: turn, Now: time.Now, Log: env.Log,
	}
	counters := append(eventsource.DynamoDBRequests(db), eventsource.Counter{Name: "sesCalls", Load: sender.Calls.Load})
	h := &eventsource.QueuedMails{Mailer: mailer, Log: env.Log, Counters: counters}
	lambda.Start(h.Handle)
}
