package local_test

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/schoolroster/rosterimport/infra/local"
)

// fixture is the stack every test in this package shares: the fixture
// template (testdata/template.yaml) on real emulators and free ports.
var (
	fixture     *local.Stack
	recordFiles = map[string]string{}
)

func TestMain(m *testing.M) {
	os.Exit(runWithFixture(m))
}

func runWithFixture(m *testing.M) int {
	dir, err := os.MkdirTemp("", "stack-test-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer os.RemoveAll(dir)
	env := map[string]map[string]string{}
	for _, fn := range []string{"S3Function", "StreamFunction", "DoomedStreamFunction", "ScheduledFunction", "LanesFunction"} {
		recordFiles[fn] = filepath.Join(dir, fn+".jsonl")
		env[fn] = map[string]string{"RECORD_FILE": recordFiles[fn]}
	}
	root, err := local.FindRoot()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	fixture, err = local.Start(ctx, local.Options{
		Root: root, Template: filepath.Join(root, "infra", "local", "testdata", "template.yaml"),
		StateDir: filepath.Join(dir, "state"), EnvVars: env, AsyncRetryDelay: 200 * time.Millisecond,
		RetryBackoff: 20 * time.Millisecond,
	})
	if err != nil {
		fmt.Fprintln(os.Stderr, "FAIL: the local stack did not start:", err)
		return 1
	}
	defer fixture.Close()
	return m.Run()
}

// recorded reads the events a recording fixture function has written so far.
func recorded(t *testing.T, fn string) []json.RawMessage {
	t.Helper()
	f, err := os.Open(recordFiles[fn])
	if os.IsNotExist(err) {
		return nil
	}
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []json.RawMessage
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		out = append(out, json.RawMessage(append([]byte(nil), sc.Bytes()...)))
	}
	return out
}

// eventually polls cond until it holds or the timeout passes.
func eventually(t *testing.T, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for time.Now().Before(deadline) {
		if cond() {
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("timed out after %s waiting for %s", timeout, what)
}
