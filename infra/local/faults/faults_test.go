package faults

import (
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

func TestEveryKthPicksDeterministically(t *testing.T) {
	tests := []struct {
		fraction float64
		want     string // x: picked, .: passed, for the first writes
	}{
		{0, "......"},
		{-1, "......"},
		{1.0 / 3, "..x..x..x..x"},
		{0.5, ".x.x.x"},
		{2.0 / 3, ".xx.xx.xx"},
		{1, "xxxxxx"},
		{7, "xxxx"},
		{0.1, ".........x.........x"},
	}
	for _, tt := range tests {
		e := newEveryKth(tt.fraction)
		var got strings.Builder
		for range len(tt.want) {
			if e.next() {
				got.WriteByte('x')
			} else {
				got.WriteByte('.')
			}
		}
		if got.String() != tt.want {
			t.Errorf("fraction %v: %s, want %s", tt.fraction, got.String(), tt.want)
		}
	}
}

func TestDynamoDBProxyThrottlesWritesOnly(t *testing.T) {
	upstream := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { _, _ = w.Write([]byte("{}")) }))
	defer upstream.Close()
	p, err := NewDynamoDBProxy(upstream.URL, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	now := time.Unix(1000, 0)
	p.now = func() time.Time { return now }
	p.Throttle(1, 10*time.Second)
	tests := []struct {
		target      string
		after       time.Duration // since Throttle
		wantStatus  int
		wantCounted bool
	}{
		{"DynamoDB_20120810.GetItem", 0, 200, false},
		{"DynamoDB_20120810.Query", 0, 200, false},
		{"DynamoDB_20120810.TransactGetItems", 0, 200, false},
		{"DynamoDB_20120810.PutItem", 0, 400, true},
		{"DynamoDB_20120810.UpdateItem", time.Second, 400, true},
		{"DynamoDB_20120810.DeleteItem", 2 * time.Second, 400, true},
		{"DynamoDB_20120810.BatchWriteItem", 3 * time.Second, 400, true},
		{"DynamoDB_20120810.TransactWriteItems", 9 * time.Second, 400, true},
		{"DynamoDB_20120810.PutItem", 10 * time.Second, 200, true}, // the window is over
	}
	var wantThrottled, wantPassed int64
	for _, tt := range tests {
		now = time.Unix(1000, 0).Add(tt.after)
		req := httptest.NewRequest(http.MethodPost, "/", strings.NewReader("{}"))
		req.Header.Set("X-Amz-Target", tt.target)
		rec := httptest.NewRecorder()
		p.ServeHTTP(rec, req)
		if rec.Code != tt.wantStatus {
			t.Errorf("%s after %s: status %d, want %d", tt.target, tt.after, rec.Code, tt.wantStatus)
		}
		if rec.Code == 400 {
			wantThrottled++
			if rec.Body.String() != ThrottleBody || rec.Header().Get("Content-Type") != "application/x-amz-json-1.0" {
				t.Errorf("throttled answer %s %q", rec.Header(), rec.Body.String())
			}
		} else if tt.wantCounted {
			wantPassed++
		}
	}
	if th, pa := p.Counts(); th != wantThrottled || pa != wantPassed {
		t.Errorf("counts = %d throttled, %d passed; want %d, %d", th, pa, wantThrottled, wantPassed)
	}
}

func TestPlanSendsRejectsAndStopsAtTheQuota(t *testing.T) {
	reject := map[string]bool{"bad@x.test": true}
	one := func(a string) []string { return []string{a} }
	tests := []struct {
		name                      string
		recipients                [][]string
		remaining                 int64
		want                      []fate
		send, rejected, overQuota int64
	}{
		{"no quota", [][]string{one("a@x.test"), one("b@x.test")}, -1, []fate{fateSend, fateSend}, 2, 0, 0},
		{"rejected, case and space aside", [][]string{one(" BAD@x.test"), one("a@x.test")}, -1, []fate{fateRejected, fateSend}, 1, 1, 0},
		{"quota runs out", [][]string{one("a@x.test"), one("b@x.test"), one("c@x.test")}, 2, []fate{fateSend, fateSend, fateOverQuota}, 2, 0, 1},
		{"rejected do not use the quota", [][]string{one("bad@x.test"), one("a@x.test"), one("b@x.test")}, 1, []fate{fateRejected, fateSend, fateOverQuota}, 1, 1, 1},
		{"each recipient counts", [][]string{{"a@x.test", "b@x.test"}, one("c@x.test")}, 2, []fate{fateSend, fateOverQuota}, 2, 0, 1},
		{"after the quota, the rest too", [][]string{{"a@x.test", "b@x.test"}, one("c@x.test")}, 1, []fate{fateOverQuota, fateOverQuota}, 0, 0, 3},
		{"an entry with a rejected cc", [][]string{{"a@x.test", "bad@x.test"}}, -1, []fate{fateRejected}, 0, 2, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fates, send, rejected, over := plan(tt.recipients, reject, tt.remaining)
			if !equal(fates, tt.want) || send != tt.send || rejected != tt.rejected || over != tt.overQuota {
				t.Errorf("plan = %v send %d rejected %d over %d; want %v %d %d %d", fates, send, rejected, over, tt.want, tt.send, tt.rejected, tt.overQuota)
			}
		})
	}
}

func equal(a, b []fate) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func TestMergeKeepsTheCallsOrder(t *testing.T) {
	sent := []json.RawMessage{json.RawMessage(`{"Status":"SUCCESS","MessageId":"m1"}`), json.RawMessage(`{"Status":"SUCCESS","MessageId":"m2"}`)}
	got, ok := merge([]fate{fateRejected, fateSend, fateOverQuota, fateSend}, sent)
	if !ok {
		t.Fatal("merge refused matching results")
	}
	want := []string{
		`{"Status":"MESSAGE_REJECTED","Error":"Address blacklisted."}`,
		`{"Status":"SUCCESS","MessageId":"m1"}`,
		`{"Status":"ACCOUNT_DAILY_QUOTA_EXCEEDED","Error":"Daily message quota exceeded."}`,
		`{"Status":"SUCCESS","MessageId":"m2"}`,
	}
	for i := range want {
		if string(got[i]) != want[i] {
			t.Errorf("result %d = %s, want %s", i, got[i], want[i])
		}
	}
	if _, ok := merge([]fate{fateSend}, sent); ok {
		t.Error("merge accepted two results for one entry")
	}
	if _, ok := merge([]fate{fateSend, fateSend, fateSend}, sent); ok {
		t.Error("merge accepted two results for three entries")
	}
}

func TestSendLogHoldsTheRateAndFindsThePeak(t *testing.T) {
	t0 := time.Unix(5000, 0)
	type step struct {
		at    time.Duration
		n     int64
		allow bool
	}
	tests := []struct {
		name  string
		rate  float64
		steps []step
		peak  int64
	}{
		{"no limit", 0, []step{{0, 100, true}, {0, 100, true}}, 200},
		{"ten a second", 10, []step{{0, 6, true}, {100 * time.Millisecond, 4, true}, {500 * time.Millisecond, 1, false}, {time.Second, 6, true}, {1100 * time.Millisecond, 4, true}}, 10},
		{"a call over the rate on its own", 10, []step{{0, 11, false}, {0, 10, true}}, 10},
		{"fractional rate rounds down", 2.5, []step{{0, 2, true}, {0, 1, false}}, 2},
		{"one every two seconds", 0.5, []step{{0, 1, true}, {time.Second, 1, false}, {2 * time.Second, 1, true}}, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var l sendLog
			for i, s := range tt.steps {
				now := t0.Add(s.at)
				if got := l.allows(now, s.n, tt.rate); got != s.allow {
					t.Fatalf("step %d: allows = %v, want %v", i, got, s.allow)
				}
				if s.allow {
					l.add(now, s.n, tt.rate)
				}
			}
			if l.peak != tt.peak {
				t.Errorf("peak = %d, want %d", l.peak, tt.peak)
			}
		})
	}
}
