// Command imports-api is the Lambda behind the import routes of the HTTP API:
// upload URLs, previews, confirmation, history, files and templates.
package main

import (
	"context"
	"crypto/rand"
	"errors"
	"os"
	"time"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/schoolroster/rosterimport/internal/app"
	"github.com/schoolroster/rosterimport/internal/blobs"
	"github.com/schoolroster/rosterimport/internal/dynamo"
	"github.com/schoolroster/rosterimport/internal/httpapi"
	"github.com/schoolroster/rosterimport/internal/lambdaenv"
	"github.com/schoolroster/rosterimport/internal/roster"
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
	imports := &app.Imports{
		Store: dynamo.NewStore(dynamodb.NewFromConfig(env.AWS), cfg.Table),
		Files: blobs.New(env.S3(cfg.S3PathStyle), cfg.Bucket),
		Now:   time.Now, NewID: func() string { return roster.NewID(time.Now(), rand.Reader) },
		MaxUploadBytes: cfg.MaxUploadBytes, UploadExpiry: 10 * time.Minute, DownloadExpiry: 5 * time.Minute,
	}
	rt := httpapi.NewRouter(env.Log)
	httpapi.ImportsAPI(rt, imports)
	lambda.Start(rt.Serve)
}
