package local_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sesv2"
	sestypes "github.com/aws/aws-sdk-go-v2/service/sesv2/types"

	"github.com/schoolroster/rosterimport/infra/local"
)

// proxiedSES is a client that goes where the functions go, one attempt a
// call so every answer is seen.
func proxiedSES() *sesv2.Client {
	return sesv2.NewFromConfig(fixture.AWS, func(o *sesv2.Options) {
		o.BaseEndpoint = aws.String(fixture.SESProxyURL)
		o.RetryMaxAttempts = 1
	})
}

// sendBulk sends one templated email to each address through the proxy.
func sendBulk(ses *sesv2.Client, to ...string) (*sesv2.SendBulkEmailOutput, error) {
	entries := make([]sestypes.BulkEmailEntry, len(to))
	for i, a := range to {
		entries[i] = sestypes.BulkEmailEntry{Destination: &sestypes.Destination{ToAddresses: []string{a}}}
	}
	return ses.SendBulkEmail(context.Background(), &sesv2.SendBulkEmailInput{
		FromEmailAddress: aws.String("fixture@stack.test"),
		DefaultContent: &sestypes.BulkEmailContent{Template: &sestypes.Template{
			TemplateContent: &sestypes.EmailTemplateContent{Subject: aws.String("Hello"), Text: aws.String("Hello there")},
			TemplateData:    aws.String("{}"),
		}},
		BulkEmailEntries: entries,
	})
}

func statuses(out *sesv2.SendBulkEmailOutput) string {
	var s []string
	for _, r := range out.BulkEmailEntryResults {
		s = append(s, string(r.Status))
	}
	return strings.Join(s, " ")
}

// delivered lists who SES local holds mail for among addrs.
func delivered(t *testing.T, addrs ...string) []string {
	t.Helper()
	resp, err := http.Get(fixture.SESURL + "/store")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var st struct {
		Emails []struct{ Destination struct{ To []string } }
	}
	if err := json.NewDecoder(resp.Body).Decode(&st); err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, m := range st.Emails {
		for _, to := range m.Destination.To {
			if slices.Contains(addrs, to) {
				out = append(out, to)
			}
		}
	}
	slices.Sort(out)
	return out
}

func sendQuota(t *testing.T, ses *sesv2.Client) sestypes.SendQuota {
	t.Helper()
	out, err := ses.GetAccount(context.Background(), &sesv2.GetAccountInput{})
	if err != nil || out.SendQuota == nil {
		t.Fatalf("GetAccount: %v", err)
	}
	return *out.SendQuota
}

func TestSESDailyQuotaAndRejectedAddresses(t *testing.T) {
	t.Cleanup(func() { fixture.SetSESLimits(local.SESLimits{}); fixture.SESNewDay() })
	ses := proxiedSES()
	fixture.SESNewDay()
	fixture.SetSESLimits(local.SESLimits{DailyQuota: 3, Reject: []string{"Bad@quota.test"}})
	before := fixture.SESStats()

	out, err := sendBulk(ses, "a@quota.test", "bad@quota.test", "b@quota.test", "c@quota.test", "d@quota.test")
	if err != nil {
		t.Fatal(err)
	}
	if got, want := statuses(out), "SUCCESS MESSAGE_REJECTED SUCCESS SUCCESS ACCOUNT_DAILY_QUOTA_EXCEEDED"; got != want {
		t.Errorf("statuses = %s, want %s", got, want)
	}
	if r := out.BulkEmailEntryResults; aws.ToString(r[1].Error) != "Address blacklisted." || aws.ToString(r[4].Error) != "Daily message quota exceeded." || aws.ToString(r[0].MessageId) == "" {
		t.Errorf("results = %+v", r)
	}
	if got := delivered(t, "a@quota.test", "bad@quota.test", "b@quota.test", "c@quota.test", "d@quota.test"); strings.Join(got, " ") != "a@quota.test b@quota.test c@quota.test" {
		t.Errorf("SES local got mail for %v; only the accepted entries may reach it", got)
	}
	if q := sendQuota(t, ses); q.Max24HourSend != 3 || q.SentLast24Hours != 3 || q.MaxSendRate != 200 {
		t.Errorf("SendQuota = %+v, want 3 a day, 3 sent, the emulator's 200 a second", q)
	}

	// No quota left: the whole call fails.
	var limit *sestypes.LimitExceededException
	if _, err := sendBulk(ses, "e@quota.test"); !errors.As(err, &limit) || aws.ToString(limit.Message) != "Daily message quota exceeded." {
		t.Errorf("a call with no quota left: %v, want LimitExceededException", err)
	}
	// A new day.
	fixture.SESNewDay()
	var rejected *sestypes.MessageRejected
	if _, err := ses.SendEmail(context.Background(), &sesv2.SendEmailInput{FromEmailAddress: aws.String("fixture@stack.test"),
		Destination: &sestypes.Destination{ToAddresses: []string{"bad@quota.test"}},
		Content:     &sestypes.EmailContent{Simple: &sestypes.Message{Subject: &sestypes.Content{Data: aws.String("s")}, Body: &sestypes.Body{Text: &sestypes.Content{Data: aws.String("b")}}}},
	}); !errors.As(err, &rejected) {
		t.Errorf("SendEmail to a rejected address: %v, want MessageRejected", err)
	}
	if out, err := sendBulk(ses, "e@quota.test"); err != nil || statuses(out) != "SUCCESS" {
		t.Errorf("after a new day: %v %v", err, out)
	}
	after := fixture.SESStats()
	if d := (local.SESStats{Sent: after.Sent - before.Sent, QuotaExceeded: after.QuotaExceeded - before.QuotaExceeded, Rejected: after.Rejected - before.Rejected}); d != (local.SESStats{Sent: 4, QuotaExceeded: 2, Rejected: 2}) {
		t.Errorf("stats moved by %+v", d)
	}
}

func TestSESSendingRate(t *testing.T) {
	t.Cleanup(func() { fixture.SetSESLimits(local.SESLimits{}) })
	ses := proxiedSES()
	fixture.SetSESLimits(local.SESLimits{MaxSendRate: 5})
	if q := sendQuota(t, ses); q.MaxSendRate != 5 {
		t.Errorf("GetAccount MaxSendRate = %v, want 5", q.MaxSendRate)
	}
	throttled0 := fixture.SESStats().Throttled
	var tooMany *sestypes.TooManyRequestsException
	if _, err := sendBulk(ses, "1@rate.test", "2@rate.test", "3@rate.test", "4@rate.test", "5@rate.test", "6@rate.test"); !errors.As(err, &tooMany) ||
		aws.ToString(tooMany.Message) != "Maximum sending rate exceeded." {
		t.Fatalf("6 emails at 5 a second: %v, want TooManyRequestsException", err)
	}
	time.Sleep(1100 * time.Millisecond) // whatever another test sent leaves the window
	began := time.Now()
	if _, err := sendBulk(ses, "1@rate.test", "2@rate.test", "3@rate.test", "4@rate.test", "5@rate.test"); err != nil {
		t.Fatalf("5 emails at 5 a second: %v", err)
	}
	_, err := sendBulk(ses, "6@rate.test")
	if time.Since(began) < 900*time.Millisecond && !errors.As(err, &tooMany) {
		t.Errorf("a sixth email within the second: %v, want TooManyRequestsException", err)
	}
	time.Sleep(time.Second)
	if _, err := sendBulk(ses, "7@rate.test"); err != nil {
		t.Errorf("a second later: %v", err)
	}
	st := fixture.SESStats()
	if st.Throttled-throttled0 < 1 || st.PeakPerSecond < 5 {
		t.Errorf("stats %+v: want throttled calls and a peak of at least 5", st)
	}
}

func TestThrottleSESNext(t *testing.T) {
	ses := proxiedSES()
	before := fixture.SESStats().Throttled
	fixture.ThrottleSESNext(2)
	var tooMany *sestypes.TooManyRequestsException
	for i := range 2 {
		if _, err := sendBulk(ses, "n@next.test"); !errors.As(err, &tooMany) {
			t.Fatalf("call %d: %v, want TooManyRequestsException", i+1, err)
		}
	}
	if out, err := sendBulk(ses, "n@next.test"); err != nil || statuses(out) != "SUCCESS" {
		t.Fatalf("the third call: %v %v", err, out)
	}
	if got := fixture.SESStats().Throttled - before; got != 2 {
		t.Errorf("throttled %d calls, want 2", got)
	}
}
