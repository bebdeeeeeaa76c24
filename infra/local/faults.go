package local

import (
	"fmt"
	"net"
	"net/http"
	"time"

	"github.com/schoolroster/rosterimport/infra/local/faults"
)

// This file is the fault injection between the functions and the
// emulators: every function reaches DynamoDB and SES through a proxy that
// can answer as AWS answers a limited account. The stack's own clients,
// stream pollers and tests reach the emulators directly.

// SESLimits are the sending limits SES holds the functions to: MaxSendRate
// (emails a second), DailyQuota (emails a "day", until SESNewDay) and Reject
// (addresses refused); zero values limit nothing. See faults.Limits.
type SESLimits = faults.Limits

// SESStats count what the SES proxy did: emails sent, calls throttled,
// emails refused for the quota or rejected, and the most sent in any one
// second. See faults.Stats.
type SESStats = faults.Stats

// Faults are faults the stack injects from its start, as `stack run`'s flags
// set them; tests usually use the Stack's controls instead.
type Faults struct {
	// DynamoDBWriteThrottle is the fraction of the functions' DynamoDB
	// writes throttled for the stack's whole life (see ThrottleDynamoDB).
	DynamoDBWriteThrottle float64
	// SES are the sending limits the functions are held to (see
	// SetSESLimits). Its MaxSendRate is also what SES local reports, so
	// Options.SESMaxSendRate must be unset or equal.
	SES SESLimits
}

// startProxies serves the fault proxies in front of DynamoDB Local and SES
// local, with the faults of the options.
func (s *Stack) startProxies() error {
	ddb, err := faults.NewDynamoDBProxy(s.DynamoDBURL, s.log)
	if err != nil {
		return err
	}
	ses, err := faults.NewSESProxy(s.SESURL, s.log)
	if err != nil {
		return err
	}
	if f := s.opts.Faults.DynamoDBWriteThrottle; f > 0 {
		ddb.Throttle(f, 0)
	}
	ses.SetLimits(s.opts.Faults.SES)
	s.ddbProxy, s.sesProxy = ddb, ses
	if s.DynamoDBProxyURL, err = s.listen(ddb); err != nil {
		return err
	}
	s.SESProxyURL, err = s.listen(ses)
	return err
}

// listen serves h on a free port of 127.0.0.1 and returns its URL.
func (s *Stack) listen(h http.Handler) (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", fmt.Errorf("listen: %w", err)
	}
	s.serve(ln, h)
	return "http://" + ln.Addr().String(), nil
}

// ThrottleDynamoDB makes DynamoDB throttle that fraction of the functions'
// writes (PutItem, UpdateItem, DeleteItem, BatchWriteItem,
// TransactWriteItems) for the next d (d <= 0: until the next call), as
// DynamoDB throttles a table over its capacity: HTTP 400
// ProvisionedThroughputExceededException. The choice is deterministic, by
// count from this call: 1/3 throttles exactly every third write, 1 every
// write; 0 stops throttling. fraction is clamped to [0, 1]. Reads, the
// stack's own clients and the stream pollers are never throttled.
func (s *Stack) ThrottleDynamoDB(fraction float64, d time.Duration) {
	s.ddbProxy.Throttle(fraction, d)
}

// DynamoDBThrottled returns how many of the functions' DynamoDB writes were
// throttled and how many passed since the stack started.
func (s *Stack) DynamoDBThrottled() (throttled, passed int64) {
	return s.ddbProxy.Counts()
}

// SetSESLimits holds the functions' SES sending to l from now on, as SES
// does an account's:
//   - over MaxSendRate, a SendBulkEmail or SendEmail call is refused whole
//     with HTTP 429 TooManyRequestsException "Maximum sending rate
//     exceeded." (no burst is tolerated);
//   - with no DailyQuota left, a call is refused whole with HTTP 400
//     LimitExceededException "Daily message quota exceeded."; bulk entries
//     past the quota get ACCOUNT_DAILY_QUOTA_EXCEEDED;
//   - bulk entries to a Reject address get MESSAGE_REJECTED "Address
//     blacklisted." (a SendEmail call, MessageRejected) and do not count.
//
// Only the entries SES accepts reach SES local. GetAccount then reports the
// rate and quota, and what was sent today, in SendQuota. Each recipient
// counts as one email. What was sent today still counts after a change.
func (s *Stack) SetSESLimits(l SESLimits) {
	s.sesProxy.SetLimits(l)
}

// ThrottleSESNext makes SES refuse the functions' next n send calls
// (SendBulkEmail, SendEmail) with TooManyRequestsException, whatever the
// limits.
func (s *Stack) ThrottleSESNext(n int) {
	s.sesProxy.ThrottleNext(n)
}

// SESNewDay starts a new SES "day": the daily quota is whole again. Tests
// call it as their simulated clock passes midnight.
func (s *Stack) SESNewDay() {
	s.sesProxy.NewDay()
}

// SESDelivery is one email SES local accepted from the functions.
type SESDelivery = faults.Delivery

// SESDeliveries returns the emails SES local accepted since the stack
// started, from the from-th on (counting from 0), in the order sent.
func (s *Stack) SESDeliveries(from int) []SESDelivery {
	return s.sesProxy.Deliveries(from)
}

// SESStats returns what the SES proxy counted since the stack started.
func (s *Stack) SESStats() SESStats {
	return s.sesProxy.Stats()
}

// LoseStreamRecords makes function's stream mappings, while on, send every
// batch straight to their on-failure destination (its position, as AWS
// writes it) without invoking the function: records lost as if every retry
// had failed. Tests use it to show the sweeper re-driving lost work.
// Errors: when the function has no stream mapping.
func (s *Stack) LoseStreamRecords(function string, on bool) error {
	found := false
	for _, p := range s.pollers {
		if p.Function() == function {
			p.LoseRecords(on)
			found = true
		}
	}
	if !found {
		return fmt.Errorf("function %s has no stream mapping", function)
	}
	return nil
}
