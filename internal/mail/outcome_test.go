package mail

import (
	"errors"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sesv2/types"
	"github.com/aws/smithy-go"
	"github.com/schoolroster/rosterimport/internal/app"
)

func TestOutcomesAndSendErrors(t *testing.T) {
	entry := func(st types.BulkEmailStatus) types.BulkEmailEntryResult {
		return types.BulkEmailEntryResult{Status: st, Error: aws.String("text"), MessageId: aws.String("m1")}
	}
	outcomes := []struct {
		status        types.BulkEmailStatus
		wantPermanent bool
		wantWait      app.Wait
		wantSent      bool
	}{
		{types.BulkEmailStatusSuccess, false, "", true},
		{types.BulkEmailStatusMessageRejected, true, "", false},
		{types.BulkEmailStatusInvalidParameter, true, "", false},
		{types.BulkEmailStatusAccountThrottled, false, app.WaitRate, false},
		{types.BulkEmailStatusAccountDailyQuotaExceeded, false, app.WaitQuota, false},
		{types.BulkEmailStatusAccountSendingPaused, false, app.WaitPaused, false},
		{types.BulkEmailStatusAccountSuspended, false, app.WaitPaused, false},
		{types.BulkEmailStatusTransientFailure, false, app.WaitUnavailable, false},
		{types.BulkEmailStatusTemplateNotFound, false, app.WaitUnavailable, false},
	}
	for _, tt := range outcomes {
		got := outcome(entry(tt.status))
		if got.Permanent != tt.wantPermanent || got.Wait != tt.wantWait || (got.Err == nil) != tt.wantSent {
			t.Errorf("outcome(%s) = %+v", tt.status, got)
		}
	}
	errs := []struct {
		name string
		err  error
		want app.Wait
	}{
		{"rate", &types.TooManyRequestsException{Message: aws.String("Maximum sending rate exceeded.")}, app.WaitRate},
		{"quota", &types.LimitExceededException{Message: aws.String("Daily message quota exceeded.")}, app.WaitQuota},
		{"quota as throttling", &smithy.GenericAPIError{Code: "ThrottlingException", Message: "Daily message quota exceeded."}, app.WaitQuota},
		{"rate as throttling", &smithy.GenericAPIError{Code: "ThrottlingException", Message: "Maximum sending rate exceeded."}, app.WaitRate},
		{"paused", &types.SendingPausedException{Message: aws.String("paused")}, app.WaitPaused},
		{"suspended", &types.AccountSuspendedException{Message: aws.String("suspended")}, app.WaitPaused},
		{"other limit", &types.LimitExceededException{Message: aws.String("Too many templates.")}, app.WaitUnavailable},
		{"network", errors.New("connection refused"), app.WaitUnavailable},
	}
	for _, tt := range errs {
		var se *app.SendError
		if err := sendError(tt.err); !errors.As(err, &se) || se.Wait != tt.want || !errors.Is(err, tt.err) {
			t.Errorf("%s: sendError = %v, want wait %s wrapping the cause", tt.name, err, tt.want)
		}
	}
}
