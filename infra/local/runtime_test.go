package local_test

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"
)

func TestRuntimeAPI(t *testing.T) {
	ctx := context.Background()
	tests := []struct {
		name          string
		function      string
		event         string
		wantFnError   bool
		wantErrorType string
		wantInMessage string
	}{
		{name: "success", function: "EchoFunction", event: `{"action":"echo","value":"hi"}`},
		{name: "handler error", function: "EchoFunction", event: `{"action":"error","value":"x"}`, wantFnError: true, wantErrorType: "errorString", wantInMessage: "boom: x"},
		{name: "panic", function: "EchoFunction", event: `{"action":"panic"}`, wantFnError: true, wantInMessage: "kaboom"},
		{name: "timeout", function: "EchoFunction", event: `{"action":"sleep"}`, wantFnError: true, wantErrorType: "Sandbox.Timedout", wantInMessage: "Task timed out after 2.00 seconds"},
		{name: "process exit", function: "EchoFunction", event: `{"action":"exit"}`, wantFnError: true, wantErrorType: "Runtime.ExitError", wantInMessage: "exit status 7"},
		{name: "init error reported", function: "InitFailFunction", event: `{}`, wantFnError: true, wantErrorType: "Fixture.InitError", wantInMessage: "missing configuration"},
		{name: "init exit", function: "InitExitFunction", event: `{}`, wantFnError: true, wantErrorType: "Runtime.ExitError", wantInMessage: "exit status 3"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := fixture.Invoke(ctx, tt.function, []byte(tt.event))
			if err != nil {
				t.Fatal(err)
			}
			if (got.FunctionError != "") != tt.wantFnError {
				t.Fatalf("FunctionError = %q, want error %v; payload %s", got.FunctionError, tt.wantFnError, got.Payload)
			}
			if tt.wantErrorType != "" && got.ErrorType() != tt.wantErrorType {
				t.Errorf("errorType = %q, want %q (payload %s)", got.ErrorType(), tt.wantErrorType, got.Payload)
			}
			if !strings.Contains(got.ErrorMessage(), tt.wantInMessage) {
				t.Errorf("errorMessage = %q, want it to contain %q", got.ErrorMessage(), tt.wantInMessage)
			}
			if got.RequestID == "" {
				t.Error("no request id")
			}
			if !tt.wantFnError {
				var body struct {
					Echo             string `json:"echo"`
					DeadlineInFuture bool   `json:"deadlineInFuture"`
					Function         string `json:"function"`
					Table            string `json:"table"`
				}
				if err := json.Unmarshal(got.Payload, &body); err != nil {
					t.Fatal(err)
				}
				want := struct {
					Echo             string `json:"echo"`
					DeadlineInFuture bool   `json:"deadlineInFuture"`
					Function         string `json:"function"`
					Table            string `json:"table"`
				}{"hi", true, "EchoFunction", "Table"}
				if body != want {
					t.Errorf("response = %+v, want %+v", body, want)
				}
			}
			// Whatever happened, the function serves the next invocation.
			if tt.function == "EchoFunction" {
				next, err := fixture.Invoke(ctx, "EchoFunction", []byte(`{"action":"echo","value":"after"}`))
				if err != nil || next.FunctionError != "" || !strings.Contains(string(next.Payload), `"echo":"after"`) {
					t.Fatalf("invocation after %s: %v %s %s", tt.name, err, next.FunctionError, next.Payload)
				}
			}
		})
	}
}

func TestRuntimeAPIWarmProcessIsReused(t *testing.T) {
	ctx := context.Background()
	pid := func() float64 {
		t.Helper()
		r, err := fixture.Invoke(ctx, "EchoFunction", []byte(`{"action":"echo"}`))
		if err != nil || r.FunctionError != "" {
			t.Fatalf("invoke: %v %s", err, r.Payload)
		}
		var b struct{ Pid float64 }
		_ = json.Unmarshal(r.Payload, &b)
		return b.Pid
	}
	first, second := pid(), pid()
	if first == 0 || first != second {
		t.Errorf("pids %v then %v: a warm function should reuse its process", first, second)
	}
	if fixture.PeakRSSKiB("EchoFunction") <= 0 {
		t.Error("peak RSS of EchoFunction was not measured")
	}
}

func TestInvokeUnknownFunction(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	if _, err := fixture.Invoke(ctx, "NoSuchFunction", []byte(`{}`)); err == nil {
		t.Fatal("invoking a function the template lacks should fail")
	}
}

// TestFunctionScalesAsLambdaDoes: invocations that arrive together each get
// an instance of their own, up to the function's reserved concurrency;
// beyond it they wait for a free one.
func TestFunctionScalesAsLambdaDoes(t *testing.T) {
	tests := []struct {
		function  string
		calls     int
		wantPeak  int
		wantProcs int
	}{
		{function: "ScalingFunction", calls: 3, wantPeak: 3, wantProcs: 3},
		{function: "LimitedFunction", calls: 4, wantPeak: 2, wantProcs: 2}, // ReservedConcurrentExecutions: 2
	}
	for _, tt := range tests {
		t.Run(tt.function, func(t *testing.T) {
			pids := make([]float64, tt.calls)
			errs := make(chan error, tt.calls)
			for i := range tt.calls {
				go func() {
					r, err := fixture.Invoke(context.Background(), tt.function, []byte(`{"action":"wait","value":"3s"}`))
					if err == nil && r.FunctionError != "" {
						err = fmt.Errorf("%s", r.Payload)
					}
					var b struct{ Pid float64 }
					_ = json.Unmarshal(r.Payload, &b)
					pids[i] = b.Pid
					errs <- err
				}()
			}
			for range tt.calls {
				if err := <-errs; err != nil {
					t.Fatal(err)
				}
			}
			distinct := map[float64]bool{}
			for _, p := range pids {
				distinct[p] = true
			}
			if got := fixture.PeakConcurrency(tt.function); got != tt.wantPeak {
				t.Errorf("peak concurrency = %d, want %d", got, tt.wantPeak)
			}
			if len(distinct) != tt.wantProcs {
				t.Errorf("%d calls ran in %d processes, want %d", tt.calls, len(distinct), tt.wantProcs)
			}
		})
	}
}
