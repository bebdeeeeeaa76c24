// Command indexer is the Lambda that keeps the users list's index in step
// with user items, from the table stream.
package main

import (
	"context"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/schoolroster/rosterimport/internal/dynamo"
	"github.com/schoolroster/rosterimport/internal/eventsource"
	"github.com/schoolroster/rosterimport/internal/lambdaenv"
)

type config struct {
	lambdaenv.Table
	lambdaenv.UsersIndex
}

func main() {
	var cfg config
	env := lambdaenv.MustLoad(context.Background(), &cfg, lambdaenv.PatientRetries())
	db := dynamo.Count(dynamodb.NewFromConfig(env.AWS))
	store := dynamo.NewStore(db, cfg.TableName).UsersIndex(cfg.UsersIndexTable)
	h := &eventsource.UserChanges{Indexer: store, Log: env.Log, Counters: eventsource.DynamoDBRequests(db)}
	lambda.Start(h.Handle)
}
