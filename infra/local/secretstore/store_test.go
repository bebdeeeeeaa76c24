package secretstore

import (
	"context"
	"encoding/json"
	"errors"
	"net/http/httptest"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager/types"
)

const arn = "arn:aws:secretsmanager:us-east-1:000000000000:secret:stack-Key"

// client is the real SDK client pointed at the store's API.
func client(t *testing.T, s *Store) *secretsmanager.Client {
	srv := httptest.NewServer(s)
	t.Cleanup(srv.Close)
	cfg := aws.Config{Region: "us-east-1", Credentials: credentials.NewStaticCredentialsProvider("k", "s", "")}
	return secretsmanager.NewFromConfig(cfg, func(o *secretsmanager.Options) { o.BaseEndpoint = aws.String(srv.URL) })
}

func TestGetSecretValueThroughTheSDK(t *testing.T) {
	s := New("")
	if err := s.Declare(arn, Generator{Length: 64}); err != nil {
		t.Fatal(err)
	}
	sm := client(t, s)
	ctx := context.Background()
	get := func(in *secretsmanager.GetSecretValueInput) (*secretsmanager.GetSecretValueOutput, error) {
		return sm.GetSecretValue(ctx, in)
	}
	first, err := get(&secretsmanager.GetSecretValueInput{SecretId: aws.String(arn)})
	if err != nil {
		t.Fatal(err)
	}
	if len(aws.ToString(first.SecretString)) != 64 || aws.ToString(first.ARN) != arn || aws.ToString(first.Name) != "stack-Key" ||
		len(first.VersionStages) != 1 || first.VersionStages[0] != StageCurrent || first.CreatedDate == nil || first.VersionId == nil {
		t.Fatalf("GetSecretValue = %+v", first)
	}
	if _, err := get(&secretsmanager.GetSecretValueInput{SecretId: aws.String(arn), VersionStage: aws.String(StagePrevious)}); !isNotFound(err) {
		t.Errorf("AWSPREVIOUS before a rotation: %v, want ResourceNotFoundException", err)
	}
	if err := s.Rotate(arn); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		in   secretsmanager.GetSecretValueInput
		want string // "old" or "new" value; "": ResourceNotFoundException
	}{
		{"current by default", secretsmanager.GetSecretValueInput{SecretId: aws.String(arn)}, "new"},
		{"AWSCURRENT by name", secretsmanager.GetSecretValueInput{SecretId: aws.String("stack-Key"), VersionStage: aws.String(StageCurrent)}, "new"},
		{"AWSPREVIOUS", secretsmanager.GetSecretValueInput{SecretId: aws.String(arn), VersionStage: aws.String(StagePrevious)}, "old"},
		{"by version id", secretsmanager.GetSecretValueInput{SecretId: aws.String(arn), VersionId: first.VersionId}, "old"},
		{"version id and another stage", secretsmanager.GetSecretValueInput{SecretId: aws.String(arn), VersionId: first.VersionId, VersionStage: aws.String(StageCurrent)}, ""},
		{"unknown stage", secretsmanager.GetSecretValueInput{SecretId: aws.String(arn), VersionStage: aws.String("AWSPENDING")}, ""},
		{"unknown secret", secretsmanager.GetSecretValueInput{SecretId: aws.String("nope")}, ""},
		{"partial ARN of another secret", secretsmanager.GetSecretValueInput{SecretId: aws.String(arn + "X")}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, err := get(&tt.in)
			switch {
			case tt.want == "" && !isNotFound(err):
				t.Errorf("err = %v, want ResourceNotFoundException", err)
			case tt.want == "":
			case err != nil:
				t.Fatal(err)
			case tt.want == "old" && aws.ToString(out.SecretString) != aws.ToString(first.SecretString):
				t.Errorf("got %q, want the value before the rotation", aws.ToString(out.SecretString))
			case tt.want == "new" && aws.ToString(out.SecretString) == aws.ToString(first.SecretString):
				t.Errorf("got the value before the rotation")
			}
		})
	}
}

func isNotFound(err error) bool {
	var nf *types.ResourceNotFoundException
	return errors.As(err, &nf)
}

func TestValuesSurviveARestart(t *testing.T) {
	dir := t.TempDir()
	a := New(dir)
	if err := a.Declare(arn, Generator{}); err != nil {
		t.Fatal(err)
	}
	if err := a.Rotate(arn); err != nil {
		t.Fatal(err)
	}
	b := New(dir)
	if err := b.Declare(arn, Generator{}); err != nil {
		t.Fatal(err)
	}
	for _, stage := range []string{StageCurrent, StagePrevious} {
		va, err := a.Get(arn, "", stage)
		if err != nil {
			t.Fatal(err)
		}
		vb, err := b.Get(arn, "", stage)
		if err != nil {
			t.Fatal(err)
		}
		if va.Value != vb.Value || va.ID != vb.ID {
			t.Errorf("%s after a restart: %q (%s), want %q (%s)", stage, vb.Value, vb.ID, va.Value, va.ID)
		}
	}
}

func TestGenerator(t *testing.T) {
	tests := []struct {
		name  string
		gen   Generator
		check func(string) bool
	}{
		{"default length", Generator{}, func(v string) bool { return len(v) == 32 }},
		{"odd length", Generator{Length: 7}, func(v string) bool { return len(v) == 7 }},
		{"fixed value", Generator{Value: "s3cret"}, func(v string) bool { return v == "s3cret" }},
		{"template and key", Generator{Length: 10, Template: `{"user":"app"}`, Key: "password"}, func(v string) bool {
			var m map[string]string
			return json.Unmarshal([]byte(v), &m) == nil && m["user"] == "app" && len(m["password"]) == 10
		}},
	}
	for _, tt := range tests {
		v, err := tt.gen.generate()
		if err != nil || !tt.check(v) {
			t.Errorf("%s: %q, %v", tt.name, v, err)
		}
	}
	if _, err := (Generator{Template: "[", Key: "k"}).generate(); err == nil {
		t.Error("a template that is not JSON was accepted")
	}
}
