// Package deadletter keeps what the local stack gives up on (async S3 events
// after their retries, the positions of stream batches after theirs) as JSON lines under
// StateDir/dlq/{function}.jsonl, where tests and people can read them.
package deadletter

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
)

func path(stateDir, function string) string {
	return filepath.Join(stateDir, "dlq", function+".jsonl")
}

// Append adds one entry for function; a stack without a state folder
// (stateDir "") keeps nothing.
// Errors: the file's.
func Append(stateDir, function string, entry []byte) error {
	if stateDir == "" {
		return nil
	}
	p := path(stateDir, function)
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		return err
	}
	f, err := os.OpenFile(p, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644)
	if err != nil {
		return err
	}
	_, err = f.Write(append(entry, '\n'))
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}

// Read returns the entries of function, oldest first.
// Errors: the file's, but none for a function with none.
func Read(stateDir, function string) ([]json.RawMessage, error) {
	b, err := os.ReadFile(path(stateDir, function))
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var out []json.RawMessage
	for _, line := range strings.Split(strings.TrimSpace(string(b)), "\n") {
		if line != "" {
			out = append(out, json.RawMessage(line))
		}
	}
	return out, nil
}
