package schedule

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/schoolroster/rosterimport/infra/local/lambdart"
	"github.com/schoolroster/rosterimport/infra/local/template"
)

const tmpl = `
Resources:
  Sweeper:
    Type: AWS::Serverless::Function
    Properties:
      Events:
        Often: { Type: Schedule, Properties: { Schedule: rate(5 minutes) } }
        Named: { Type: Schedule, Properties: { Schedule: rate(1 hour), Name: !Sub "${AWS::StackName}-hourly", Enabled: false } }
        WithInput: { Type: Schedule, Properties: { Schedule: "cron(0 3 * * ? *)", Input: '{"mode":"deep"}' } }
        Stopped: { Type: Schedule, Properties: { Schedule: rate(1 day), State: DISABLED } }
        Upload: { Type: S3, Properties: { Bucket: b } }
  Other:
    Type: AWS::Serverless::Function
`

func rules(t *testing.T, src string) ([]Rule, error) {
	tp, err := template.ParseTemplate([]byte(src))
	if err != nil {
		t.Fatal(err)
	}
	r := template.NewResolver(tp, nil, map[string]string{"AWS::StackName": "st"})
	return Rules(tp, r, Config{StackName: "st", Region: "eu-west-1", Account: "123"})
}

func TestRules(t *testing.T) {
	got, err := rules(t, tmpl)
	if err != nil {
		t.Fatal(err)
	}
	want := []Rule{
		{Function: "Sweeper", Event: "Named", Name: "st-hourly", Expression: "rate(1 hour)", Every: time.Hour, Enabled: false},
		{Function: "Sweeper", Event: "Often", Name: "st-SweeperOften", Expression: "rate(5 minutes)", Every: 5 * time.Minute, Enabled: true},
		{Function: "Sweeper", Event: "Stopped", Name: "st-SweeperStopped", Expression: "rate(1 day)", Every: 24 * time.Hour, Enabled: false},
		{Function: "Sweeper", Event: "WithInput", Name: "st-SweeperWithInput", Expression: "cron(0 3 * * ? *)", Enabled: true, Input: json.RawMessage(`{"mode":"deep"}`)},
	}
	if len(got) != len(want) {
		t.Fatalf("got %d rules, want %d: %+v", len(got), len(want), got)
	}
	for i, w := range want {
		g := got[i]
		if g.Function != w.Function || g.Event != w.Event || g.Name != w.Name || g.Expression != w.Expression ||
			g.Every != w.Every || g.Enabled != w.Enabled || string(g.Input) != string(w.Input) ||
			g.ARN != "arn:aws:events:eu-west-1:123:rule/"+w.Name {
			t.Errorf("rule %d = %+v, want %+v", i, g, w)
		}
	}
	for _, bad := range []string{
		"Resources: { F: { Type: AWS::Serverless::Function, Properties: { Events: { E: { Type: Schedule, Properties: { Schedule: rate(1 minutes) } } } } } }",
		"Resources: { F: { Type: AWS::Serverless::Function, Properties: { Events: { E: { Type: Schedule, Properties: { Schedule: rate(1 minute), Input: '{' } } } } } }",
	} {
		if _, err := rules(t, bad); err == nil {
			t.Errorf("no error for %s", bad)
		}
	}
}

func TestPayloadIsAScheduledEvent(t *testing.T) {
	rule := Rule{Name: "r", ARN: "arn:aws:events:eu-west-1:123:rule/r", Region: "eu-west-1", Account: "123"}
	at := time.Date(2025, 3, 4, 5, 6, 7, 800, time.FixedZone("x", 3600))
	var ev map[string]any
	if err := json.Unmarshal(rule.Payload(at), &ev); err != nil {
		t.Fatal(err)
	}
	want := map[string]any{"version": "0", "detail-type": "Scheduled Event", "source": "aws.events", "account": "123",
		"time": "2025-03-04T04:06:07Z", "region": "eu-west-1"}
	for k, v := range want {
		if ev[k] != v {
			t.Errorf("%s = %v, want %v", k, ev[k], v)
		}
	}
	if res, _ := ev["resources"].([]any); len(res) != 1 || res[0] != rule.ARN {
		t.Errorf("resources = %v", ev["resources"])
	}
	if d, ok := ev["detail"].(map[string]any); !ok || len(d) != 0 {
		t.Errorf("detail = %v, want {}", ev["detail"])
	}
	if id, _ := ev["id"].(string); len(id) != 36 {
		t.Errorf("id = %v", ev["id"])
	}
	rule.Input = json.RawMessage(`{"x":1}`)
	if got := string(rule.Payload(at)); got != `{"x":1}` {
		t.Errorf("payload with Input = %s", got)
	}
}

func TestRunnerRunsEnabledRatesOnly(t *testing.T) {
	var mu sync.Mutex
	runs := map[string][]time.Time{}
	invoke := func(_ context.Context, fn string, payload []byte) (lambdart.InvokeResult, error) {
		var ev struct{ Time time.Time }
		_ = json.Unmarshal(payload, &ev)
		mu.Lock()
		runs[fn] = append(runs[fn], ev.Time)
		mu.Unlock()
		return lambdart.InvokeResult{}, nil
	}
	r := &Runner{Invoke: invoke, Log: slog.New(slog.NewTextHandler(io.Discard, nil)), Rules: []Rule{
		{Function: "Fast", Every: 20 * time.Millisecond, Enabled: true},
		{Function: "Off", Every: 20 * time.Millisecond},
		{Function: "Cron", Enabled: true},
	}}
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	r.Run(ctx)
	mu.Lock()
	defer mu.Unlock()
	if n := len(runs["Fast"]); n < 3 {
		t.Errorf("the enabled rate ran %d times in 300ms at 20ms", n)
	}
	if len(runs["Off"])+len(runs["Cron"]) != 0 {
		t.Errorf("a disabled or cron rule ran: %v", runs)
	}
}
