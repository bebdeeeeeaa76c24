// Command imports-api is the Lambda behind the import routes of the HTTP API:
// upload URLs, previews, confirmation, history, files and templates.
package main

import (
	"fmt"
	"log/slog"
	"os"

	"github.com/aws/aws-lambda-go/lambda"

	"github.com/schoolroster/rosterimport/internal/httpapi"
)

type config struct {
	Table  string // TABLE_NAME
	Bucket string // BUCKET_NAME
}

func loadConfig() (config, error) {
	c := config{Table: os.Getenv("TABLE_NAME"), Bucket: os.Getenv("BUCKET_NAME")}
	if c.Table == "" || c.Bucket == "" {
		return c, fmt.Errorf("TABLE_NAME and BUCKET_NAME must be set")
	}
	return c, nil
}

func main() {
	log := slog.New(slog.NewJSONHandler(os.Stdout, nil))
	if _, err := loadConfig(); err != nil {
		log.Error("bad configuration", "err", err)
		os.Exit(1)
	}
	// No import route has a handler yet: the router answers each with
	// 501 not_implemented instead of pretending to work.
	rt := httpapi.NewRouter(log)
	lambda.Start(rt.Serve)
}
