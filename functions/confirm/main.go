// Command confirm is the Lambda that does the background work queued in the
// table: it applies confirmed imports, sends all held invitations and
// exports a school's users, as the stream delivers import, send-job and
// export items whose status became queued.
package main

import (
	"context"
	"time"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/schoolroster/rosterimport/internal/app"
	"github.com/schoolroster/rosterimport/internal/blobs"
	"github.com/schoolroster/rosterimport/internal/dynamo"
	"github.com/schoolroster/rosterimport/internal/eventsource"
	"github.com/schoolroster/rosterimport/internal/lambdaenv"
)

type config struct {
	lambdaenv.Table
	lambdaenv.Bucket
	lambdaenv.TokenSecret // seals invitation tokens for the mailer
}

func main() {
	var cfg config
	ctx := context.Background()
	env := lambdaenv.MustLoad(ctx, &cfg, lambdaenv.PatientRetries())
	keys := env.MustTokenKeys(ctx, cfg.TokenSecret)
	db := dynamo.Count(dynamodb.NewFromConfig(env.AWS))
	store := dynamo.NewStore(db, cfg.TableName)
	files := blobs.New(env.S3(cfg.Bucket), cfg.BucketName)
	confirmer := &app.Confirmer{
		Store: store, Files: files,
		Sealer: keys.Sealer, Now: time.Now, Log: env.Log,
	}
	sendJobs := &app.SendJobs{Store: store, Sealer: keys.Sealer, Now: time.Now, Log: env.Log}
	exports := &app.Exports{Store: store, Files: files, Now: time.Now, Log: env.Log}
	h := &eventsource.QueuedWork{Confirmer: confirmer, SendJobs: sendJobs, Exports: exports, Log: env.Log, Counters: eventsource.DynamoDBRequests(db)}
	lambda.Start(h.Handle)
}
