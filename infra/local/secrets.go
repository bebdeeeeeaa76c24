package local

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
)

var dynamicRef = regexp.MustCompile(`\{\{resolve:secretsmanager:(arn:aws:secretsmanager:[^:]+:[^:]+:secret:[^:}]+)(?::SecretString)?\}\}`)

// resolveDynamicRefs replaces {{resolve:secretsmanager:ARN:SecretString}}
// with the local value of that secret, as CloudFormation would at deploy:
// random per stack, kept under the state dir by make run.
func (s *Stack) resolveDynamicRefs(v string) (string, error) {
	var firstErr error
	out := dynamicRef.ReplaceAllStringFunc(v, func(m string) string {
		arn := dynamicRef.FindStringSubmatch(m)[1]
		val, err := s.localSecret(arn)
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

func (s *Stack) localSecret(arn string) (string, error) {
	s.secretsMu.Lock()
	defer s.secretsMu.Unlock()
	if v, ok := s.secrets[arn]; ok {
		return v, nil
	}
	path := filepath.Join(s.opts.StateDir, "secrets", strings.ReplaceAll(arn, ":", "_"))
	if s.opts.Persist {
		if b, err := os.ReadFile(path); err == nil {
			s.secrets[arn] = string(b)
			return string(b), nil
		}
	}
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	v := hex.EncodeToString(b)
	if s.opts.Persist {
		if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
			return "", err
		}
		if err := os.WriteFile(path, []byte(v), 0o600); err != nil {
			return "", err
		}
	}
	s.secrets[arn] = v
	return v, nil
}
