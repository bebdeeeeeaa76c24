package lambdart

import (
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/schoolroster/rosterimport/infra/local/proc"
)

// instance is one execution environment of a function: a process and the
// runtime API endpoint it polls, serving one invocation at a time from the
// function's queue.
type instance struct {
	f    *Function
	srv  *http.Server
	proc *proc.Proc

	mu      sync.Mutex
	current *invocation
	initErr []byte
	sawNext bool
}

// startInstance starts a process with its own runtime API. The caller holds
// f.mu and counts the instance.
func startInstance(f *Function) (*instance, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	in := &instance{f: f}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /2018-06-01/runtime/invocation/next", in.next)
	mux.HandleFunc("POST /2018-06-01/runtime/invocation/{id}/response", in.response)
	mux.HandleFunc("POST /2018-06-01/runtime/invocation/{id}/error", in.invokeError)
	mux.HandleFunc("POST /2018-06-01/runtime/init/error", in.initError)
	in.srv = &http.Server{Handler: mux}
	go in.srv.Serve(ln)
	env := append([]string{"AWS_LAMBDA_RUNTIME_API=" + ln.Addr().String()}, f.cfg.Env...)
	p, err := proc.Start(f.cfg.Name, f.cfg.Log, "", env, f.cfg.Binary)
	if err != nil {
		_ = in.srv.Close()
		return nil, err
	}
	in.proc = p
	go in.watchMemory()
	go in.supervise()
	return in, nil
}

func (in *instance) busy() bool {
	in.mu.Lock()
	defer in.mu.Unlock()
	return in.current != nil
}

func (in *instance) kill() { in.proc.Kill() }

func (in *instance) stop() {
	in.proc.Stop(2 * time.Second)
	_ = in.srv.Close()
}

// supervise waits for the process to end, fails what it left unanswered as
// Lambda would, and lets the function start another environment if work is
// waiting.
func (in *instance) supervise() {
	p := in.proc
	<-p.Done()
	_ = in.srv.Close()
	in.mu.Lock()
	cur, sawNext, initErr := in.current, in.sawNext, in.initErr
	in.current = nil
	in.mu.Unlock()

	f := in.f
	f.mu.Lock()
	delete(f.instances, in)
	if cur == nil {
		f.idle--
	}
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
		_ = f.scale()
	}
}

// watchMemory samples the process's RSS: it records the peak, and kills the
// process when it exceeds MemorySize, as Lambda does.
func (in *instance) watchMemory() {
	p, f := in.proc, in.f
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
		f.peakRSS = max(f.peakRSS, peak)
		f.mu.Unlock()
		if f.cfg.MemoryMB > 0 && rss > int64(f.cfg.MemoryMB)*1024 {
			in.mu.Lock()
			cur := in.current
			in.mu.Unlock()
			if cur != nil {
				cur.finish(errorResult("Runtime.OutOfMemory", "RequestId: %s Error: Runtime exited with error: signal: killed", cur.id))
			}
			p.Kill()
			return
		}
	}
}

func (in *instance) next(w http.ResponseWriter, r *http.Request) {
	f := in.f
	var inv *invocation
	select {
	case inv = <-f.queue:
	case <-r.Context().Done():
		return
	}
	in.mu.Lock()
	in.sawNext, in.current = true, inv
	in.mu.Unlock()
	f.mu.Lock()
	f.idle--
	f.peakBusy = max(f.peakBusy, len(f.instances)-f.idle)
	f.mu.Unlock()
	// An invocation queued between this one leaving the queue and idle
	// counting it saw this instance as idle: look again.
	_ = f.scale()

	inv.deadline = time.Now().Add(f.cfg.Timeout)
	time.AfterFunc(f.cfg.Timeout, func() {
		in.mu.Lock()
		timedOut := in.current == inv
		in.mu.Unlock()
		if timedOut {
			inv.finish(errorResult("Sandbox.Timedout", "RequestId: %s Error: Task timed out after %.2f seconds", inv.id, f.cfg.Timeout.Seconds()))
			in.proc.Kill()
		}
	})
	h := w.Header()
	h.Set("Lambda-Runtime-Aws-Request-Id", inv.id)
	h.Set("Lambda-Runtime-Deadline-Ms", strconv.FormatInt(inv.deadline.UnixMilli(), 10))
	h.Set("Lambda-Runtime-Invoked-Function-Arn", fmt.Sprintf("arn:aws:lambda:%s:%s:function:%s", f.cfg.Region, f.cfg.Account, f.cfg.Name))
	hexID := strings.ReplaceAll(inv.id, "-", "")
	h.Set("Lambda-Runtime-Trace-Id", "Root=1-"+hexID[:8]+"-"+hexID[8:]+";Parent="+hexID[:16]+";Sampled=0")
	h.Set("Content-Type", "application/json")
	_, _ = w.Write(inv.payload)
}

// take returns the in-flight invocation with the given id and clears it:
// the instance is idle again.
func (in *instance) take(id string) *invocation {
	in.mu.Lock()
	if in.current == nil || in.current.id != id {
		in.mu.Unlock()
		return nil
	}
	inv := in.current
	in.current = nil
	in.mu.Unlock()
	in.f.mu.Lock()
	in.f.idle++
	in.f.mu.Unlock()
	return inv
}

const maxResponseBytes = 6 << 20 // Lambda's synchronous response limit

func (in *instance) response(w http.ResponseWriter, r *http.Request) {
	inv := in.take(r.PathValue("id"))
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

func (in *instance) invokeError(w http.ResponseWriter, r *http.Request) {
	inv := in.take(r.PathValue("id"))
	if inv == nil {
		http.Error(w, `{"errorMessage":"Invalid request ID","errorType":"InvalidRequestID"}`, http.StatusBadRequest)
		return
	}
	inv.finish(InvokeResult{Payload: errorBody(r), FunctionError: "Unhandled"})
	w.WriteHeader(http.StatusAccepted)
}

func (in *instance) initError(w http.ResponseWriter, r *http.Request) {
	body := errorBody(r)
	in.mu.Lock()
	in.initErr = body
	in.mu.Unlock()
	w.WriteHeader(http.StatusAccepted)
}

// errorBody is the error document a runtime posted, as JSON.
func errorBody(r *http.Request) []byte {
	body, _ := io.ReadAll(io.LimitReader(r.Body, maxResponseBytes))
	if !json.Valid(body) {
		body, _ = json.Marshal(map[string]string{"errorType": r.Header.Get("Lambda-Runtime-Function-Error-Type"), "errorMessage": string(body)})
	}
	return body
}
