// Command sweeper is the scheduled Lambda that re-drives waiting work past
// its bound: invitation mail whose stream record was lost or whose worker
// died, mail deferred for the quota whose time has come, previews that will
// not finish and imports that stalled (docs/architecture.md, "Nothing stuck").
package main

import (
	"context"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/schoolroster/rosterimport/internal/app"
	"github.com/schoolroster/rosterimport/internal/dynamo"
	"github.com/schoolroster/rosterimport/internal/eventsource"
	"github.com/schoolroster/rosterimport/internal/lambdaenv"
)

type config struct {
	lambdaenv.Table
}

func main() {
	var cfg config
	env := lambdaenv.MustLoad(context.Background(), &cfg, lambdaenv.PatientRetries())
	db := dynamo.Count(dynamodb.NewFromConfig(env.AWS))
	sweeper := &app.Sweeper{Store: dynamo.NewStore(db, cfg.TableName), Shards: dynamo.DueShards, Log: env.Log}
	h := &eventsource.Schedule{Sweeper: sweeper, Log: env.Log, Counters: eventsource.DynamoDBRequests(db)}
	lambda.Start(h.Handle)
}
