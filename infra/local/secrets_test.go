package local_test

import (
	"context"
	"encoding/json"
	"errors"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"

	"github.com/schoolroster/rosterimport/infra/local/secretstore"
)

// readSecretInFunction reads the fixture secret at stage as a function does,
// through AWS_ENDPOINT_URL_SECRETS_MANAGER.
func readSecretInFunction(t *testing.T, stage string) (value, errorCode string) {
	t.Helper()
	res, err := fixture.Invoke(context.Background(), "EchoFunction", []byte(`{"action":"secret","value":"`+stage+`"}`))
	if err != nil || res.FunctionError != "" {
		t.Fatalf("invoke: %v %s", err, res.Payload)
	}
	var out struct{ Secret, ErrorCode string }
	if err := json.Unmarshal(res.Payload, &out); err != nil {
		t.Fatal(err)
	}
	return out.Secret, out.ErrorCode
}

func TestSecretsManagerAndRotation(t *testing.T) {
	env, err := fixture.FunctionEnv("EchoFunction")
	if err != nil {
		t.Fatal(err)
	}
	current, err := fixture.SecretValue("FixtureSecret", "")
	if err != nil {
		t.Fatal(err)
	}
	if len(current) != 40 || env["SECRET_AT_DEPLOY"] != current {
		t.Fatalf("secret %q (want 40 characters), the function's dynamic reference %q", current, env["SECRET_AT_DEPLOY"])
	}
	if _, err := fixture.SecretValue("FixtureSecret", "AWSPREVIOUS"); !errors.Is(err, secretstore.ErrNotFound) {
		t.Errorf("AWSPREVIOUS before a rotation: %v", err)
	}
	if v, code := readSecretInFunction(t, "AWSCURRENT"); v != current || code != "" {
		t.Errorf("the function read %q, %q; want the current value", v, code)
	}
	if _, code := readSecretInFunction(t, "AWSPREVIOUS"); code != "ResourceNotFoundException" {
		t.Errorf("the function read AWSPREVIOUS before a rotation: %q, want ResourceNotFoundException", code)
	}

	if err := fixture.RotateSecret("FixtureSecret"); err != nil {
		t.Fatal(err)
	}
	next, _ := fixture.SecretValue("FixtureSecret", "AWSCURRENT")
	prev, _ := fixture.SecretValue("FixtureSecret", "AWSPREVIOUS")
	if next == current || len(next) != 40 || prev != current {
		t.Errorf("after a rotation: current %q, previous %q; the old current was %q", next, prev, current)
	}
	if v, _ := readSecretInFunction(t, "AWSCURRENT"); v != next {
		t.Errorf("the function read %q after a rotation, want the new value", v)
	}
	if v, _ := readSecretInFunction(t, "AWSPREVIOUS"); v != current {
		t.Errorf("the function read AWSPREVIOUS %q, want the old value", v)
	}

	sm := secretsmanager.NewFromConfig(fixture.AWS, func(o *secretsmanager.Options) { o.BaseEndpoint = aws.String(fixture.SecretsManagerURL) })
	out, err := sm.GetSecretValue(context.Background(), &secretsmanager.GetSecretValueInput{SecretId: aws.String(env["SECRET_ARN"])})
	if err != nil || aws.ToString(out.SecretString) != next || aws.ToString(out.ARN) != env["SECRET_ARN"] {
		t.Errorf("GetSecretValue by ARN: %v %+v", err, out)
	}
	for _, id := range []string{"EchoFunction", "Nope"} {
		if err := fixture.RotateSecret(id); err == nil {
			t.Errorf("RotateSecret(%s) has no error", id)
		}
	}
}
