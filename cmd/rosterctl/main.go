// Command rosterctl is the operators' command line of the roster import
// service. It creates a school with its default groups and invites its first
// owner, in the deployed table or in the local stack of `make run`:
//
//	rosterctl school create --id hill --name "Hill School" --owner head@hill.school --table TABLE [--token-secret-arn ARN] [--send]
//	rosterctl school create --id hill --name "Hill School" --owner head@hill.school --local [--send]
//
// main wires the AWS clients; cli.go reads the flags, school.go does the work.
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsconfig "github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"

	"github.com/schoolroster/rosterimport/infra/local"
	"github.com/schoolroster/rosterimport/infra/local/emulators"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], env{Stdout: os.Stdout, Stderr: os.Stderr, Getenv: os.Getenv, Connect: connect})
	stop()
	os.Exit(code)
}

// connect builds the clients o asks for: the local stack's (its
// credentials, region and state folder) with --local, otherwise AWS's from
// the default credential chain.
func connect(ctx context.Context, o createOptions) (clients, error) {
	if o.Local {
		root, err := local.FindRoot()
		if err != nil {
			return clients{}, fmt.Errorf("--local runs inside the repository, where make run keeps .local/: %w", err)
		}
		cfg := aws.Config{
			Region:      emulators.Region,
			Credentials: credentials.NewStaticCredentialsProvider(emulators.AccessKeyID, emulators.SecretKey, ""),
		}
		db := dynamodb.NewFromConfig(cfg, func(opt *dynamodb.Options) { opt.BaseEndpoint = aws.String(o.EndpointURL) })
		return clients{DynamoDB: db, Where: "the local stack at " + o.EndpointURL, StateDir: filepath.Join(root, ".local")}, nil
	}
	var opts []func(*awsconfig.LoadOptions) error
	if o.Region != "" {
		opts = append(opts, awsconfig.WithRegion(o.Region))
	}
	cfg, err := awsconfig.LoadDefaultConfig(ctx, opts...)
	if err != nil {
		return clients{}, fmt.Errorf("load the AWS configuration: %w", err)
	}
	if cfg.Region == "" {
		return clients{}, fmt.Errorf("no AWS region: give --region (the stack's region) or set AWS_REGION")
	}
	c := clients{Where: "region " + cfg.Region}
	c.DynamoDB = dynamodb.NewFromConfig(cfg, func(opt *dynamodb.Options) {
		if o.EndpointURL != "" {
			opt.BaseEndpoint = aws.String(o.EndpointURL)
		}
	})
	if o.EndpointURL != "" {
		c.Where = o.EndpointURL
	}
	if o.SecretARN != "" {
		sm := secretsmanager.NewFromConfig(cfg, func(opt *secretsmanager.Options) {
			if r := arnRegion(o.SecretARN); r != "" {
				opt.Region = r // the secret's own region, whatever the table's
			}
		})
		c.ReadSecret = func(ctx context.Context, arn string) (string, error) {
			out, err := sm.GetSecretValue(ctx, &secretsmanager.GetSecretValueInput{SecretId: aws.String(arn)})
			if err != nil {
				return "", err
			}
			if out.SecretString == nil {
				return "", fmt.Errorf("the secret has no string value")
			}
			return *out.SecretString, nil
		}
	}
	return c, nil
}

// arnRegion is the region field of an ARN, "" if it has none.
func arnRegion(arn string) string {
	parts := strings.SplitN(arn, ":", 5)
	if len(parts) < 5 {
		return ""
	}
	return parts[3]
}
