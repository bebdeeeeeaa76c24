package local

import (
	"fmt"
	"maps"
	"net"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/schoolroster/rosterimport/infra/local/secretstore"
)

// This file is the stack's Secrets Manager, local only: the template's
// AWS::SecretsManager::Secret resources with values made here (random, kept
// under the state folder by make run), served to the functions on
// AWS_ENDPOINT_URL_SECRETS_MANAGER and put in {{resolve:secretsmanager}}
// references.

var dynamicRef = regexp.MustCompile(`\{\{resolve:secretsmanager:(arn:aws:secretsmanager:[^:]+:[^:]+:secret:[^:}]+)(?::SecretString)?\}\}`)

// startSecrets declares the template's secrets and serves the Secrets
// Manager API for them.
func (s *Stack) startSecrets() error {
	dir := ""
	if s.opts.Persist {
		dir = filepath.Join(s.opts.StateDir, "secrets")
	}
	s.secrets = secretstore.New(dir)
	for _, id := range slices.Sorted(maps.Keys(s.Template.Resources)) {
		res := s.Template.Resources[id]
		if res.Type != "AWS::SecretsManager::Secret" {
			continue
		}
		var p struct {
			SecretString         string
			GenerateSecretString *struct {
				PasswordLength                          int
				SecretStringTemplate, GenerateStringKey string
			}
		}
		if err := s.resolver.Decode(res.Properties, &p); err != nil {
			return fmt.Errorf("secret %s: %w", id, err)
		}
		gen := secretstore.Generator{Length: 64, Value: p.SecretString} // neither property: a value all the same
		if g := p.GenerateSecretString; g != nil {
			gen = secretstore.Generator{Length: g.PasswordLength, Template: g.SecretStringTemplate, Key: g.GenerateStringKey}
		}
		if err := s.secrets.Declare(s.resolver.Refs[id], gen); err != nil {
			return fmt.Errorf("secret %s: %w", id, err)
		}
	}
	ln, err := net.Listen("tcp", "127.0.0.1:"+strconv.Itoa(s.opts.Ports.SecretsManager))
	if err != nil {
		return fmt.Errorf("Secrets Manager port: %w", err)
	}
	s.SecretsManagerURL = "http://" + ln.Addr().String()
	s.serve(ln, s.secrets)
	return nil
}

// resolveDynamicRefs replaces {{resolve:secretsmanager:ARN:SecretString}}
// with the current value of that secret, as CloudFormation does at deploy:
// a rotation does not change it until the stack starts again.
func (s *Stack) resolveDynamicRefs(v string) (string, error) {
	var firstErr error
	out := dynamicRef.ReplaceAllStringFunc(v, func(m string) string {
		val, err := s.secrets.Current(dynamicRef.FindStringSubmatch(m)[1])
		if err != nil && firstErr == nil {
			firstErr = err
		}
		return val
	})
	if firstErr == nil && strings.Contains(out, "{{resolve:") {
		firstErr = fmt.Errorf("dynamic reference %q is not supported locally", out)
	}
	return out, firstErr
}

// secretARN is the local ARN of the template's secret logicalID.
func (s *Stack) secretARN(logicalID string) (string, error) {
	if s.Template.Resources[logicalID].Type != "AWS::SecretsManager::Secret" {
		return "", fmt.Errorf("%s is not a secret of the template", logicalID)
	}
	return s.resolver.Refs[logicalID], nil
}

// SecretValue returns the value of the template's secret logicalID at stage
// (AWSCURRENT, AWSPREVIOUS; "" for AWSCURRENT), as the stack's Secrets
// Manager answers GetSecretValue.
// Errors: logicalID is not a secret of the template; secretstore.ErrNotFound
// (wrapped) for a stage the secret does not have, as AWSPREVIOUS before any
// rotation.
func (s *Stack) SecretValue(logicalID, stage string) (string, error) {
	arn, err := s.secretARN(logicalID)
	if err != nil {
		return "", err
	}
	v, err := s.secrets.Get(arn, "", stage)
	if err != nil {
		return "", err
	}
	return v.Value, nil
}

// RotateSecret rotates the template's secret logicalID as a rotation does:
// a new random AWSCURRENT, the old one becomes AWSPREVIOUS (the one before
// is dropped). Functions reading the secret with GetSecretValue see the new
// value at once; {{resolve:secretsmanager}} references in their environment
// keep the old one until the stack starts again, as on AWS until a deploy.
// Errors: logicalID is not a secret of the template; the value cannot be
// kept under the state folder.
func (s *Stack) RotateSecret(logicalID string) error {
	arn, err := s.secretARN(logicalID)
	if err != nil {
		return err
	}
	return s.secrets.Rotate(arn)
}
