package lambdaenv

import (
	"context"
	"errors"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager/types"

	"github.com/schoolroster/rosterimport/internal/roster"
)

// TokenSecret is the configuration of a function that seals or opens
// invitation tokens: the ARN of the sealing secret, read at start-up with a
// GetSecretValue the function's policy scopes to that secret (never put in
// the environment, where lambda:GetFunctionConfiguration would show it).
type TokenSecret struct {
	TokenSecretARN string `env:"TOKEN_SECRET_ARN,required,notEmpty"`
}

// SecretReader is the part of the Secrets Manager client the sealer needs.
type SecretReader interface {
	GetSecretValue(context.Context, *secretsmanager.GetSecretValueInput, ...func(*secretsmanager.Options)) (*secretsmanager.GetSecretValueOutput, error)
}

var _ SecretReader = (*secretsmanager.Client)(nil)

// TokenKeys are what a function makes of the token secret.
type TokenKeys struct {
	Sealer  *roster.Sealer // seals with the current version, opens with it or the previous
	Current string         // the current version, for what else it keys (the users list's cursors)
}

// ReadTokenKeys reads the secret's current version, and its previous one
// when there is one (after a rotation): invitations sealed before a
// rotation still open, so none queued is lost.
// Errors: the secret cannot be read, or a version is too short.
func ReadTokenKeys(ctx context.Context, sm SecretReader, t TokenSecret) (TokenKeys, error) {
	current, err := secretVersion(ctx, sm, t.TokenSecretARN, "AWSCURRENT")
	if err != nil {
		return TokenKeys{}, err
	}
	var older []string
	previous, err := secretVersion(ctx, sm, t.TokenSecretARN, "AWSPREVIOUS")
	var nf *types.ResourceNotFoundException
	switch {
	case errors.As(err, &nf): // never rotated
	case err != nil:
		return TokenKeys{}, err
	default:
		older = append(older, previous)
	}
	sealer, err := roster.NewSealer(current, older...)
	if err != nil {
		return TokenKeys{}, fmt.Errorf("token secret %s: %w", t.TokenSecretARN, err)
	}
	return TokenKeys{Sealer: sealer, Current: current}, nil
}

func secretVersion(ctx context.Context, sm SecretReader, arn, stage string) (string, error) {
	out, err := sm.GetSecretValue(ctx, &secretsmanager.GetSecretValueInput{SecretId: &arn, VersionStage: &stage})
	if err != nil {
		return "", fmt.Errorf("read the token secret (%s): %w", stage, err)
	}
	return aws.ToString(out.SecretString), nil
}

// MustTokenKeys is ReadTokenKeys for a main: it logs why and exits when
// the secret cannot be read, as Lambda expects of a failed init.
func (e Env) MustTokenKeys(ctx context.Context, t TokenSecret) TokenKeys {
	k, err := ReadTokenKeys(ctx, secretsmanager.NewFromConfig(e.AWS), t)
	if err != nil {
		e.Fail(err)
	}
	return k
}
