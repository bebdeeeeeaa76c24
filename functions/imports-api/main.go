// Command imports-api is the Lambda behind the import routes of the HTTP API:
// upload URLs, previews, confirmation, history, files and templates.
package main

import (
	"context"
	"crypto/rand"
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
	lambdaenv.Table
	lambdaenv.Bucket
	lambdaenv.UploadLimit
}

func main() {
	var cfg config
	env := lambdaenv.MustLoad(context.Background(), &cfg)
	imports := &app.Imports{
		Store: dynamo.NewStore(dynamodb.NewFromConfig(env.AWS), cfg.TableName),
		Files: blobs.New(env.S3(cfg.Bucket), cfg.BucketName),
		Now:   time.Now, NewID: func() string { return roster.NewID(time.Now(), rand.Reader) },
		MaxUploadBytes: cfg.MaxUploadBytes, UploadExpiry: 10 * time.Minute, DownloadExpiry: 5 * time.Minute,
	}
	rt := httpapi.NewRouter(env.Log)
	httpapi.ImportsAPI(rt, imports)
	lambda.Start(rt.Serve)
}
