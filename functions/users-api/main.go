// Command users-api is the Lambda behind the day-to-day user management routes
// of the HTTP API.
package main

import (
	"context"
	"os"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/schoolroster/rosterimport/internal/app"
	"github.com/schoolroster/rosterimport/internal/dynamo"
	"github.com/schoolroster/rosterimport/internal/httpapi"
	"github.com/schoolroster/rosterimport/internal/lambdaenv"
)

type config struct {
	Table string `env:"TABLE_NAME,required,notEmpty"`
}

func main() {
	var cfg config
	env, err := lambdaenv.Load(context.Background(), &cfg)
	if err != nil {
		env.Log.Error("cannot start", "err", err)
		os.Exit(1)
	}
	schools := &app.Schools{Store: dynamo.NewStore(dynamodb.NewFromConfig(env.AWS), cfg.Table)}
	rt := httpapi.NewRouter(env.Log)
	httpapi.UsersAPI(rt, schools)
	lambda.Start(rt.Serve)
}
