// Command imports-api is the Lambda behind the import routes of the HTTP API:
// upload URLs, previews, confirmation, history, files and templates.
package main

import (
	"context"
	"crypto/rand"
	"fmt"
	"log/slog"
	"os"
	"strconv"
	"time"

	"github.com/aws/aws-lambda-go/lambda"
	awsconfig "github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/schoolroster/rosterimport/internal/app"
	"github.com/schoolroster/rosterimport/internal/blobs"
	"github.com/schoolroster/rosterimport/internal/dynamo"
	"github.com/schoolroster/rosterimport/internal/httpapi"
	"github.com/schoolroster/rosterimport/internal/roster"
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
	store := dynamo.NewStore(dynamodb.NewFromConfig(awsCfg), cfg.Table)
	files := blobs.New(s3.NewFromConfig(awsCfg, func(o *s3.Options) { o.UsePathStyle = cfg.S3PathStyle }), cfg.Bucket)
	svc := &app.Imports{
		Store: store, Files: files, Now: time.Now,
		NewID:          func() string { return roster.NewID(time.Now(), rand.Reader) },
		MaxUploadBytes: cfg.MaxUploadBytes, UploadExpiry: 10 * time.Minute, DownloadExpiry: 5 * time.Minute,
	}
	rt := httpapi.NewRouter(log)
	httpapi.ImportsAPI(rt, svc)
	lambda.Start(rt.Serve)
}
