// Package faults holds the proxies the local stack puts between the
// functions and the emulators, to answer some requests as AWS does when it
// limits an account: DynamoDB writes throttled (ProvisionedThroughputExceeded)
// and SES sending limits (rate, daily quota, rejected addresses).
//
// Only the functions go through them; the stack's own clients, its stream
// pollers and tests reach the emulators directly.
package faults

import (
	"crypto/rand"
	"encoding/hex"
	"hash/crc32"
	"log/slog"
	"math"
	"net/http"
	"net/http/httputil"
	"net/url"
	"strconv"
	"sync"
	"time"
)

// writeTargets are the DynamoDB operations that consume write capacity, by
// their X-Amz-Target.
var writeTargets = map[string]bool{
	"DynamoDB_20120810.PutItem": true, "DynamoDB_20120810.UpdateItem": true, "DynamoDB_20120810.DeleteItem": true,
	"DynamoDB_20120810.BatchWriteItem": true, "DynamoDB_20120810.TransactWriteItems": true,
}

// ThrottleBody is what DynamoDB answers a throttled request, with HTTP 400.
const ThrottleBody = `{"__type":"com.amazonaws.dynamodb.v20120810#ProvisionedThroughputExceededException",` +
	`"message":"The level of configured provisioned throughput for the table was exceeded. Consider increasing your provisioning level with the UpdateTable API."}`

// DynamoDBProxy passes requests on to DynamoDB Local and, while told to,
// throttles a fraction of the writes.
type DynamoDBProxy struct {
	next http.Handler
	now  func() time.Time

	mu        sync.Mutex
	selector  everyKth
	until     time.Time // zero: no end
	throttled int64
	passed    int64
}

// NewDynamoDBProxy returns a proxy to the DynamoDB endpoint at target that
// throttles nothing yet; log gets the requests it could not pass on.
// Errors: target is not an absolute URL.
func NewDynamoDBProxy(target string, log *slog.Logger) (*DynamoDBProxy, error) {
	rp, err := reverseProxy(target, log)
	if err != nil {
		return nil, err
	}
	return &DynamoDBProxy{next: rp, now: time.Now}, nil
}

// reverseProxy passes requests on to target. A request that cannot reach it
// gets 502 and is logged, unless its caller went away (a function killed
// mid-call), which is no news.
func reverseProxy(target string, log *slog.Logger) (*httputil.ReverseProxy, error) {
	u, err := url.Parse(target)
	if err != nil || u.Scheme == "" || u.Host == "" {
		return nil, errBadTarget(target)
	}
	rp := httputil.NewSingleHostReverseProxy(u)
	rp.ErrorHandler = func(w http.ResponseWriter, r *http.Request, err error) {
		if r.Context().Err() == nil {
			log.Warn("proxy could not reach the emulator", "target", target, "path", r.URL.Path, "err", err)
		}
		w.WriteHeader(http.StatusBadGateway)
	}
	return rp, nil
}

// Throttle answers that fraction of the write requests that arrive in the
// next d (d <= 0: until the next call) with ProvisionedThroughputExceeded.
// The choice is deterministic: the n-th write since this call is throttled
// when floor(n·fraction) grows, so 1/3 throttles exactly every third write
// and 1 every write. fraction is clamped to [0, 1]; 0 stops throttling.
func (p *DynamoDBProxy) Throttle(fraction float64, d time.Duration) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.selector = newEveryKth(fraction)
	p.until = time.Time{}
	if d > 0 {
		p.until = p.now().Add(d)
	}
}

// Counts returns how many write requests were throttled and how many passed
// on since the proxy started.
func (p *DynamoDBProxy) Counts() (throttled, passed int64) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.throttled, p.passed
}

// ServeHTTP throttles or passes on one request.
func (p *DynamoDBProxy) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if writeTargets[r.Header.Get("X-Amz-Target")] && p.throttle() {
		writeThrottled(w)
		return
	}
	p.next.ServeHTTP(w, r)
}

// throttle decides the fate of one write and counts it.
func (p *DynamoDBProxy) throttle() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	active := p.selector.fraction > 0 && (p.until.IsZero() || p.now().Before(p.until))
	if active && p.selector.next() {
		p.throttled++
		return true
	}
	p.passed++
	return false
}

func writeThrottled(w http.ResponseWriter) {
	h := w.Header()
	h.Set("Content-Type", "application/x-amz-json-1.0")
	h.Set("x-amzn-RequestId", requestID())
	// The SDK checks the body against this checksum, as DynamoDB sends it.
	h.Set("x-amz-crc32", strconv.FormatUint(uint64(crc32.ChecksumIEEE([]byte(ThrottleBody))), 10))
	w.WriteHeader(http.StatusBadRequest)
	_, _ = w.Write([]byte(ThrottleBody))
}

// everyKth picks the n-th of a sequence when floor(n·fraction) grows: an
// even spread, exactly every k-th for a fraction of 1/k.
type everyKth struct {
	fraction float64
	n        int64
}

func newEveryKth(fraction float64) everyKth {
	if math.IsNaN(fraction) || fraction < 0 {
		fraction = 0
	}
	return everyKth{fraction: min(fraction, 1)}
}

// next counts one more and reports whether it is picked.
func (e *everyKth) next() bool {
	e.n++
	// The small term absorbs float error: 3 × 0.333… must reach 1.
	const eps = 1e-9
	return math.Floor(float64(e.n)*e.fraction+eps) > math.Floor(float64(e.n-1)*e.fraction+eps)
}

// requestID is a fresh id in the shape of AWS request ids (a UUID).
func requestID() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	b[6], b[8] = b[6]&0x0f|0x40, b[8]&0x3f|0x80
	h := hex.EncodeToString(b)
	return h[:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
}

type errBadTarget string

func (e errBadTarget) Error() string {
	return "faults: target " + strconv.Quote(string(e)) + " is not an absolute URL"
}
