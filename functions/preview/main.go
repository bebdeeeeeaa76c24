// Command preview is the Lambda triggered when an upload lands in the imports
// bucket: it validates the file and records the preview on the import.
package main

import (
	"context"
	"time"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/schoolroster/rosterimport/internal/app"
	"github.com/schoolroster/rosterimport/internal/blobs"
	"github.com/schoolroster/rosterimport/internal/csvimport"
	"github.com/schoolroster/rosterimport/internal/dynamo"
	"github.com/schoolroster/rosterimport/internal/eventsource"
	"github.com/schoolroster/rosterimport/internal/lambdaenv"
)

type config struct {
	lambdaenv.Table
	lambdaenv.Bucket
	lambdaenv.UploadLimit
}

func main() {
	var cfg config
	env := lambdaenv.MustLoad(context.Background(), &cfg)
	db := dynamo.Count(dynamodb.NewFromConfig(env.AWS))
	limits := csvimport.DefaultLimits()
	limits.MaxBytes = cfg.MaxUploadBytes
	previewer := &app.Previewer{
		Store: dynamo.NewStore(db, cfg.TableName),
		Files: blobs.New(env.S3(cfg.Bucket), cfg.BucketName),
		Now:   time.Now, Limits: limits, Log: env.Log,
	}
	h := &eventsource.Uploads{Previewer: previewer, Log: env.Log, Counters: eventsource.DynamoDBRequests(db)}
	lambda.Start(h.Handle)
}
