package systemtest

import (
	"context"
	"encoding/json"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/aws/aws-lambda-go/events"
)

// TestFunctionsWithSampleEvents invokes each built function with the sample
// events in events/, as `sam local invoke FUNCTION -e events/FILE` would.
func TestFunctionsWithSampleEvents(t *testing.T) {
	tests := []struct {
		file     string
		function string
		check    func(t *testing.T, payload []byte, fnError string)
	}{
		{"users-api-get-school.json", "UsersApiFunction", func(t *testing.T, p []byte, fnErr string) {
			resp := httpResponse(t, p, fnErr)
			if resp.StatusCode != 200 || !strings.Contains(resp.Body, `"name":"Demo School"`) {
				t.Errorf("response = %d %s", resp.StatusCode, resp.Body)
			}
		}},
		{"imports-api-create-import.json", "ImportsApiFunction", func(t *testing.T, p []byte, fnErr string) {
			// Not built yet: it must say so rather than pretend.
			resp := httpResponse(t, p, fnErr)
			if resp.StatusCode != 501 || !strings.Contains(resp.Body, `"code":"not_implemented"`) {
				t.Errorf("response = %d %s", resp.StatusCode, resp.Body)
			}
		}},
		{"preview-upload.json", "PreviewFunction", notImplemented},
		{"confirm-import-queued.json", "ConfirmFunction", notImplemented},
		{"mailer-invitation-queued.json", "MailerFunction", notImplemented},
	}
	covered := map[string]bool{}
	for _, tt := range tests {
		covered[tt.file] = true
		t.Run(tt.file, func(t *testing.T) {
			res, err := stack.InvokeFile(context.Background(), tt.function, filepath.Join(eventsDir(t), tt.file))
			if err != nil {
				t.Fatal(err)
			}
			tt.check(t, res.Payload, res.FunctionError)
		})
	}
	files, _ := filepath.Glob(filepath.Join(eventsDir(t), "*.json"))
	var untested []string
	for _, f := range files {
		if !covered[filepath.Base(f)] {
			untested = append(untested, filepath.Base(f))
		}
	}
	sort.Strings(untested)
	if len(untested) > 0 {
		t.Errorf("sample events without a test: %v", untested)
	}
}

func eventsDir(t *testing.T) string {
	t.Helper()
	return filepath.Join(stack.Root(), "events")
}

func httpResponse(t *testing.T, payload []byte, fnError string) events.APIGatewayV2HTTPResponse {
	t.Helper()
	if fnError != "" {
		t.Fatalf("function error %s: %s", fnError, payload)
	}
	var resp events.APIGatewayV2HTTPResponse
	if err := json.Unmarshal(payload, &resp); err != nil {
		t.Fatalf("response is not an HTTP API response: %s", payload)
	}
	return resp
}

func notImplemented(t *testing.T, payload []byte, fnError string) {
	t.Helper()
	if fnError != "Unhandled" || !strings.Contains(string(payload), "not implemented") {
		t.Errorf("want an unhandled 'not implemented' error, got %q %s", fnError, payload)
	}
}
