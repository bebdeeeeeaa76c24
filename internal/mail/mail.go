// Package mail is the SES v2 adapter: invitation emails sent with the
// template that template.yaml declares, in bulk (up to 50 recipients a call).
package mail

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"html"
	"strings"
	"sync/atomic"
	"unicode"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sesv2"
	"github.com/aws/aws-sdk-go-v2/service/sesv2/types"
	"github.com/aws/smithy-go"

	"github.com/schoolroster/rosterimport/internal/app"
)

// API is the part of the SES v2 client the sender uses.
type API interface {
	SendBulkEmail(context.Context, *sesv2.SendBulkEmailInput, ...func(*sesv2.Options)) (*sesv2.SendBulkEmailOutput, error)
	GetAccount(context.Context, *sesv2.GetAccountInput, ...func(*sesv2.Options)) (*sesv2.GetAccountOutput, error)
}

var _ API = (*sesv2.Client)(nil)

// MaxBulk is how many recipients SendBulkEmail takes in one call.
const MaxBulk = app.MaxBulk

// Sender sends invitation emails.
type Sender struct {
	ses      API
	from     string
	template string
	Calls    atomic.Int64
}

// NewSender returns a Sender from a verified sender address with an SES template.
func NewSender(api API, from, template string) *Sender {
	return &Sender{ses: api, from: from, template: template}
}

var _ app.BulkSender = (*Sender)(nil)

// TemplateData is the replacement data of one email. Every value is plain
// text without control characters (so none can start a header line) and,
// for the HTML part, HTML-escaped; the template inserts them with triple
// braces, so they are escaped exactly once whatever SES's own handling.
func TemplateData(inv app.Email) map[string]string {
	first := plainText(inv.FirstName, 100)
	if first == "" {
		first = "there"
	}
	school := plainText(inv.SchoolName, 200)
	return map[string]string{
		"firstName": first, "firstNameHtml": html.EscapeString(first),
		"schoolName": school, "schoolNameHtml": html.EscapeString(school),
		"acceptUrl": inv.AcceptURL, "acceptUrlHtml": html.EscapeString(inv.AcceptURL),
	}
}

// plainText folds white space (line breaks included) to single spaces, drops
// control and format characters, and cuts to max runes.
func plainText(s string, max int) string {
	var b strings.Builder
	space, n := false, 0
	for _, r := range s {
		switch {
		case unicode.IsSpace(r):
			space = true
		case unicode.IsControl(r) || unicode.Is(unicode.Cf, r):
		default:
			if n == max {
				return strings.TrimSpace(b.String())
			}
			if space && b.Len() > 0 {
				b.WriteByte(' ')
				n++
			}
			space = false
			b.WriteRune(r)
			n++
		}
	}
	return b.String()
}

// SendBulk sends up to MaxBulk invitations in one call and returns one
// outcome per invitation, in order. Calls counts the calls made, for the
// function's metrics.
// Errors: an *app.SendError when the call as a whole failed (rate, daily
// quota, sending paused, unreachable): nothing was sent, and its Wait says
// why.
func (s *Sender) SendBulk(ctx context.Context, invs []app.Email) ([]app.SendOutcome, error) {
	s.Calls.Add(1)
	if len(invs) == 0 {
		return nil, nil
	}
	if len(invs) > MaxBulk {
		return nil, fmt.Errorf("mail: %d recipients, at most %d a call", len(invs), MaxBulk)
	}
	entries := make([]types.BulkEmailEntry, len(invs))
	for i, inv := range invs {
		data, err := json.Marshal(TemplateData(inv))
		if err != nil {
			return nil, err
		}
		entries[i] = types.BulkEmailEntry{
			Destination:             &types.Destination{ToAddresses: []string{inv.To}},
			ReplacementEmailContent: &types.ReplacementEmailContent{ReplacementTemplate: &types.ReplacementTemplate{ReplacementTemplateData: aws.String(string(data))}},
		}
	}
	defaults, _ := json.Marshal(TemplateData(app.Email{}))
	out, err := s.ses.SendBulkEmail(ctx, &sesv2.SendBulkEmailInput{
		FromEmailAddress: &s.from,
		DefaultContent:   &types.BulkEmailContent{Template: &types.Template{TemplateName: &s.template, TemplateData: aws.String(string(defaults))}},
		BulkEmailEntries: entries,
	})
	if err != nil {
		return nil, sendError(err)
	}
	if len(out.BulkEmailEntryResults) != len(invs) {
		return nil, fmt.Errorf("send bulk email: %d results for %d entries", len(out.BulkEmailEntryResults), len(invs))
	}
	outcomes := make([]app.SendOutcome, len(invs))
	for i, r := range out.BulkEmailEntryResults {
		outcomes[i] = outcome(r)
	}
	return outcomes, nil
}

// outcome reads one entry's result: sent, refused for good (the recipient's
// fault), or waiting (the account's: rate, quota, paused; or the service's).
func outcome(r types.BulkEmailEntryResult) app.SendOutcome {
	err := fmt.Errorf("%s: %s", r.Status, aws.ToString(r.Error))
	switch r.Status {
	case types.BulkEmailStatusSuccess:
		return app.SendOutcome{MessageID: aws.ToString(r.MessageId)}
	case types.BulkEmailStatusMessageRejected, types.BulkEmailStatusInvalidParameter:
		return app.SendOutcome{Permanent: true, Code: string(r.Status), Err: err}
	case types.BulkEmailStatusAccountThrottled:
		return app.SendOutcome{Wait: app.WaitRate, Err: err}
	case types.BulkEmailStatusAccountDailyQuotaExceeded:
		return app.SendOutcome{Wait: app.WaitQuota, Err: err}
	case types.BulkEmailStatusAccountSendingPaused, types.BulkEmailStatusConfigurationSetSendingPaused, types.BulkEmailStatusAccountSuspended:
		return app.SendOutcome{Wait: app.WaitPaused, Err: err}
	}
	// Configuration (template, MAIL FROM) and transient failures: none is
	// the recipient's fault, so the mail waits and is tried again.
	return app.SendOutcome{Wait: app.WaitUnavailable, Err: err}
}

// sendError says why a bulk call sent nothing. SES answers a spent daily
// quota and an exceeded rate as throttling, telling them apart by message
// ("Daily message quota exceeded", "Maximum sending rate exceeded").
func sendError(err error) error {
	var tooMany *types.TooManyRequestsException
	var paused *types.SendingPausedException
	var suspended *types.AccountSuspendedException
	var ae smithy.APIError
	switch {
	case errors.As(err, &paused), errors.As(err, &suspended):
		return &app.SendError{Wait: app.WaitPaused, Err: err}
	case errors.As(err, &ae) && strings.Contains(ae.ErrorMessage(), "Daily message quota exceeded"):
		return &app.SendError{Wait: app.WaitQuota, Err: err}
	case errors.As(err, &tooMany), errors.As(err, &ae) && ae.ErrorCode() == "ThrottlingException":
		return &app.SendError{Wait: app.WaitRate, Err: err}
	}
	return &app.SendError{Wait: app.WaitUnavailable, Err: fmt.Errorf("send bulk email: %w", err)}
}

// MaxSendRate returns the account's sending rate (emails a second).
// Errors: whatever SES answers.
func (s *Sender) MaxSendRate(ctx context.Context) (float64, error) {
	out, err := s.ses.GetAccount(ctx, &sesv2.GetAccountInput{})
	if err != nil {
		return 0, err
	}
	if out.SendQuota == nil || out.SendQuota.MaxSendRate <= 0 {
		return 1, nil
	}
	return out.SendQuota.MaxSendRate, nil
}
