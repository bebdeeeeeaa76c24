// Package schedule runs a template's Schedule events as EventBridge does:
// every rate(...) it invokes the function with a "Scheduled Event" (or the
// event's Input).
package schedule

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/schoolroster/rosterimport/infra/local/lambdart"
	"github.com/schoolroster/rosterimport/infra/local/template"
)

// Rule is one Schedule event of a function: the EventBridge rule SAM makes
// of it.
type Rule struct {
	Function, Event string // logical id of the function, name of the event
	Name, ARN       string // the rule's
	Expression      string // rate(...) or cron(...)
	Every           time.Duration
	Enabled         bool
	// Input, when the event has one, is what the function gets instead of
	// the Scheduled Event, as EventBridge sends a target's constant input.
	Input           json.RawMessage
	Region, Account string
}

// Config is what rules are named with.
type Config struct {
	StackName, Region, Account string
}

// Rules returns the Schedule events of every function of t, by function
// then event name. r resolves their properties.
// Errors: a property that does not resolve, a bad schedule expression, an
// Input that is not JSON.
func Rules(t *template.Template, r *template.Resolver, c Config) ([]Rule, error) {
	var rules []Rule
	for _, fn := range t.FunctionIDs() {
		for _, ev := range t.Events(fn) {
			if ev.Type != "Schedule" {
				continue
			}
			rule, err := readRule(r, c, fn, ev)
			if err != nil {
				return nil, fmt.Errorf("%s event %s: %w", fn, ev.Name, err)
			}
			rules = append(rules, rule)
		}
	}
	return rules, nil
}

func readRule(r *template.Resolver, c Config, fn string, ev template.Event) (Rule, error) {
	var p struct {
		Schedule, Name, Input, State string
		Enabled                      *bool
	}
	if err := r.Decode(ev.Properties, &p); err != nil {
		return Rule{}, err
	}
	every, err := template.ScheduleRate(p.Schedule)
	if err != nil {
		return Rule{}, err
	}
	name := p.Name
	if name == "" {
		name = c.StackName + "-" + fn + ev.Name
		name = name[:min(len(name), 64)]
	}
	rule := Rule{Function: fn, Event: ev.Name, Name: name, Expression: p.Schedule, Every: every,
		Enabled: (p.Enabled == nil || *p.Enabled) && p.State != "DISABLED", Region: c.Region, Account: c.Account,
		ARN: fmt.Sprintf("arn:aws:events:%s:%s:rule/%s", c.Region, c.Account, name)}
	if p.Input != "" {
		if !json.Valid([]byte(p.Input)) {
			return Rule{}, fmt.Errorf("Input is not JSON text")
		}
		rule.Input = json.RawMessage(p.Input)
	}
	return rule, nil
}

// Payload is what the function gets for a run of the rule at at: the
// Scheduled Event, with time at (to the second, UTC), or the rule's Input.
func (r Rule) Payload(at time.Time) []byte {
	if r.Input != nil {
		return r.Input
	}
	b, _ := json.Marshal(scheduledEvent{
		Version: "0", ID: newID(), DetailType: "Scheduled Event", Source: "aws.events", Account: r.Account,
		Time: at.UTC().Format(time.RFC3339), Region: r.Region, Resources: []string{r.ARN}, Detail: struct{}{},
	})
	return b
}

// scheduledEvent is EventBridge's Scheduled Event, fields in its order.
type scheduledEvent struct {
	Version    string   `json:"version"`
	ID         string   `json:"id"`
	DetailType string   `json:"detail-type"`
	Source     string   `json:"source"`
	Account    string   `json:"account"`
	Time       string   `json:"time"`
	Region     string   `json:"region"`
	Resources  []string `json:"resources"`
	Detail     struct{} `json:"detail"`
}

func newID() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	b[6], b[8] = b[6]&0x0f|0x40, b[8]&0x3f|0x80
	h := hex.EncodeToString(b)
	return h[:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
}

// Runner invokes the functions of enabled rate rules on their rate until its
// context ends. Like EventBridge, the first run comes one period after the
// start. A failed run is logged, not retried (Lambda would retry an
// asynchronous invocation twice); cron rules are not run on time locally.
type Runner struct {
	Rules  []Rule
	Invoke lambdart.InvokeFunc
	Log    *slog.Logger
}

// Run runs the rules until ctx ends.
func (r *Runner) Run(ctx context.Context) {
	var wg sync.WaitGroup
	for _, rule := range r.Rules {
		switch {
		case !rule.Enabled:
			continue
		case rule.Every <= 0:
			r.Log.Warn("cron schedules are not run locally; use Stack.RunSchedule", "function", rule.Function, "schedule", rule.Expression)
			continue
		}
		wg.Add(1)
		go func() { defer wg.Done(); r.every(ctx, rule) }()
	}
	wg.Wait()
}

func (r *Runner) every(ctx context.Context, rule Rule) {
	t := time.NewTicker(rule.Every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case at := <-t.C:
			res, err := r.Invoke(ctx, rule.Function, rule.Payload(at))
			switch {
			case err != nil:
				if ctx.Err() == nil {
					r.Log.Error("scheduled run not invoked", "function", rule.Function, "err", err)
				}
				return
			case res.FunctionError != "":
				r.Log.Warn("scheduled run failed", "function", rule.Function, "rule", rule.Name, "errorType", res.ErrorType(), "error", res.ErrorMessage())
			}
		}
	}
}
