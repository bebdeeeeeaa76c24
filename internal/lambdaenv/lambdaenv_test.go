package lambdaenv

import (
	"context"
	"errors"
	"os"
	"strings"
	"testing"
)

type testConfig struct {
	Table    string `env:"TABLE_NAME,required,notEmpty"`
	MaxBytes int64  `env:"MAX_UPLOAD_BYTES,required"`
	Path     bool   `env:"S3_USE_PATH_STYLE"`
}

func (c testConfig) Check() error {
	if c.MaxBytes <= 0 {
		return errors.New("MAX_UPLOAD_BYTES must be a positive number of bytes")
	}
	return nil
}

func TestLoad(t *testing.T) {
	for _, tc := range []struct {
		name    string
		env     map[string]string
		want    testConfig
		wantErr string
	}{
		{"all set", map[string]string{"TABLE_NAME": "t", "MAX_UPLOAD_BYTES": "10", "S3_USE_PATH_STYLE": "true"}, testConfig{"t", 10, true}, ""},
		{"optional unset", map[string]string{"TABLE_NAME": "t", "MAX_UPLOAD_BYTES": "10"}, testConfig{"t", 10, false}, ""},
		{"required missing", map[string]string{"MAX_UPLOAD_BYTES": "10"}, testConfig{}, `"TABLE_NAME"`},
		{"required empty", map[string]string{"TABLE_NAME": "", "MAX_UPLOAD_BYTES": "10"}, testConfig{}, `"TABLE_NAME"`},
		{"not a number", map[string]string{"TABLE_NAME": "t", "MAX_UPLOAD_BYTES": "ten"}, testConfig{}, "MAX_UPLOAD_BYTES"},
		{"check fails", map[string]string{"TABLE_NAME": "t", "MAX_UPLOAD_BYTES": "0"}, testConfig{}, "must be a positive number"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			for _, k := range []string{"TABLE_NAME", "MAX_UPLOAD_BYTES", "S3_USE_PATH_STYLE"} {
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
