package faults

import (
	"encoding/json"
	"net/http"
	"strings"
)

// Limits are sending limits SES holds an account to. The zero value limits
// nothing.
type Limits struct {
	// MaxSendRate is the most emails a second (0: no limit). A send call
	// that would go over it is refused whole with TooManyRequestsException.
	// Unlike SES, no burst is tolerated: sends within any one second (for a
	// rate under 1, within 1/rate seconds) never exceed it.
	MaxSendRate float64
	// DailyQuota is the most emails a "day", until NewDay (0: no limit).
	DailyQuota int
	// Reject are recipient addresses SES refuses ("Address blacklisted."),
	// compared without regard to case.
	Reject []string
}

// Stats count what the SES proxy did since it started.
type Stats struct {
	Sent          int64 // emails SES local accepted
	Throttled     int64 // send calls refused with TooManyRequestsException (the rate, or ThrottleNext)
	QuotaExceeded int64 // emails refused for the daily quota
	Rejected      int64 // emails refused for a rejected address
	PeakPerSecond int64 // the most emails sent within any one second
}

// fate is what becomes of one email entry of a send call.
type fate int

const (
	fateSend fate = iota
	fateRejected
	fateOverQuota
)

// plan decides the fate of each entry of a call, given each entry's
// recipients: an entry with a rejected address is rejected; the others are
// sent while the quota lasts (remaining < 0: no quota), in order, each
// recipient counting as one email. It returns the emails of each fate.
func plan(recipients [][]string, reject map[string]bool, remaining int64) (fates []fate, send, rejected, overQuota int64) {
	fates = make([]fate, len(recipients))
	for i, rs := range recipients {
		n := emails(rs)
		switch {
		case rejects(reject, rs):
			fates[i], rejected = fateRejected, rejected+n
		case remaining >= 0 && n > remaining:
			fates[i], overQuota = fateOverQuota, overQuota+n
			remaining = 0 // SES refuses the rest once the quota is reached
		default:
			send += n
			if remaining >= 0 {
				remaining -= n
			}
		}
	}
	return fates, send, rejected, overQuota
}

// emails is how many emails an entry counts for: one per recipient.
func emails(recipients []string) int64 { return max(int64(len(recipients)), 1) }

func rejects(reject map[string]bool, recipients []string) bool {
	for _, r := range recipients {
		if reject[strings.ToLower(strings.TrimSpace(r))] {
			return true
		}
	}
	return false
}

// destination is the part of a send request that names its recipients.
type destination struct {
	ToAddresses, CcAddresses, BccAddresses []string
}

func (d destination) recipients() []string {
	return append(append(append([]string{}, d.ToAddresses...), d.CcAddresses...), d.BccAddresses...)
}

// entryResult is one BulkEmailEntryResults element.
type entryResult struct {
	Status    string `json:"Status"`
	Error     string `json:"Error,omitempty"`
	MessageID string `json:"MessageId,omitempty"`
}

// merge puts SES local's results for the entries that were sent back among
// the refused ones, in the call's order. It reports false if SES local
// answered for a different number of entries.
func merge(fates []fate, sent []json.RawMessage) ([]json.RawMessage, bool) {
	out := make([]json.RawMessage, len(fates))
	next := 0
	for i, f := range fates {
		var r entryResult
		switch f {
		case fateRejected:
			r = entryResult{Status: "MESSAGE_REJECTED", Error: "Address blacklisted."}
		case fateOverQuota:
			r = entryResult{Status: "ACCOUNT_DAILY_QUOTA_EXCEEDED", Error: "Daily message quota exceeded."}
		default:
			if next == len(sent) {
				return nil, false
			}
			out[i] = sent[next]
			next++
			continue
		}
		out[i], _ = json.Marshal(r)
	}
	return out, next == len(sent)
}

// apiError is an SES v2 error as restJson1 carries it: the type in
// x-amzn-ErrorType, the message in the body.
type apiError struct {
	status        int
	code, message string
}

var (
	errTooManyRequests = apiError{http.StatusTooManyRequests, "TooManyRequestsException", "Maximum sending rate exceeded."}
	errDailyQuota      = apiError{http.StatusBadRequest, "LimitExceededException", "Daily message quota exceeded."}
	errRejected        = apiError{http.StatusBadRequest, "MessageRejected", "Address blacklisted."}
)

func (e apiError) write(w http.ResponseWriter) {
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("x-amzn-ErrorType", e.code)
	h.Set("x-amzn-RequestId", requestID())
	w.WriteHeader(e.status)
	b, _ := json.Marshal(map[string]string{"message": e.message})
	_, _ = w.Write(b)
}
