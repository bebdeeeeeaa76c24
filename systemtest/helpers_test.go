package systemtest

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/schoolroster/rosterimport/internal/dynamo"
	"github.com/schoolroster/rosterimport/internal/roster"
)

func store() *dynamo.Store {
	return dynamo.NewStore(stack.DynamoDB, stack.Tables["RosterTable"]).UsersIndex(stack.Tables["UsersIndexTable"])
}

// apiJSON calls the API and decodes a JSON answer into out (unless nil).
func apiJSON(t testing.TB, method, path, token string, body any, out any) int {
	t.Helper()
	var b string
	if body != nil {
		raw, err := json.Marshal(body)
		if err != nil {
			t.Fatal(err)
		}
		b = string(raw)
	}
	status, resp := call(t, method, path, token, b)
	if out != nil && len(resp) > 0 {
		if err := json.Unmarshal(resp, out); err != nil {
			t.Fatalf("%s %s: %d %s: %v", method, path, status, resp, err)
		}
	}
	return status
}

type apiError struct {
	Error struct{ Code, Message string }
}

type uploadView struct {
	roster.Import
	Upload *struct {
		URL     string
		Method  string
		Headers map[string]string
	}
}

// uploadFile asks for an import and PUTs the file to its presigned URL, as
// an administrator's browser would.
func uploadFile(t testing.TB, token, school, name string, file []byte) string {
	t.Helper()
	return uploadKind(t, token, school, "users", name, file)
}

// uploadKind is uploadFile for an import of kind.
func uploadKind(t testing.TB, token, school, kind, name string, file []byte) string {
	t.Helper()
	var v uploadView
	if st := apiJSON(t, "POST", "/schools/"+school+"/imports", token, map[string]any{"kind": kind, "fileName": name, "size": len(file)}, &v); st != 201 {
		t.Fatalf("create import: %d %+v", st, v)
	}
	if v.Upload == nil || v.Upload.Method != "PUT" || v.Status != roster.ImportAwaitingUpload {
		t.Fatalf("create import answered %+v", v)
	}
	req, err := http.NewRequest(v.Upload.Method, v.Upload.URL, bytes.NewReader(file))
	if err != nil {
		t.Fatal(err)
	}
	for k, val := range v.Upload.Headers {
		if !strings.EqualFold(k, "content-length") {
			req.Header.Set(k, val)
		}
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != 200 {
		b, _ := io.ReadAll(resp.Body)
		t.Fatalf("upload: %d %s", resp.StatusCode, b)
	}
	return v.ID
}

// waitImport polls the import until cond holds.
func waitImport(t testing.TB, token, school, id string, timeout time.Duration, cond func(roster.Import) bool) roster.Import {
	t.Helper()
	deadline := time.Now().Add(timeout)
	var imp roster.Import
	for time.Now().Before(deadline) {
		if st := apiJSON(t, "GET", "/schools/"+school+"/imports/"+id, token, nil, &imp); st != 200 {
			t.Fatalf("get import: %d", st)
		}
		if cond(imp) {
			return imp
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("timed out waiting for import %s; last seen %s %+v %+v", id, imp.Status, imp.Progress, imp.Results)
	return imp
}

func statusIs(s roster.ImportStatus) func(roster.Import) bool {
	return func(imp roster.Import) bool { return imp.Status == s }
}

func finished(imp roster.Import) bool {
	return imp.Status == roster.ImportCompleted || imp.Status == roster.ImportCompletedWithErrors || imp.Status == roster.ImportFailed
}

// mailsTo returns what SES local holds for addresses at domain.
type storedMail struct {
	Destination struct{ To []string }
	Subject     string
	Body        struct{ HTML, Text string }
}

func mailsTo(t testing.TB, domain string) map[string][]storedMail {
	t.Helper()
	resp, err := http.Get(stack.SESURL + "/store")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var st struct{ Emails []storedMail }
	if err := json.NewDecoder(resp.Body).Decode(&st); err != nil {
		t.Fatal(err)
	}
	out := map[string][]storedMail{}
	for _, m := range st.Emails {
		for _, to := range m.Destination.To {
			if strings.HasSuffix(to, "@"+domain) {
				out[to] = append(out[to], m)
			}
		}
	}
	return out
}

// waitMails waits until n mails went to domain, then a little longer to see
// that no more come.
func waitMails(t testing.TB, domain string, n int, timeout time.Duration) map[string][]storedMail {
	t.Helper()
	deadline := time.Now().Add(timeout)
	count := func(m map[string][]storedMail) int {
		c := 0
		for _, v := range m {
			c += len(v)
		}
		return c
	}
	for time.Now().Before(deadline) && count(mailsTo(t, domain)) < n {
		time.Sleep(100 * time.Millisecond)
	}
	time.Sleep(time.Second) // a duplicate would arrive within the mailer's next polls
	got := mailsTo(t, domain)
	if c := count(got); c != n {
		t.Fatalf("%d mails to @%s, want %d", c, domain, n)
	}
	return got
}

// tokenIn returns the token of the accept link in a mail's text.
func tokenIn(t testing.TB, m storedMail) string {
	t.Helper()
	i := strings.Index(m.Body.Text, "accept?token=")
	if i < 0 {
		t.Fatalf("no accept link in %q", m.Body.Text)
	}
	tok := m.Body.Text[i+len("accept?token="):]
	if j := strings.IndexAny(tok, " \r\n"); j >= 0 {
		tok = tok[:j]
	}
	return tok
}

// userByToken finds the invitation a token opens, as accepting will: by the
// hash of the token on the sparse index.
func userByToken(t testing.TB, token string) map[string]any {
	t.Helper()
	out, err := stack.DynamoDB.Query(context.Background(), &dynamodb.QueryInput{
		TableName: aws.String(stack.Tables["RosterTable"]), IndexName: aws.String(dynamo.GSI1),
		KeyConditionExpression:    aws.String("GSI1PK = :h"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":h": &types.AttributeValueMemberS{Value: "TOKEN#" + roster.HashToken(token)}},
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(out.Items) != 1 {
		t.Fatalf("token opens %d invitations, want 1", len(out.Items))
	}
	// GSI1 holds the keys only: read the user they name.
	var keys struct{ PK, SK string }
	if err := attributevalue.UnmarshalMap(out.Items[0], &keys); err != nil {
		t.Fatal(err)
	}
	return userItem(t, strings.TrimPrefix(keys.PK, "SCHOOL#"), strings.TrimPrefix(keys.SK, "USER#"))
}

// userItem reads a user item as stored.
func userItem(t testing.TB, school, email string) map[string]any {
	t.Helper()
	out, err := stack.DynamoDB.GetItem(context.Background(), &dynamodb.GetItemInput{
		TableName: aws.String(stack.Tables["RosterTable"]),
		Key: map[string]types.AttributeValue{
			"PK": &types.AttributeValueMemberS{Value: "SCHOOL#" + school}, "SK": &types.AttributeValueMemberS{Value: "USER#" + email},
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	var item map[string]any
	if err := attributevalue.UnmarshalMap(out.Item, &item); err != nil {
		t.Fatal(err)
	}
	return item
}

// download fetches an import file through its short-lived URL.
func download(t testing.TB, token, school, id, file string) string {
	t.Helper()
	var v struct{ URL string }
	if st := apiJSON(t, "GET", "/schools/"+school+"/imports/"+id+"/files/"+file, token, nil, &v); st != 200 {
		t.Fatalf("file %s: %d", file, st)
	}
	_, b := fetchURL(t, v.URL)
	return strings.TrimPrefix(string(b), "\uFEFF")
}

// fetchURL GETs a presigned URL, failing unless it answers 200, and returns
// the answer's headers and body.
func fetchURL(t testing.TB, url string) (http.Header, []byte) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("GET %s: %d %s (%v)", url, resp.StatusCode, b, err)
	}
	return resp.Header, b
}

func seedSchool(t testing.TB, id string) string {
	t.Helper()
	owner := "head@" + id + ".school"
	if err := stack.SeedSchool(context.Background(), id, id+" School", owner); err != nil {
		t.Fatal(err)
	}
	return stack.Token(owner)
}
