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
