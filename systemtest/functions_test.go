package systemtest

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/schoolroster/rosterimport/internal/roster"
)

// The import the sample events describe, in the demo school.
const sampleImport = "01KAJ3Z0T5M1QW4S0C2E5V8R9X"

// TestFunctionsWithSampleEvents invokes each built function with the sample
// events in events/, as `sam local invoke FUNCTION -e events/FILE` would.
// The events tell one story: an import is created, its file lands (preview),
// it is confirmed (confirm), and Zoë's invitation is mailed (mailer).
func TestFunctionsWithSampleEvents(t *testing.T) {
	ctx := context.Background()
	invoke := func(t *testing.T, fn, file string) []byte {
		t.Helper()
		res, err := stack.InvokeFile(ctx, fn, filepath.Join(eventsDir(t), file))
		if err != nil {
			t.Fatal(err)
		}
		if res.FunctionError != "" {
			t.Fatalf("%s with %s: %s %s", fn, file, res.FunctionError, res.Payload)
		}
		return res.Payload
	}
	covered := map[string]bool{}
	run := func(file string, f func(t *testing.T)) {
		covered[file] = true
		t.Run(file, f)
	}

	run("users-api-get-school.json", func(t *testing.T) {
		resp := httpResponse(t, invoke(t, "UsersApiFunction", "users-api-get-school.json"))
		if resp.StatusCode != 200 || !strings.Contains(resp.Body, `"name":"Demo School"`) {
			t.Errorf("response = %d %s", resp.StatusCode, resp.Body)
		}
	})
	run("imports-api-create-import.json", func(t *testing.T) {
		resp := httpResponse(t, invoke(t, "ImportsApiFunction", "imports-api-create-import.json"))
		var v uploadView
		if err := json.Unmarshal([]byte(resp.Body), &v); err != nil || resp.StatusCode != 201 || v.Upload == nil || v.DeclaredSize != 163 {
			t.Errorf("response = %d %s", resp.StatusCode, resp.Body)
		}
	})
	run("preview-upload.json", func(t *testing.T) {
		// The import and the object the event names.
		csv, err := os.ReadFile(filepath.Join(eventsDir(t), "users.csv"))
		if err != nil {
			t.Fatal(err)
		}
		imp := roster.Import{SchoolID: "demo", ID: sampleImport, Kind: roster.KindUsers, Status: roster.ImportAwaitingUpload,
			FileName: "users.csv", DeclaredSize: int64(len(csv)), UploadedBy: "admin@demo.school", CreatedAt: time.Now().UTC()}
		key := "uploads/demo/" + sampleImport
		if err := store().CreateImport(ctx, imp, map[roster.Artifact]string{roster.ArtifactUploaded: key}); err != nil {
			t.Fatal(err)
		}
		if _, err := stack.S3.PutObject(ctx, &s3.PutObjectInput{Bucket: ptr(stack.Buckets["ImportsBucket"]), Key: &key, Body: strings.NewReader(string(csv))}); err != nil {
			t.Fatal(err)
		}
		// The upload's own S3 event runs the preview too, on another instance
		// at the same time: whichever claims the upload first previews it, and
		// the other is ignored.
		invoke(t, "PreviewFunction", "preview-upload.json")
		got := waitImport(t, stack.Token("admin@demo.school"), "demo", sampleImport, 30*time.Second, func(imp roster.Import) bool { return imp.Status != roster.ImportValidating })
		if got.Status != roster.ImportReady || got.Counts.Valid != 3 {
			t.Fatalf("after preview: %+v", got)
		}
	})
	run("confirm-import-queued.json", func(t *testing.T) {
		if _, err := store().ConfirmImport(ctx, "demo", sampleImport, "admin@demo.school", roster.ConfirmOptions{SendInvitations: true}, 3, time.Now().UTC()); err != nil {
			t.Fatal(err)
		}
		// The table stream delivers the real record too; whichever claims the
		// import first imports it, and the other is ignored.
		var resp events.DynamoDBEventResponse
		if err := json.Unmarshal(invoke(t, "ConfirmFunction", "confirm-import-queued.json"), &resp); err != nil || len(resp.BatchItemFailures) != 0 {
			t.Fatalf("confirm response %+v %v", resp, err)
		}
		tok := stack.Token("admin@demo.school")
		done := waitImport(t, tok, "demo", sampleImport, 30*time.Second, finished)
		if done.Status != roster.ImportCompleted || done.Results.Created != 3 {
			t.Errorf("after confirm: %s %+v", done.Status, done.Results)
		}
	})
	run("mailer-invitation-queued.json", func(t *testing.T) {
		var resp events.DynamoDBEventResponse
		if err := json.Unmarshal(invoke(t, "MailerFunction", "mailer-invitation-queued.json"), &resp); err != nil || len(resp.BatchItemFailures) != 0 {
			t.Fatalf("mailer response %+v %v", resp, err)
		}
		// Whether the stream or the sample sent it, Zoë has one invitation.
		mails := waitMails(t, "demo.school", 3, 30*time.Second)
		if len(mails["zoe.brown@demo.school"]) != 1 || !strings.Contains(mails["zoe.brown@demo.school"][0].Body.Text, "Hello Zoë,") {
			t.Errorf("mails to zoe: %+v", mails["zoe.brown@demo.school"])
		}
	})

	run("indexer-user-changed.json", func(t *testing.T) {
		// Zoë is in the users list (the stream indexed her); lose her index
		// entries, and the sample event of her creation puts them back.
		tok := stack.Token("admin@demo.school")
		hasZoe := func(l userList) bool { return strings.Contains(strings.Join(emails(l), ","), "zoe.brown@demo.school") }
		waitList(t, tok, "/schools/demo/users?q=zo", hasZoe)
		zoe, err := store().GetMember(ctx, "demo", "zoe.brown@demo.school")
		if err != nil {
			t.Fatal(err)
		}
		if err := store().Reindex(ctx, &zoe, nil); err != nil {
			t.Fatal(err)
		}
		waitList(t, tok, "/schools/demo/users?q=zo", func(l userList) bool { return !hasZoe(l) })
		var resp events.DynamoDBEventResponse
		if err := json.Unmarshal(invoke(t, "IndexerFunction", "indexer-user-changed.json"), &resp); err != nil || len(resp.BatchItemFailures) != 0 {
			t.Fatalf("indexer response %+v %v", resp, err)
		}
		if l := waitList(t, tok, "/schools/demo/users?q=zo", func(userList) bool { return true }); !hasZoe(l) {
			t.Errorf("after the sample event the list is %v", emails(l))
		}
	})

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

func httpResponse(t *testing.T, payload []byte) events.APIGatewayV2HTTPResponse {
	t.Helper()
	var resp events.APIGatewayV2HTTPResponse
	if err := json.Unmarshal(payload, &resp); err != nil {
		t.Fatalf("response is not an HTTP API response: %s", payload)
	}
	return resp
}

func ptr[T any](v T) *T { return &v }
