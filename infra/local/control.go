package local

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/schoolroster/rosterimport/infra/local/deadletter"

	"github.com/schoolroster/rosterimport/infra/local/lambdart"
)

// This file is what tests and people do with a running stack: invoke,
// crash and inspect functions, mint tokens, read dead letters.

// Invoke runs a function synchronously with an event, exactly as
// `sam local invoke FUNCTION -e event.json` would.
func (s *Stack) Invoke(ctx context.Context, function string, event []byte) (lambdart.InvokeResult, error) {
	return s.invoke(ctx, function, event)
}

// InvokeFile invokes a function with the event in a file (e.g. events/x.json).
func (s *Stack) InvokeFile(ctx context.Context, function, path string) (lambdart.InvokeResult, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return lambdart.InvokeResult{}, err
	}
	return s.invoke(ctx, function, b)
}

// Kill ends a function's busy processes at once, as a crash would: each
// invocation in flight fails with Runtime.ExitError and the next ones start
// new processes. It reports whether any process was busy.
func (s *Stack) Kill(function string) bool {
	f, ok := s.functions[function]
	if !ok {
		return false
	}
	return f.Kill()
}

// Invocations counts the invocations a function has been given.
func (s *Stack) Invocations(function string) int64 {
	if f, ok := s.functions[function]; ok {
		return f.Invocations()
	}
	return 0
}

// PeakConcurrency is the most invocations a function served at once.
func (s *Stack) PeakConcurrency(function string) int {
	if f, ok := s.functions[function]; ok {
		return f.PeakConcurrency()
	}
	return 0
}

// PeakRSSKiB is the highest resident memory a function's processes reached.
func (s *Stack) PeakRSSKiB(function string) int64 {
	if f, ok := s.functions[function]; ok {
		return f.PeakRSSKiB()
	}
	return 0
}

// Token mints a bearer token for email, valid for an hour.
func (s *Stack) Token(email string) string { return s.Signer.Mint(email, time.Hour) }

// Functions lists the functions' logical ids.
func (s *Stack) Functions() []string { return s.Template.FunctionIDs() }

// DeadLetters returns what was dead-lettered for a function, oldest first:
// for a stream mapping, what Lambda sends its OnFailure destination (the
// batch's position; decode with streams.OnFailureRecord, read the records
// with streams.ReadBatch); for an S3 event, the event itself.
// Errors: the dead-letter file cannot be read.
func (s *Stack) DeadLetters(function string) ([]json.RawMessage, error) {
	return deadletter.Read(s.opts.StateDir, function)
}

// Root is the repository root the stack runs from.
func (s *Stack) Root() string { return s.opts.Root }

// FunctionEnv returns the environment a function runs with.
func (s *Stack) FunctionEnv(function string) (map[string]string, error) {
	f, ok := s.functions[function]
	if !ok {
		return nil, fmt.Errorf("no function %s", function)
	}
	out := map[string]string{}
	for _, kv := range f.Env() {
		k, v, _ := strings.Cut(kv, "=")
		out[k] = v
	}
	return out, nil
}
