// Command users-api is the Lambda behind the day-to-day user management routes
// of the HTTP API, and the routes invited people use for themselves.
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
	lambdaenv.Bucket // signs download links of users exports
	lambdaenv.UsersIndex
	lambdaenv.TokenSecret // seals invitation tokens for the mailer; keys the users list's cursors
	// How often one person's invitation may be sent again.
	ResendInterval time.Duration `env:"RESEND_INTERVAL" envDefault:"1m"`
}

func main() {
	var cfg config
	ctx := context.Background()
	env := lambdaenv.MustLoad(ctx, &cfg)
	keys := env.MustTokenKeys(ctx, cfg.TokenSecret)
	var cursors app.CursorSigner
	if err := cursors.UnmarshalText([]byte(keys.Current)); err != nil {
		env.Fail(err)
	}
	store := dynamo.NewStore(dynamodb.NewFromConfig(env.AWS), cfg.TableName).UsersIndex(cfg.UsersIndexTable)
	newID := func() string { return roster.NewID(time.Now(), rand.Reader) }
	rt := httpapi.NewRouter(env.Log)
	httpapi.UsersAPI(rt, httpapi.UsersAPIServices{
		Schools: &app.Schools{Store: store},
		Users: &app.Users{Store: store, Links: store, Sealer: keys.Sealer, Cursors: &cursors, Now: time.Now,
			ResendInterval: cfg.ResendInterval},
		Groups:   &app.Groups{Store: store, Now: time.Now, NewID: newID},
		Invitees: &app.Invitees{Store: store, Now: time.Now},
		SendJobs: &app.SendJobs{Store: store, Now: time.Now, NewID: newID},
		Exports: &app.Exports{Store: store, Files: blobs.New(env.S3(cfg.Bucket), cfg.BucketName), Now: time.Now, NewID: newID,
			Log: env.Log, DownloadExpiry: 5 * time.Minute},
	})
	lambda.Start(rt.Serve)
}
