// Package lambdart runs a Lambda function the way Lambda does: a Lambda
// Runtime API endpoint for the function's bootstrap executable, started on
// the first invocation and kept warm, with Lambda's timeouts, memory limit,
// crash and init-error results.
package lambdart

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/schoolroster/rosterimport/infra/local/proc"
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
}

// Function is one Lambda function: a runtime API endpoint and at most one
// process (one execution environment) serving invocations one at a time.
type Function struct {
	name     string
	binary   string
	env      []string
	timeout  time.Duration
	memoryMB int
	region   string
	account  string
	log      io.Writer

	srv   *http.Server
	addr  string
	queue chan *invocation

	mu      sync.Mutex
	proc    *proc.Proc
	current *invocation
	initErr []byte
	sawNext bool
	closed  bool
	peakRSS int64 // KiB, over every process of this function

	invocations atomic.Int64
}

// New serves the runtime API for a function on a free port. Its process
// starts with the first invocation.
func New(c Config) (*Function, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	f := &Function{
		name: c.Name, binary: c.Binary, env: c.Env, timeout: c.Timeout, memoryMB: c.MemoryMB, region: c.Region, account: c.Account, log: c.Log,
		addr: ln.Addr().String(), queue: make(chan *invocation, 4096),
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /2018-06-01/runtime/invocation/next", f.next)
	mux.HandleFunc("POST /2018-06-01/runtime/invocation/{id}/response", f.response)
	mux.HandleFunc("POST /2018-06-01/runtime/invocation/{id}/error", f.invokeError)
	mux.HandleFunc("POST /2018-06-01/runtime/init/error", f.initError)
	f.srv = &http.Server{Handler: mux}
	go f.srv.Serve(ln)
	return f, nil
}

// Invoke runs one invocation and waits for its result (Invoke with
// RequestResponse). The context only bounds the wait, as for a real client.
func (f *Function) Invoke(ctx context.Context, payload []byte) (InvokeResult, error) {
	inv := &invocation{id: NewRequestID(), payload: payload, done: make(chan InvokeResult, 1)}
	f.invocations.Add(1)
	f.mu.Lock()
	if f.closed {
		f.mu.Unlock()
		return InvokeResult{}, fmt.Errorf("function %s: stack is closed", f.name)
	}
	f.mu.Unlock()
	f.queue <- inv
	if err := f.ensureRunning(); err != nil {
		return InvokeResult{}, err
	}
	select {
	case r := <-inv.done:
		return r, nil
	case <-ctx.Done():
		return InvokeResult{}, ctx.Err()
	}
}

func (f *Function) ensureRunning() error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.proc != nil || f.closed {
		return nil
	}
	env := append([]string{"AWS_LAMBDA_RUNTIME_API=" + f.addr}, f.env...)
	p, err := proc.Start(f.name, f.log, "", env, f.binary)
	if err != nil {
		return err
	}
	f.proc, f.sawNext, f.initErr = p, false, nil
	go f.watchMemory(p)
	go f.supervise(p)
	return nil
}

// supervise waits for the process to end, fails what it left unanswered as
// Lambda would, and starts a fresh process if work is waiting.
func (f *Function) supervise(p *proc.Proc) {
	<-p.Done()
	f.mu.Lock()
	cur, sawNext, initErr := f.current, f.sawNext, f.initErr
	f.proc, f.current = nil, nil
	closed := f.closed
	f.mu.Unlock()
	exit := fmt.Sprint(p.Err())
	if p.Err() == nil {
		exit = "exit status 0"
	}
	switch {
	case cur != nil:
		cur.finish(errorResult("Runtime.ExitError", "RequestId: %s Error: Runtime exited with error: %s", cur.id, exit))
	case !sawNext:
		// The process died during init: the invocation that started it fails
		// with the init error the runtime posted, or with its exit.
		select {
		case inv := <-f.queue:
			if initErr != nil {
				inv.finish(InvokeResult{Payload: initErr, FunctionError: "Unhandled"})
			} else {
				inv.finish(errorResult("Runtime.ExitError", "RequestId: %s Error: Runtime exited without providing a reason: %s", inv.id, exit))
			}
		default:
		}
	}
	if !closed && len(f.queue) > 0 {
		time.Sleep(50 * time.Millisecond) // do not spin on a function that cannot start
		_ = f.ensureRunning()
	}
}

// watchMemory samples the process's RSS: it records the peak, and kills the
// process when it exceeds MemorySize, as Lambda does.
func (f *Function) watchMemory(p *proc.Proc) {
	t := time.NewTicker(50 * time.Millisecond)
	defer t.Stop()
	for {
		select {
		case <-p.Done():
			return
		case <-t.C:
		}
		rss, peak := p.RSSKiB()
		f.mu.Lock()
		if peak > f.peakRSS {
			f.peakRSS = peak
		}
		cur := f.current
		f.mu.Unlock()
		if f.memoryMB > 0 && rss > int64(f.memoryMB)*1024 {
			if cur != nil {
				cur.finish(errorResult("Runtime.OutOfMemory", "RequestId: %s Error: Runtime exited with error: signal: killed", cur.id))
			}
			p.Kill()
			return
		}
	}
}

func (f *Function) next(w http.ResponseWriter, r *http.Request) {
	var inv *invocation
	select {
	case inv = <-f.queue:
	case <-r.Context().Done():
		return
	}
	f.mu.Lock()
	f.sawNext = true
	f.current = inv
	p := f.proc
	f.mu.Unlock()
	inv.deadline = time.Now().Add(f.timeout)
	time.AfterFunc(f.timeout, func() {
		f.mu.Lock()
		timedOut := f.current == inv
		f.mu.Unlock()
		if timedOut {
			inv.finish(errorResult("Sandbox.Timedout", "RequestId: %s Error: Task timed out after %.2f seconds", inv.id, f.timeout.Seconds()))
			if p != nil {
				p.Kill()
			}
		}
	})
	h := w.Header()
	h.Set("Lambda-Runtime-Aws-Request-Id", inv.id)
	h.Set("Lambda-Runtime-Deadline-Ms", strconv.FormatInt(inv.deadline.UnixMilli(), 10))
	h.Set("Lambda-Runtime-Invoked-Function-Arn", fmt.Sprintf("arn:aws:lambda:%s:%s:function:%s", f.region, f.account, f.name))
	hexID := strings.ReplaceAll(inv.id, "-", "")
	h.Set("Lambda-Runtime-Trace-Id", "Root=1-"+hexID[:8]+"-"+hexID[8:]+";Parent="+hexID[:16]+";Sampled=0")
	h.Set("Content-Type", "application/json")
	_, _ = w.Write(inv.payload)
}

// take returns the in-flight invocation with the given id and clears it.
func (f *Function) take(id string) *invocation {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.current == nil || f.current.id != id {
		return nil
	}
	inv := f.current
	f.current = nil
	return inv
}

const maxResponseBytes = 6 << 20 // Lambda's synchronous response limit

func (f *Function) response(w http.ResponseWriter, r *http.Request) {
	inv := f.take(r.PathValue("id"))
	if inv == nil {
		http.Error(w, `{"errorMessage":"Invalid request ID","errorType":"InvalidRequestID"}`, http.StatusBadRequest)
		return
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, maxResponseBytes+1))
	switch {
	case err != nil:
		inv.finish(errorResult("Runtime.ResponseError", "RequestId: %s Error: reading response: %v", inv.id, err))
	case len(body) > maxResponseBytes:
		inv.finish(errorResult("Function.ResponseSizeTooLarge", "Response payload size exceeded maximum allowed payload size (6291556 bytes)."))
		w.WriteHeader(http.StatusRequestEntityTooLarge)
		return
	default:
		inv.finish(InvokeResult{Payload: body})
	}
	w.WriteHeader(http.StatusAccepted)
}

func (f *Function) invokeError(w http.ResponseWriter, r *http.Request) {
	inv := f.take(r.PathValue("id"))
	if inv == nil {
		http.Error(w, `{"errorMessage":"Invalid request ID","errorType":"InvalidRequestID"}`, http.StatusBadRequest)
		return
	}
	body, _ := io.ReadAll(io.LimitReader(r.Body, maxResponseBytes))
	if !json.Valid(body) {
		body, _ = json.Marshal(map[string]string{"errorType": r.Header.Get("Lambda-Runtime-Function-Error-Type"), "errorMessage": string(body)})
	}
	inv.finish(InvokeResult{Payload: body, FunctionError: "Unhandled"})
	w.WriteHeader(http.StatusAccepted)
}

func (f *Function) initError(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(io.LimitReader(r.Body, maxResponseBytes))
	if !json.Valid(body) {
		body, _ = json.Marshal(map[string]string{"errorType": r.Header.Get("Lambda-Runtime-Function-Error-Type"), "errorMessage": string(body)})
	}
	f.mu.Lock()
	f.initErr = body
	f.mu.Unlock()
	w.WriteHeader(http.StatusAccepted)
}

// Stop ends the function's process and runtime API; queued invocations fail.
func (f *Function) Stop() {
	f.mu.Lock()
	f.closed = true
	p := f.proc
	f.mu.Unlock()
	if p != nil {
		p.Stop(2 * time.Second)
	}
	_ = f.srv.Close()
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

// Kill ends the function's process at once, as a crash would: the invocation
// in flight fails with Runtime.ExitError and the next one starts a new
// process. It reports whether a process was running.
func (f *Function) Kill() bool {
	f.mu.Lock()
	p := f.proc
	f.mu.Unlock()
	if p == nil {
		return false
	}
	p.Kill()
	return true
}

// Invocations counts the invocations the function has been given.
func (f *Function) Invocations() int64 { return f.invocations.Load() }

// Env is the environment the function runs with, as KEY=value.
func (f *Function) Env() []string { return f.env }

// NewRequestID returns a random request id in the form Lambda's have.
func NewRequestID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	s := hex.EncodeToString(b[:])
	return strings.Join([]string{s[:8], s[8:12], s[12:16], s[16:20], s[20:]}, "-")
}
