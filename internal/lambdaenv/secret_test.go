package lambdaenv

import (
	"context"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager/types"
)

// versions answers GetSecretValue from a map of stage to value.
type versions map[string]string

func (v versions) GetSecretValue(_ context.Context, in *secretsmanager.GetSecretValueInput, _ ...func(*secretsmanager.Options)) (*secretsmanager.GetSecretValueOutput, error) {
	val, ok := v[aws.ToString(in.VersionStage)]
	if !ok {
		return nil, &types.ResourceNotFoundException{Message: aws.String("Secrets Manager can't find the specified secret value for staging label: " + aws.ToString(in.VersionStage))}
	}
	return &secretsmanager.GetSecretValueOutput{SecretString: &val}, nil
}

func TestReadTokenKeys(t *testing.T) {
	old, cur := strings.Repeat("o", 40), strings.Repeat("c", 40)
	sealedByOld := func() string {
		k, err := ReadTokenKeys(context.Background(), versions{"AWSCURRENT": old}, TokenSecret{TokenSecretARN: "arn"})
		if err != nil {
			t.Fatal(err)
		}
		return k.Sealer.Seal("tok", "s", "a@b.school")
	}()
	tests := []struct {
		name     string
		versions versions
		wantErr  string
		opensOld bool
	}{
		{"never rotated", versions{"AWSCURRENT": cur}, "", false},
		{"rotated: the previous version still opens", versions{"AWSCURRENT": cur, "AWSPREVIOUS": old}, "", true},
		{"no current version", versions{}, "read the token secret (AWSCURRENT)", false},
		{"too short", versions{"AWSCURRENT": "short"}, "at least 32 characters", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			k, err := ReadTokenKeys(context.Background(), tt.versions, TokenSecret{TokenSecretARN: "arn"})
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil || k.Current != cur {
				t.Fatalf("keys = %+v, %v", k, err)
			}
			if _, err := k.Sealer.Open(sealedByOld, "s", "a@b.school"); (err == nil) != tt.opensOld {
				t.Errorf("opens a token sealed before the rotation: %v, want %v", err == nil, tt.opensOld)
			}
		})
	}
}
