// Command users-api is the Lambda behind the day-to-day user management routes
// of the HTTP API.
package main

import (
	"context"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/schoolroster/rosterimport/internal/app"
	"github.com/schoolroster/rosterimport/internal/dynamo"
	"github.com/schoolroster/rosterimport/internal/httpapi"
	"github.com/schoolroster/rosterimport/internal/lambdaenv"
)

type config struct {
	lambdaenv.Table
}

func main() {
	var cfg config
	env := lambdaenv.MustLoad(context.Background(), &cfg)
	schools := &app.Schools{Store: dynamo.NewStore(dynamodb.NewFromConfig(env.AWS), cfg.TableName)}
	rt := httpapi.NewRouter(env.Log)
	httpapi.UsersAPI(rt, schools)
	lambda.Start(rt.Serve)
}
