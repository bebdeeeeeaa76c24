package dynamo_test

import (
	"context"
	"fmt"
	"os"
	"testing"
	"time"

	"github.com/schoolroster/rosterimport/infra/local"
)

// emulators is DynamoDB Local (with S3 and SES) holding the table exactly as
// template.yaml declares it.
var emulators *local.Stack

func TestMain(m *testing.M) {
	os.Exit(run(m))
}

func run(m *testing.M) int {
	dir, err := os.MkdirTemp("", "dynamo-test-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer os.RemoveAll(dir)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	emulators, err = local.Start(ctx, local.Options{StateDir: dir, EmulatorsOnly: true})
	if err != nil {
		fmt.Fprintln(os.Stderr, "FAIL: the emulators did not start:", err)
		return 1
	}
	defer emulators.Close()
	return m.Run()
}
