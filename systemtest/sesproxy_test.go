package systemtest

import (
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strings"
	"sync"
)

// throttlingProxy stands between the mailer and SES local; told to, it answers bulk
// sends with SES's throttling error instead of passing them on.
type throttlingProxy struct {
	*httptest.Server
	mu        sync.Mutex
	target    *httputil.ReverseProxy
	throttle  int // bulk sends still to refuse
	throttled int // bulk sends refused so far
	passed    int // bulk sends passed on
}

var sesProxy *throttlingProxy

func newSESProxy() *throttlingProxy {
	p := &throttlingProxy{}
	p.Server = httptest.NewServer(http.HandlerFunc(p.serve))
	return p
}

func (p *throttlingProxy) setTarget(u string) {
	target, _ := url.Parse(u)
	p.mu.Lock()
	p.target = httputil.NewSingleHostReverseProxy(target)
	p.mu.Unlock()
}

// throttleNext makes the next n bulk sends fail with TooManyRequestsException.
func (p *throttlingProxy) throttleNext(n int) {
	p.mu.Lock()
	p.throttle = n
	p.mu.Unlock()
}

func (p *throttlingProxy) counts() (throttled, passed int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.throttled, p.passed
}

func (p *throttlingProxy) serve(w http.ResponseWriter, r *http.Request) {
	p.mu.Lock()
	bulk := strings.HasSuffix(r.URL.Path, "/outbound-bulk-emails")
	refuse := bulk && p.throttle > 0
	if refuse {
		p.throttle--
		p.throttled++
	} else if bulk {
		p.passed++
	}
	target := p.target
	p.mu.Unlock()
	if refuse {
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("X-Amzn-ErrorType", "TooManyRequestsException")
		w.WriteHeader(http.StatusTooManyRequests)
		_, _ = w.Write([]byte(`{"message":"Maximum sending rate exceeded."}`))
		return
	}
	target.ServeHTTP(w, r)
}
