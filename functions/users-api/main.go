// Command users-api is the Lambda behind the day-to-day user management routes
// of the HTTP API.
package main

import (
	"context"
	"fmt"
	"log/slog"
	"os"

	"github.com/aws/aws-lambda-go/lambda"
	awsconfig "github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/schoolroster/rosterimport/internal/app"
	"github.com/schoolroster/rosterimport/internal/dynamo"
	"github.com/schoolroster/rosterimport/internal/httpapi"
)

type config struct {
	Table string // TABLE_NAME
}

func loadConfig() (config, error) {
	c := config{Table: os.Getenv("TABLE_NAME")}
	if c.Table == "" {
		return c, fmt.Errorf("TABLE_NAME is not set")
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
	awsCfg, err := awsconfig.LoadDefaultConfig(context.Background())
	if err != nil {
		log.Error("load AWS config", "err", err)
		os.Exit(1)
	}
	store := dynamo.NewStore(dynamodb.NewFromConfig(awsCfg), cfg.Table)
	rt := httpapi.NewRouter(log)
	httpapi.UsersAPI(rt, &app.Schools{Store: store})
	lambda.Start(rt.Serve)
}
