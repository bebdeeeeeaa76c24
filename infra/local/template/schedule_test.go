package template

import (
	"testing"
	"time"
)

func TestScheduleRate(t *testing.T) {
	tests := []struct {
		expr    string
		want    time.Duration
		wantErr bool
	}{
		{"rate(1 minute)", time.Minute, false},
		{"rate(5 minutes)", 5 * time.Minute, false},
		{" rate(2 hours) ", 2 * time.Hour, false},
		{"rate(1 day)", 24 * time.Hour, false},
		{"cron(0/5 * * * ? *)", 0, false},
		{"rate(1 minutes)", 0, true},
		{"rate(5 minute)", 0, true},
		{"rate(0 minutes)", 0, true},
		{"rate(-1 minutes)", 0, true},
		{"rate(1.5 minutes)", 0, true},
		{"rate(10 seconds)", 0, true},
		{"rate(5)", 0, true},
		{"cron(* * * * *)", 0, true},
		{"every 5 minutes", 0, true},
	}
	for _, tt := range tests {
		got, err := ScheduleRate(tt.expr)
		if got != tt.want || (err != nil) != tt.wantErr {
			t.Errorf("ScheduleRate(%q) = %s, %v; want %s, error %v", tt.expr, got, err, tt.want, tt.wantErr)
		}
	}
}

func TestConditions(t *testing.T) {
	tmpl, err := ParseTemplate([]byte(`
Parameters:
  Stage: { Type: String }
Conditions:
  IsProd: !Equals [!Ref Stage, prod]
  IsDev: !Equals [dev, !Ref Stage]
  NotProd: !Not [!Condition IsProd]
  Both: !And [!Condition IsDev, !Condition NotProd]
  Either: !Or [!Condition IsProd, !Equals [!Ref "AWS::Region", us-east-1]]
  Loop: !Not [!Condition Loop]
Resources:
  Always: { Type: AWS::SQS::Queue, Properties: { DelaySeconds: !If [IsProd, 5, !Ref AWS::NoValue], Tags: [!If [IsDev, {Key: a, Value: b}, !Ref AWS::NoValue]] } }
  ProdOnly: { Type: AWS::SQS::Queue, Condition: IsProd }
`))
	if err != nil {
		t.Fatal(err)
	}
	r := NewResolver(tmpl, map[string]string{"Stage": "dev"}, map[string]string{"AWS::Region": "eu-west-1"})
	for name, want := range map[string]bool{"IsProd": false, "IsDev": true, "NotProd": true, "Both": true, "Either": false} {
		if got, err := r.Condition(name); err != nil || got != want {
			t.Errorf("Condition(%s) = %v, %v; want %v", name, got, err, want)
		}
	}
	for _, name := range []string{"Loop", "Missing"} {
		if _, err := r.Condition(name); err == nil {
			t.Errorf("Condition(%s) has no error", name)
		}
	}
	if ok, err := r.Exists("ProdOnly"); ok || err != nil {
		t.Errorf("Exists(ProdOnly) = %v, %v in dev", ok, err)
	}
	if ok, err := r.Exists("Always"); !ok || err != nil {
		t.Errorf("Exists(Always) = %v, %v", ok, err)
	}
	props, err := r.Resolve(tmpl.Resources["Always"].Properties)
	if err != nil {
		t.Fatal(err)
	}
	m := props.(map[string]any)
	if _, ok := m["DelaySeconds"]; ok {
		t.Errorf("AWS::NoValue kept the key: %v", m)
	}
	if tags := m["Tags"].([]any); len(tags) != 1 {
		t.Errorf("Tags = %v, want the dev tag", tags)
	}
}
