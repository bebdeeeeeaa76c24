package local_test

import (
	"context"
	"encoding/json"
	"slices"
	"testing"
	"time"
)

func TestRunSchedule(t *testing.T) {
	at := time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)
	res, err := fixture.RunSchedule(context.Background(), "ScheduledFunction", at)
	if err != nil || res.FunctionError != "" {
		t.Fatalf("RunSchedule: %v %s", err, res.Payload)
	}
	got := recorded(t, "ScheduledFunction")
	if len(got) != 1 {
		t.Fatalf("the function got %d events, want 1", len(got))
	}
	var ev struct {
		Version    string
		ID         string
		DetailType string `json:"detail-type"`
		Source     string
		Account    string
		Time       string
		Region     string
		Resources  []string
		Detail     map[string]any
	}
	if err := json.Unmarshal(got[0], &ev); err != nil {
		t.Fatal(err)
	}
	if ev.Version != "0" || ev.ID == "" || ev.DetailType != "Scheduled Event" || ev.Source != "aws.events" || ev.Account != "000000000000" ||
		ev.Time != "2030-01-02T03:04:05Z" || ev.Region != "us-east-1" || ev.Detail == nil ||
		!slices.Equal(ev.Resources, []string{"arn:aws:events:us-east-1:000000000000:rule/roster-local-ScheduledFunctionEveryFiveMinutes"}) {
		t.Errorf("scheduled event = %s", got[0])
	}
	if _, err := fixture.RunSchedule(context.Background(), "EchoFunction", at); err == nil {
		t.Error("RunSchedule of a function without a Schedule event has no error")
	}
}

func TestConditionLeavesAFunctionOut(t *testing.T) {
	fns := fixture.Functions()
	if slices.Contains(fns, "AbsentFunction") || !slices.Contains(fns, "ScheduledFunction") {
		t.Errorf("functions = %v: AbsentFunction's condition does not hold, ScheduledFunction has none", fns)
	}
}
