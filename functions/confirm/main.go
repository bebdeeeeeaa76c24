// Command confirm is the Lambda that applies a confirmed import: it consumes
// import items queued on the table stream.
package main

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	awsconfig "github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/schoolroster/rosterimport/internal/app"
	"github.com/schoolroster/rosterimport/internal/blobs"
	"github.com/schoolroster/rosterimport/internal/dynamo"
	"github.com/schoolroster/rosterimport/internal/roster"
	"github.com/schoolroster/rosterimport/internal/streamimage"
)

type config struct {
	Table       string // TABLE_NAME
	Bucket      string // BUCKET_NAME
	TokenSecret string // TOKEN_SECRET: seals invitation tokens for the mailer
	S3PathStyle bool   // S3_USE_PATH_STYLE (S3-compatible stores, locally)
}

func loadConfig() (config, error) {
	c := config{Table: os.Getenv("TABLE_NAME"), Bucket: os.Getenv("BUCKET_NAME"), TokenSecret: os.Getenv("TOKEN_SECRET"),
		S3PathStyle: os.Getenv("S3_USE_PATH_STYLE") == "true"}
	if c.Table == "" || c.Bucket == "" || c.TokenSecret == "" {
		return c, fmt.Errorf("TABLE_NAME, BUCKET_NAME and TOKEN_SECRET must be set")
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
	// A school's writes share one partition: throttling is expected at term
	// start, so retry it patiently rather than fail the batch.
	awsCfg, err := awsconfig.LoadDefaultConfig(context.Background(), awsconfig.WithRetryer(func() aws.Retryer {
		return retry.NewStandard(func(o *retry.StandardOptions) { o.MaxAttempts = 10; o.MaxBackoff = 20 * time.Second })
	}))
	if err != nil {
		log.Error("load AWS config", "err", err)
		os.Exit(1)
	}
	db := dynamo.Count(dynamodb.NewFromConfig(awsCfg))
	c := &app.Confirmer{
		Store:  dynamo.NewStore(db, cfg.Table),
		Files:  blobs.New(s3.NewFromConfig(awsCfg, func(o *s3.Options) { o.UsePathStyle = cfg.S3PathStyle }), cfg.Bucket),
		Sealer: sealer, Now: time.Now, Log: log,
	}
	lambda.Start(func(ctx context.Context, ev events.DynamoDBEvent) (events.DynamoDBEventResponse, error) {
		reads0, writes0 := db.Reads.Load(), db.Writes.Load()
		var resp events.DynamoDBEventResponse
		for i, rec := range ev.Records {
			schoolID, importID := streamimage.String(rec.Change.NewImage, "schoolId"), streamimage.String(rec.Change.NewImage, "importId")
			if err := c.Queued(ctx, schoolID, importID, rec.Change.SequenceNumber); err != nil {
				log.Error("confirm failed; the record will be redelivered", "schoolId", schoolID, "importId", importID, "err", err)
				// Lambda retries from the first failure; the rest come with it.
				for _, r := range ev.Records[i:] {
					resp.BatchItemFailures = append(resp.BatchItemFailures, events.DynamoDBBatchItemFailure{ItemIdentifier: r.Change.SequenceNumber})
				}
				break
			}
		}
		log.Info("invocation done", "records", len(ev.Records), "failed", len(resp.BatchItemFailures),
			"dynamodbReads", db.Reads.Load()-reads0, "dynamodbWrites", db.Writes.Load()-writes0)
		return resp, nil
	})
}
