package lambdaenv

import (
	"context"
	"errors"
	"os"
	"strings"
	"testing"

	awsconfig "github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/smithy-go"
)

type testConfig struct {
	Table
	UploadLimit
	Path   bool        `env:"S3_USE_PATH_STYLE"`
	Secret secretValue `env:"SECRET"`
}

// secretValue is a value that checks itself as it is read.
type secretValue string

func (s *secretValue) UnmarshalText(b []byte) error {
	if len(b) < 4 {
		return errors.New("too short")
	}
	*s = secretValue(b)
	return nil
}

func TestLoad(t *testing.T) {
	for _, tc := range []struct {
		name    string
		env     map[string]string
		want    testConfig
		wantErr string
	}{
		{"all set", map[string]string{"TABLE_NAME": "t", "MAX_UPLOAD_BYTES": "10", "S3_USE_PATH_STYLE": "true", "SECRET": "abcd"},
			testConfig{Table{"t"}, UploadLimit{10}, true, "abcd"}, ""},
		{"optional unset", map[string]string{"TABLE_NAME": "t", "MAX_UPLOAD_BYTES": "10"}, testConfig{Table{"t"}, UploadLimit{10}, false, ""}, ""},
		{"bad secret", map[string]string{"TABLE_NAME": "t", "MAX_UPLOAD_BYTES": "10", "SECRET": "abc"}, testConfig{}, "SECRET: too short"},
		{"required missing", map[string]string{"MAX_UPLOAD_BYTES": "10"}, testConfig{}, `"TABLE_NAME"`},
		{"required empty", map[string]string{"TABLE_NAME": "", "MAX_UPLOAD_BYTES": "10"}, testConfig{}, `"TABLE_NAME"`},
		{"not a number", map[string]string{"TABLE_NAME": "t", "MAX_UPLOAD_BYTES": "ten"}, testConfig{}, "MAX_UPLOAD_BYTES"},
		{"check fails", map[string]string{"TABLE_NAME": "t", "MAX_UPLOAD_BYTES": "0"}, testConfig{}, "must be a positive number"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			for _, k := range []string{"TABLE_NAME", "MAX_UPLOAD_BYTES", "S3_USE_PATH_STYLE", "SECRET"} {
				t.Setenv(k, "")
			}
			t.Setenv("AWS_REGION", "us-east-1")
			for k, v := range tc.env {
				t.Setenv(k, v)
			}
			if _, ok := tc.env["TABLE_NAME"]; !ok {
				unsetForTest(t, "TABLE_NAME")
			}
			var got testConfig
			e, err := Load(context.Background(), &got)
			if e.Log == nil {
				t.Fatal("Load returned no logger")
			}
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("err = %v, want one naming %s", err, tc.wantErr)
				}
				return
			}
			if err != nil || got != tc.want {
				t.Errorf("Load = %+v, %v; want %+v", got, err, tc.want)
			}
		})
	}
}

// unsetForTest removes a variable for the test and restores it after.
func unsetForTest(t *testing.T, key string) {
	t.Helper()
	t.Setenv(key, "") // registers the restore
	if err := os.Unsetenv(key); err != nil {
		t.Fatal(err)
	}
}

func TestPatientRetries(t *testing.T) {
	var opts awsconfig.LoadOptions
	if err := PatientRetries()(&opts); err != nil {
		t.Fatal(err)
	}
	r := opts.Retryer()
	if r.MaxAttempts() != 10 {
		t.Errorf("MaxAttempts = %d, want 10", r.MaxAttempts())
	}
	// The default retry quota allows about a hundred throttled retries; these
	// retries have none to run out of.
	throttled := &smithy.GenericAPIError{Code: "ProvisionedThroughputExceededException"}
	for i := 0; i < 1000; i++ {
		if _, err := r.GetRetryToken(context.Background(), throttled); err != nil {
			t.Fatalf("retry %d refused: %v", i, err)
		}
	}
}
