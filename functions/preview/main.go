// Command preview is the Lambda triggered when an upload lands in the imports
// bucket: it validates the file and records the preview on the import.
package main

import (
	"context"
	"errors"
	"os"
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
	Table          string `env:"TABLE_NAME,required,notEmpty"`
	Bucket         string `env:"BUCKET_NAME,required,notEmpty"`
	MaxUploadBytes int64  `env:"MAX_UPLOAD_BYTES,required"`
	S3PathStyle    bool   `env:"S3_USE_PATH_STYLE"` // S3-compatible stores, locally
}

func (c config) Check() error {
	if c.MaxUploadBytes <= 0 {
		return errors.New("MAX_UPLOAD_BYTES must be a positive number of bytes")
	}
	return nil
}

func main() {
	var cfg config
	env, err := lambdaenv.Load(context.Background(), &cfg)
	if err != nil {
		env.Log.Error("cannot start", "err", err)
		os.Exit(1)
	}
	db := dynamo.Count(dynamodb.NewFromConfig(env.AWS))
	limits := csvimport.DefaultLimits()
	limits.MaxBytes = cfg.MaxUploadBytes
	previewer := &app.Previewer{
		Store: dynamo.NewStore(db, cfg.Table),
		Files: blobs.New(env.S3(cfg.S3PathStyle), cfg.Bucket),
		Now:   time.Now, Limits: limits, Log: env.Log,
	}
	h := &eventsource.Uploads{Previewer: previewer, Log: env.Log, Counters: eventsource.DynamoDBRequests(db)}
	lambda.Start(h.Handle)
}
