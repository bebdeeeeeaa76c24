// Package localtest runs a test package's tests against one local stack.
package localtest

import (
	"context"
	"fmt"
	"os"
	"testing"
	"time"

	"github.com/schoolroster/rosterimport/infra/local"
)

// Main starts a stack for a test package's TestMain, runs the tests and
// stops it: a package's tests share one stack on free ports, with state in a
// temporary folder. A stack that cannot start fails the package with the
// reason (a missing emulator says how to get it). Use it as
//
//	func TestMain(m *testing.M) { os.Exit(localtest.Main(m, local.Options{EmulatorsOnly: true}, &stack)) }
func Main(m *testing.M, opts local.Options, stack **local.Stack) int {
	dir, err := os.MkdirTemp("", "stack-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer os.RemoveAll(dir)
	if opts.StateDir == "" {
		opts.StateDir = dir
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	s, err := local.Start(ctx, opts)
	if err != nil {
		fmt.Fprintln(os.Stderr, "FAIL: the local stack did not start:", err)
		return 1
	}
	defer s.Close()
	*stack = s
	return m.Run()
}
