// Command console is the Lambda that serves the admin console on the API's
// own origin: the built app (embedded) on the unauthenticated routes /,
// /accept, /callback, /config.json and /assets/*.
package main

import (
	"context"
	"strings"

	"github.com/aws/aws-lambda-go/lambda"

	"github.com/schoolroster/rosterimport/console"
	"github.com/schoolroster/rosterimport/internal/lambdaenv"
	"github.com/schoolroster/rosterimport/internal/webconsole"
)

type config struct {
	Issuer   string `env:"OIDC_ISSUER,required,notEmpty"`
	ClientID string `env:"OIDC_CLIENT_ID,required,notEmpty"`
	Scope    string `env:"OIDC_SCOPE" envDefault:"openid email profile"`
	// Where signing out ends the issuer's session when its discovery
	// document names no end_session_endpoint (Cognito's hosted UI).
	LogoutEndpoint string `env:"OIDC_LOGOUT_ENDPOINT"`
	// Origins the app calls besides its own (the issuer's sign-in domain,
	// the bucket uploads go to), space-separated.
	ConnectSrc string `env:"CONNECT_SRC"`
	// Set on the local stack only: the S3 endpoint presigned URLs point at.
	S3Endpoint string `env:"AWS_ENDPOINT_URL_S3"`
}

func main() {
	var cfg config
	env := lambdaenv.MustLoad(context.Background(), &cfg)
	site := &webconsole.Site{Files: console.Files(), Log: env.Log, Config: webconsole.Config{
		Issuer: cfg.Issuer, ClientID: cfg.ClientID, Scope: cfg.Scope, LogoutEndpoint: cfg.LogoutEndpoint,
		ConnectSrc: append(strings.Fields(cfg.ConnectSrc), cfg.S3Endpoint),
	}}
	lambda.Start(site.Serve)
}
