package faults

import (
	"bytes"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"
)

// The SES v2 paths the proxy looks into; everything else passes on as is.
const (
	pathSendBulk = "/v2/email/outbound-bulk-emails"
	pathSend     = "/v2/email/outbound-emails"
	pathAccount  = "/v2/email/account"
)

// SESProxy passes requests on to SES local and holds the sends to Limits:
// SendBulkEmail and SendEmail calls over the rate, over the daily quota or
// to rejected addresses are answered as SES answers them, and GetAccount
// reports the limits.
type SESProxy struct {
	target *url.URL
	pass   http.Handler
	client *http.Client
	log    *slog.Logger
	now    func() time.Time

	mu       sync.Mutex
	limits   Limits
	reject   map[string]bool
	throttle int   // send calls still to refuse whatever the rate
	today    int64 // emails counted toward the daily quota
	sends    sendLog
	stats    Stats
	calls    int64      // send calls passed on to SES local
	sent     []Delivery // every email SES local accepted, in order
}

// Delivery is one email SES local accepted through the proxy.
type Delivery struct {
	At   time.Time
	To   string // the recipient, as the call named it
	Call int64  // the send call it was in, counting from 1
}

// NewSESProxy returns a proxy to the SES v2 endpoint at target, with no
// limits; log gets the requests it could not pass on.
// Errors: target is not an absolute URL.
func NewSESProxy(target string, log *slog.Logger) (*SESProxy, error) {
	rp, err := reverseProxy(target, log)
	if err != nil {
		return nil, err
	}
	u, _ := url.Parse(target)
	return &SESProxy{target: u, pass: rp, client: &http.Client{Timeout: time.Minute}, log: log,
		now: time.Now, reject: map[string]bool{}}, nil
}

// SetLimits replaces the limits. What was sent today still counts.
func (p *SESProxy) SetLimits(l Limits) {
	p.mu.Lock()
	defer p.mu.Unlock()
	l.Reject = append([]string(nil), l.Reject...)
	p.limits = l
	p.reject = map[string]bool{}
	for _, a := range l.Reject {
		p.reject[strings.ToLower(strings.TrimSpace(a))] = true
	}
}

// Limits returns the limits in force.
func (p *SESProxy) Limits() Limits {
	p.mu.Lock()
	defer p.mu.Unlock()
	l := p.limits
	l.Reject = append([]string(nil), l.Reject...)
	return l
}

// ThrottleNext refuses the next n send calls with TooManyRequestsException,
// whatever the rate.
func (p *SESProxy) ThrottleNext(n int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.throttle = max(n, 0)
}

// NewDay starts a new day: the daily quota is whole again.
func (p *SESProxy) NewDay() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.today = 0
}

// Stats returns the counts so far.
func (p *SESProxy) Stats() Stats {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.stats
}

// ServeHTTP answers one SES v2 request.
func (p *SESProxy) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	switch {
	case r.Method == http.MethodPost && r.URL.Path == pathSendBulk:
		p.sendBulk(w, r)
	case r.Method == http.MethodPost && r.URL.Path == pathSend:
		p.sendOne(w, r)
	case r.Method == http.MethodGet && r.URL.Path == pathAccount:
		p.account(w, r)
	default:
		p.pass.ServeHTTP(w, r)
	}
}

// decision is what the limits make of a send call.
type decision struct {
	refusal *apiError // the whole call is refused
	fates   []fate
	emails  []int64 // of each entry
}

// decide applies the limits to a call whose entries have these recipients,
// and counts what it decides: the emails to send count toward the rate and
// the quota until settle says otherwise.
func (p *SESProxy) decide(recipients [][]string) decision {
	p.mu.Lock()
	defer p.mu.Unlock()
	d := decision{emails: make([]int64, len(recipients))}
	var total int64
	for i, rs := range recipients {
		d.emails[i] = emails(rs)
		total += d.emails[i]
	}
	if p.throttle > 0 {
		p.throttle--
		p.stats.Throttled++
		d.refusal = &errTooManyRequests
		return d
	}
	remaining := int64(-1)
	if q := int64(p.limits.DailyQuota); q > 0 {
		if p.today >= q {
			p.stats.QuotaExceeded += total
			d.refusal = &errDailyQuota
			return d
		}
		remaining = q - p.today
	}
	fates, send, rejected, overQuota := plan(recipients, p.reject, remaining)
	now := p.now()
	if !p.sends.allows(now, send, p.limits.MaxSendRate) {
		p.stats.Throttled++
		d.refusal = &errTooManyRequests
		return d
	}
	p.sends.add(now, send, p.limits.MaxSendRate)
	p.stats.PeakPerSecond = p.sends.peak
	p.today += send
	p.stats.Rejected += rejected
	p.stats.QuotaExceeded += overQuota
	d.fates = fates
	return d
}

// succeeded counts the emails of the entries sent whose result, among
// SES local's results for them in order, is SUCCESS, and returns their
// recipients.
func (d decision) succeeded(results []json.RawMessage, recipients [][]string) (sent int64, to []string) {
	k := 0
	for i, f := range d.fates {
		if f != fateSend || k >= len(results) {
			continue
		}
		var res entryResult
		if json.Unmarshal(results[k], &res) == nil && res.Status == "SUCCESS" {
			sent += d.emails[i]
			to = append(to, recipients[i]...)
		}
		k++
	}
	return sent, to
}

// settle counts the emails SES local sent and gives the quota back for
// those it did not; to are the recipients of those sent.
func (p *SESProxy) settle(sent, failed int64, to []string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.stats.Sent += sent
	p.today = max(p.today-failed, 0)
	if len(to) > 0 {
		p.calls++
		now := p.now()
		for _, a := range to {
			p.sent = append(p.sent, Delivery{At: now, To: a, Call: p.calls})
		}
	}
}

// Deliveries returns the emails SES local accepted, from the from-th on
// (counting from 0), in the order they were sent.
func (p *SESProxy) Deliveries(from int) []Delivery {
	p.mu.Lock()
	defer p.mu.Unlock()
	if from >= len(p.sent) {
		return nil
	}
	return append([]Delivery(nil), p.sent[max(from, 0):]...)
}

func (p *SESProxy) sendBulk(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(r.Body)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	var req map[string]json.RawMessage
	var entries []json.RawMessage
	if json.Unmarshal(body, &req) != nil || json.Unmarshal(req["BulkEmailEntries"], &entries) != nil || len(entries) == 0 {
		p.forwardAsIs(w, r, body) // SES local says what is wrong with it
		return
	}
	recipients := make([][]string, len(entries))
	for i, e := range entries {
		var entry struct{ Destination destination }
		_ = json.Unmarshal(e, &entry)
		recipients[i] = entry.Destination.recipients()
	}
	d := p.decide(recipients)
	if d.refusal != nil {
		d.refusal.write(w)
		return
	}
	var toSend []json.RawMessage
	var sending int64
	for i, f := range d.fates {
		if f == fateSend {
			toSend = append(toSend, entries[i])
			sending += d.emails[i]
		}
	}
	var results []json.RawMessage
	header := http.Header{}
	if len(toSend) > 0 {
		req["BulkEmailEntries"], _ = json.Marshal(toSend)
		filtered, _ := json.Marshal(req)
		resp, respBody, err := p.forward(r, filtered)
		var out struct{ BulkEmailEntryResults []json.RawMessage }
		if err != nil || resp.StatusCode != http.StatusOK || json.Unmarshal(respBody, &out) != nil {
			p.settle(0, sending, nil)
			p.writeForwarded(w, r, resp, respBody, err)
			return
		}
		results, header = out.BulkEmailEntryResults, resp.Header
	}
	merged, ok := merge(d.fates, results)
	if !ok {
		p.settle(0, sending, nil)
		http.Error(w, "SES local answered for another number of entries", http.StatusBadGateway)
		return
	}
	sent, to := d.succeeded(results, recipients)
	p.settle(sent, sending-sent, to)
	b, _ := json.Marshal(map[string]any{"BulkEmailEntryResults": merged})
	w.Header().Set("Content-Type", "application/json")
	if id := header.Get("x-amzn-RequestId"); id != "" {
		w.Header().Set("x-amzn-RequestId", id)
	}
	_, _ = w.Write(b)
}

func (p *SESProxy) sendOne(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(r.Body)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	var req struct{ Destination destination }
	if json.Unmarshal(body, &req) != nil {
		p.forwardAsIs(w, r, body)
		return
	}
	d := p.decide([][]string{req.Destination.recipients()})
	switch {
	case d.refusal != nil:
		d.refusal.write(w)
		return
	case d.fates[0] == fateRejected:
		errRejected.write(w)
		return
	case d.fates[0] == fateOverQuota:
		errDailyQuota.write(w)
		return
	}
	resp, respBody, err := p.forward(r, body)
	if err == nil && resp.StatusCode == http.StatusOK {
		p.settle(d.emails[0], 0, req.Destination.recipients())
	} else {
		p.settle(0, d.emails[0], nil)
	}
	p.writeForwarded(w, r, resp, respBody, err)
}

// account passes GetAccount on and, when a rate or a quota is set, reports
// them and what was sent today in SendQuota.
func (p *SESProxy) account(w http.ResponseWriter, r *http.Request) {
	resp, body, err := p.forward(r, nil)
	p.mu.Lock()
	rate, quota, today := p.limits.MaxSendRate, p.limits.DailyQuota, p.today
	p.mu.Unlock()
	var acct map[string]any
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	if err != nil || resp.StatusCode != http.StatusOK || (rate <= 0 && quota <= 0) || dec.Decode(&acct) != nil {
		p.writeForwarded(w, r, resp, body, err)
		return
	}
	sq, _ := acct["SendQuota"].(map[string]any)
	if sq == nil {
		sq = map[string]any{}
	}
	if rate > 0 {
		sq["MaxSendRate"] = rate
	}
	if quota > 0 {
		sq["Max24HourSend"] = quota
	}
	sq["SentLast24Hours"] = today
	acct["SendQuota"] = sq
	b, _ := json.Marshal(acct)
	resp.Header.Del("Content-Length")
	p.writeForwarded(w, r, resp, b, nil)
}

// forward sends r, with body, to SES local and reads the answer.
func (p *SESProxy) forward(r *http.Request, body []byte) (*http.Response, []byte, error) {
	u := *p.target
	u.Path, u.RawQuery = r.URL.Path, r.URL.RawQuery
	req, err := http.NewRequestWithContext(r.Context(), r.Method, u.String(), bytes.NewReader(body))
	if err != nil {
		return nil, nil, err
	}
	req.Header = r.Header.Clone()
	if body == nil {
		req.Body, req.ContentLength = http.NoBody, 0
	}
	resp, err := p.client.Do(req)
	if err != nil {
		return nil, nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return resp, b, err
}

func (p *SESProxy) forwardAsIs(w http.ResponseWriter, r *http.Request, body []byte) {
	resp, b, err := p.forward(r, body)
	p.writeForwarded(w, r, resp, b, err)
}

// writeForwarded copies SES local's answer, or says it could not be reached.
func (p *SESProxy) writeForwarded(w http.ResponseWriter, r *http.Request, resp *http.Response, body []byte, err error) {
	if err != nil {
		if r.Context().Err() == nil {
			p.log.Warn("proxy could not reach SES local", "path", r.URL.Path, "err", err)
		}
		http.Error(w, "SES local: "+err.Error(), http.StatusBadGateway)
		return
	}
	for k, vs := range resp.Header {
		if k != "Content-Length" {
			w.Header()[k] = vs
		}
	}
	w.WriteHeader(resp.StatusCode)
	_, _ = w.Write(body)
}
