// Package systemtest drives the service as its users do, through the local
// stack: the real template.yaml, every function built and run behind the
// Lambda Runtime API, the HTTP API with its JWT authorizer, and the emulators.
package systemtest

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/schoolroster/rosterimport/infra/local"
)

var stack *local.Stack

// resendInterval is the users API's resend limit in these tests.
const resendInterval = 5 * time.Second

// A second school, so tests can show that nothing crosses between schools.
const (
	otherSchoolID = "other"
	otherOwner    = "head@other.school"
)

func TestMain(m *testing.M) {
	os.Exit(run(m))
}

func run(m *testing.M) int {
	dir, err := os.MkdirTemp("", "systemtest-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	if os.Getenv("SYSTEMTEST_KEEP_STATE") == "" {
		defer os.RemoveAll(dir)
	} else {
		fmt.Fprintln(os.Stderr, "state kept in", dir)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	// The functions reach DynamoDB and SES through the stack's fault proxies:
	// tests throttle them with stack.ThrottleDynamoDB, stack.ThrottleSESNext
	// and stack.SetSESLimits.
	stack, err = local.Start(ctx, local.Options{
		StateDir: filepath.Join(dir, "state"),
		ExtraEnv: map[string]map[string]string{
			// A resend is refused within this of the last send (a minute on AWS).
			"UsersApiFunction": {"RESEND_INTERVAL": resendInterval.String()},
		},
	})
	if err != nil {
		fmt.Fprintln(os.Stderr, "FAIL: the local stack did not start:", err)
		return 1
	}
	defer stack.Close()
	for _, s := range [][3]string{{local.DemoSchoolID, local.DemoSchoolName, local.DemoOwnerEmail}, {otherSchoolID, "Other School", otherOwner}} {
		if err := stack.SeedSchool(ctx, s[0], s[1], s[2]); err != nil {
			fmt.Fprintln(os.Stderr, "FAIL: seed:", err)
			return 1
		}
	}
	return m.Run()
}

// call sends an HTTP request to the local API as the holder of token ("" for none).
func call(t testing.TB, method, path, token, body string) (int, []byte) {
	t.Helper()
	status, _, b := callBody(t, method, path, token, body)
	return status, b
}

// callWithHeaders is call without a body that also returns the answer's headers.
func callWithHeaders(t testing.TB, method, path, token string) (int, http.Header, []byte) {
	t.Helper()
	return callBody(t, method, path, token, "")
}

// callBody sends the request, checks the answer against api/openapi.yaml
// and returns its status, headers and body.
func callBody(t testing.TB, method, path, token, body string) (int, http.Header, []byte) {
	t.Helper()
	var r io.Reader
	if body != "" {
		r = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, stack.APIURL+path, r)
	if err != nil {
		t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	checkContract(t, req, resp.StatusCode, resp.Header, b) // api/openapi.yaml
	return resp.StatusCode, resp.Header, b
}
