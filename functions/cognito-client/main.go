// Command cognito-client is the Lambda behind the ConsoleClientOAuth custom
// resource of template.yaml: once the console's Cognito app client and the
// HTTP API both exist, it sets the client's OAuth settings (the code flow,
// scopes, and the API's /callback and / as callback and logout URLs), which
// the client resource cannot name without a circular dependency. See
// internal/cognitoclient.
package main

import (
	"context"

	"github.com/aws/aws-lambda-go/cfn"
	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"

	"github.com/schoolroster/rosterimport/internal/cognitoclient"
	"github.com/schoolroster/rosterimport/internal/lambdaenv"
)

func main() {
	var cfg struct{} // everything it needs comes with each event
	env := lambdaenv.MustLoad(context.Background(), &cfg)
	lambda.Start(cfn.LambdaWrap(cognitoclient.Handler(cognitoidentityprovider.NewFromConfig(env.AWS))))
}
