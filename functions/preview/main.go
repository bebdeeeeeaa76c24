// Command preview is the Lambda triggered when an upload lands in the imports
// bucket: it validates the file and records the preview on the import.
package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"os"
	"strconv"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambda"
	awsconfig "github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/schoolroster/rosterimport/internal/app"
	"github.com/schoolroster/rosterimport/internal/blobs"
	"github.com/schoolroster/rosterimport/internal/csvimport"
	"github.com/schoolroster/rosterimport/internal/dynamo"
)

type config struct {
	Table          string // TABLE_NAME
	Bucket         string // BUCKET_NAME
	MaxUploadBytes int64  // MAX_UPLOAD_BYTES
	S3PathStyle    bool   // S3_USE_PATH_STYLE (S3-compatible stores, locally)
}

func loadConfig() (config, error) {
	c := config{Table: os.Getenv("TABLE_NAME"), Bucket: os.Getenv("BUCKET_NAME"), S3PathStyle: os.Getenv("S3_USE_PATH_STYLE") == "true"}
	if c.Table == "" || c.Bucket == "" {
		return c, fmt.Errorf("TABLE_NAME and BUCKET_NAME must be set")
	}
	n, err := strconv.ParseInt(os.Getenv("MAX_UPLOAD_BYTES"), 10, 64)
	if err != nil || n <= 0 {
		return c, fmt.Errorf("MAX_UPLOAD_BYTES must be a positive number of bytes, got %q", os.Getenv("MAX_UPLOAD_BYTES"))
	}
	c.MaxUploadBytes = n
	return c, nil
}

func main() {
	log := slog.New(slog.NewJSONHandler(os.Stdout, nil))
	cfg, err := loadConfig()
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
	limits := csvimport.DefaultLimits()
	limits.MaxBytes = cfg.MaxUploadBytes
	p := &app.Previewer{
		Store: dynamo.NewStore(db, cfg.Table),
		Files: blobs.New(s3.NewFromConfig(awsCfg, func(o *s3.Options) { o.UsePathStyle = cfg.S3PathStyle }), cfg.Bucket),
		Now:   time.Now, Limits: limits, Log: log,
	}
	lambda.Start(func(ctx context.Context, ev events.S3Event) error {
		reads0, writes0 := db.Reads.Load(), db.Writes.Load()
		var errs []error
		for _, rec := range ev.Records {
			key, err := url.QueryUnescape(rec.S3.Object.Key)
			if err != nil {
				log.Warn("undecodable object key; ignored", "err", err)
				continue
			}
			// The sequencer tells this write of the key from any other.
			claim := rec.S3.Object.Sequencer
			if claim == "" {
				claim = rec.S3.Object.ETag
			}
			if err := p.Uploaded(ctx, key, rec.S3.Object.Size, claim); err != nil {
				log.Error("preview failed; will be retried", "key", key, "err", err)
				errs = append(errs, err)
			}
		}
		log.Info("invocation done", "records", len(ev.Records), "dynamodbReads", db.Reads.Load()-reads0, "dynamodbWrites", db.Writes.Load()-writes0)
		return errors.Join(errs...)
	})
}
