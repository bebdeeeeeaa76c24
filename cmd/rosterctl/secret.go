package main

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/schoolroster/rosterimport/infra/local/emulators"
	"github.com/schoolroster/rosterimport/internal/roster"
)

// localSecretARN is the ARN the local stack (stack name roster-local) gives
// TokenSealingSecret; make run keeps the secret's value in the state folder
// under that ARN with ':' as '_' (infra/local/secrets.go).
const localSecretARN = "arn:aws:secretsmanager:" + emulators.Region + ":" + emulators.Account + ":secret:roster-local-TokenSealingSecret"

// localSecretPath is the file of the local stack's sealing secret.
func localSecretPath(stateDir string) string {
	return filepath.Join(stateDir, "secrets", strings.ReplaceAll(localSecretARN, ":", "_"))
}

// loadSealer returns the sealer of the token sealing secret o names, and
// where it came from, for the log (never the secret): --token-secret-arn
// from Secrets Manager; with --local, the local stack's; else TOKEN_SECRET.
// Without any, the sealer is nil and invitations are held.
// Errors: the secret cannot be read, or is too short to be the stack's;
// --send without a secret.
func loadSealer(ctx context.Context, o createOptions, c clients) (*roster.Sealer, string, error) {
	var value, source string
	switch {
	case o.SecretARN != "":
		if c.ReadSecret == nil {
			return nil, "", errors.New("no Secrets Manager client for --token-secret-arn")
		}
		v, err := c.ReadSecret(ctx, o.SecretARN)
		if err != nil {
			return nil, "", fmt.Errorf("read the token sealing secret %s: %w", o.SecretARN, err)
		}
		value, source = v, "token sealing secret from Secrets Manager"
	case o.Local:
		path := localSecretPath(c.StateDir)
		b, err := os.ReadFile(path)
		switch {
		case errors.Is(err, fs.ErrNotExist) && o.Send:
			return nil, "", fmt.Errorf("--send needs the local stack's token sealing secret, and there is none yet (%s): start make run once, then run this again", path)
		case errors.Is(err, fs.ErrNotExist):
			return nil, "no token sealing secret: the local stack has made none yet (start make run once)", nil
		case err != nil:
			return nil, "", fmt.Errorf("read the local stack's token sealing secret: %w", err)
		}
		value, source = string(b), "the local stack's token sealing secret"
	case o.EnvSecret != "":
		value, source = string(o.EnvSecret), "token sealing secret from TOKEN_SECRET"
	default:
		return nil, "no token sealing secret (--token-secret-arn or TOKEN_SECRET)", nil
	}
	sealer, err := roster.NewSealer(value)
	if err != nil {
		return nil, "", fmt.Errorf("the %s is not the stack's: %w", source, err)
	}
	return sealer, source, nil
}
