// Package lambdart runs a Lambda function the way Lambda does: processes of
// the function's bootstrap executable, each with its own Lambda Runtime API
// endpoint, started as invocations need them (up to the function's
// concurrency) and kept warm, with Lambda's timeouts, memory limit, crash
// and init-error results.
package lambdart

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// InvokeResult is what Lambda's Invoke API answers for a synchronous call.
type InvokeResult struct {
	// Payload is the function's response, or the error document
	// ({"errorMessage", "errorType", ...}) when FunctionError is set.
	Payload []byte
	// FunctionError is "Unhandled" when the function failed, else "".
	FunctionError string
	RequestID     string
}

// ErrorType returns the errorType of a failed invocation's payload.
func (r InvokeResult) ErrorType() string {
	var e struct {
		ErrorType string `json:"errorType"`
	}
	_ = json.Unmarshal(r.Payload, &e)
	return e.ErrorType
}

// ErrorMessage returns the errorMessage of a failed invocation's payload.
func (r InvokeResult) ErrorMessage() string {
	var e struct {
		ErrorMessage string `json:"errorMessage"`
	}
	_ = json.Unmarshal(r.Payload, &e)
	return e.ErrorMessage
}

// InvokeFunc invokes a function by logical id with a payload and waits for
// its result, as Lambda's Invoke API does for a synchronous call.
type InvokeFunc func(ctx context.Context, function string, payload []byte) (InvokeResult, error)

type invocation struct {
	id       string
	payload  []byte
	deadline time.Time
	done     chan InvokeResult
	once     sync.Once
}

func (inv *invocation) finish(r InvokeResult) {
	inv.once.Do(func() {
		r.RequestID = inv.id
		inv.done <- r
	})
}

func errorResult(errorType, format string, args ...any) InvokeResult {
	b, _ := json.Marshal(map[string]string{"errorType": errorType, "errorMessage": fmt.Sprintf(format, args...)})
	return InvokeResult{Payload: b, FunctionError: "Unhandled"}
}

// Config describes one function.
type Config struct {
	Name     string        // the function's name, in its ARN and messages
	Binary   string        // its bootstrap executable
	Env      []string      // its environment, as KEY=value
	Timeout  time.Duration // how long an invocation may run
	MemoryMB int           // above this resident size the process is killed
	Region   string        // region and account of its ARN
	Account  string
	Log      io.Writer // where the process's output goes
	// Concurrency is the most execution environments (processes) serving
	// invocations at once; 0 means 1.
	Concurrency int
}

// Function is one Lambda function: up to Concurrency execution
// environments, each a process with its own runtime API endpoint, serving
// invocations one at a time. An invocation goes to an idle environment, or
// to a new one while the function is under its concurrency; otherwise it
// waits for the first to be free, as a synchronous invoke past reserved
// concurrency would be retried.
type Function struct {
	cfg   Config
	queue chan *invocation

	mu        sync.Mutex
	instances map[*instance]bool
	idle      int // instances started and not serving an invocation
	closed    bool
	peakRSS   int64 // KiB, over every process of this function
	peakBusy  int   // the most instances serving at once

	invocations atomic.Int64
}

// New returns a function whose first environment starts with its first
// invocation.
func New(c Config) (*Function, error) {
	c.Concurrency = max(c.Concurrency, 1)
	return &Function{cfg: c, queue: make(chan *invocation, 1<<16), instances: map[*instance]bool{}}, nil
}

// Invoke runs one invocation and waits for its result (Invoke with
// RequestResponse). The context only bounds the wait, as for a real client.
func (f *Function) Invoke(ctx context.Context, payload []byte) (InvokeResult, error) {
	inv := &invocation{id: NewRequestID(), payload: payload, done: make(chan InvokeResult, 1)}
	f.invocations.Add(1)
	f.mu.Lock()
	if f.closed {
		f.mu.Unlock()
		return InvokeResult{}, fmt.Errorf("function %s: stack is closed", f.cfg.Name)
	}
	f.mu.Unlock()
	f.queue <- inv
	if err := f.scale(); err != nil {
		return InvokeResult{}, err
	}
	select {
	case r := <-inv.done:
		return r, nil
	case <-ctx.Done():
		return InvokeResult{}, ctx.Err()
	}
}

// scale starts environments while invocations wait that no idle one will
// take and the function is under its concurrency.
func (f *Function) scale() error {
	f.mu.Lock()
	defer f.mu.Unlock()
	for !f.closed && len(f.queue) > f.idle && len(f.instances) < f.cfg.Concurrency {
		in, err := startInstance(f)
		if err != nil {
			return err
		}
		f.instances[in] = true
		f.idle++ // it takes an invocation as soon as its runtime asks
	}
	return nil
}

// Stop ends the function's processes and runtime APIs; queued invocations fail.
func (f *Function) Stop() {
	f.mu.Lock()
	f.closed = true
	ins := make([]*instance, 0, len(f.instances))
	for in := range f.instances {
		ins = append(ins, in)
	}
	f.mu.Unlock()
	for _, in := range ins {
		in.stop()
	}
	for {
		select {
		case inv := <-f.queue:
			inv.finish(errorResult("ServiceException", "the local stack stopped"))
		default:
			return
		}
	}
}

// PeakRSSKiB is the highest resident set size any process of the function reached.
func (f *Function) PeakRSSKiB() int64 {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.peakRSS
}

// PeakConcurrency is the most invocations the function served at once.
func (f *Function) PeakConcurrency() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.peakBusy
}

// Kill ends the function's processes that are serving an invocation at
// once, as a crash would: each invocation in flight fails with
// Runtime.ExitError and the next ones start new processes. It reports
// whether any was killed.
func (f *Function) Kill() bool {
	f.mu.Lock()
	var busy []*instance
	for in := range f.instances {
		if in.busy() {
			busy = append(busy, in)
		}
	}
	f.mu.Unlock()
	for _, in := range busy {
		in.kill()
	}
	return len(busy) > 0
}

// Invocations counts the invocations the function has been given.
func (f *Function) Invocations() int64 { return f.invocations.Load() }

// Env is the environment the function runs with, as KEY=value.
func (f *Function) Env() []string { return f.cfg.Env }

// NewRequestID returns a random request id in the form Lambda's have.
func NewRequestID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	s := hex.EncodeToString(b[:])
	return strings.Join([]string{s[:8], s[8:12], s[12:16], s[16:20], s[20:]}, "-")
}
