package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestParseCreate(t *testing.T) {
	const arn = "arn:aws:secretsmanager:eu-west-2:123456789012:secret:TokenSealingSecret-AbCdEf"
	const tokenSecret = "0123456789abcdef0123456789abcdef"
	base := []string{"--id", "hill", "--name", "Hill School", "--owner", "head@hill.school"}
	with := func(extra ...string) []string { return append(append([]string{}, base...), extra...) }
	tests := []struct {
		name        string
		args        []string
		tokenSecret string // TOKEN_SECRET
		want        createOptions
		wantErr     string // every problem, one a line
	}{
		{
			name: "AWS",
			args: with("--table", "roster-RosterTable-ABC", "--region", "eu-west-2", "--token-secret-arn", arn, "--send"),
			want: createOptions{ID: "hill", Name: "Hill School", Owner: "head@hill.school", Table: "roster-RosterTable-ABC",
				Region: "eu-west-2", SecretARN: arn, Send: true},
		},
		{
			name: "values cleaned: owner normalised, name folded",
			args: []string{"--id", " hill ", "--name", "  Hill \t School ", "--owner", " Head@Hill.School ", "--table", "T"},
			want: createOptions{ID: "hill", Name: "Hill School", Owner: "head@hill.school", Table: "T"},
		},
		{
			name:        "TOKEN_SECRET is the secret without an ARN",
			args:        with("--table", "T", "--send"),
			tokenSecret: tokenSecret,
			want:        createOptions{ID: "hill", Name: "Hill School", Owner: "head@hill.school", Table: "T", Send: true, EnvSecret: tokenSecret},
		},
		{
			name: "DynamoDB Local endpoint",
			args: with("--table", "T", "--endpoint-url", "http://127.0.0.1:8000"),
			want: createOptions{ID: "hill", Name: "Hill School", Owner: "head@hill.school", Table: "T", EndpointURL: "http://127.0.0.1:8000"},
		},
		{
			name:        "local: make run's endpoint and table, its own secret, not TOKEN_SECRET",
			args:        with("--local", "--send"),
			tokenSecret: tokenSecret,
			want: createOptions{ID: "hill", Name: "Hill School", Owner: "head@hill.school", Table: "RosterTable",
				EndpointURL: "http://127.0.0.1:8000", Local: true, Send: true},
		},
		{
			name: "local on other ports",
			args: with("--local", "--endpoint-url", "http://127.0.0.1:18000"),
			want: createOptions{ID: "hill", Name: "Hill School", Owner: "head@hill.school", Table: "RosterTable",
				EndpointURL: "http://127.0.0.1:18000", Local: true},
		},
		{
			name: "id of 64 characters, with - and _",
			args: []string{"--id", "A-b_" + strings.Repeat("9", 60), "--name", "N", "--owner", "a@b.co", "--table", "T"},
			want: createOptions{ID: "A-b_" + strings.Repeat("9", 60), Name: "N", Owner: "a@b.co", Table: "T"},
		},
		{
			name: "name of 100 characters",
			args: []string{"--id", "x", "--name", strings.Repeat("é", 100), "--owner", "a@b.co", "--table", "T"},
			want: createOptions{ID: "x", Name: strings.Repeat("é", 100), Owner: "a@b.co", Table: "T"},
		},
		{
			name: "nothing given",
			args: nil,
			wantErr: `--id is required: the school's id, e.g. --id hill
--name is required: the school's name, e.g. --name "Hill School"
--owner is required: the email of the school's first owner
--table is required: the roster table, the stack's TableName output (or --local for make run)`,
		},
		{
			name:    "id with a space",
			args:    []string{"--id", "hill school", "--name", "N", "--owner", "a@b.co", "--table", "T"},
			wantErr: `--id "hill school": use 1 to 64 letters, digits, - and _`,
		},
		{
			name:    "id of 65 characters",
			args:    []string{"--id", strings.Repeat("a", 65), "--name", "N", "--owner", "a@b.co", "--table", "T"},
			wantErr: `--id "` + strings.Repeat("a", 65) + `": use 1 to 64 letters, digits, - and _`,
		},
		{
			name:    "id with a letter outside ASCII",
			args:    []string{"--id", "école", "--name", "N", "--owner", "a@b.co", "--table", "T"},
			wantErr: `--id "école": use 1 to 64 letters, digits, - and _`,
		},
		{
			name:    "id with a slash",
			args:    []string{"--id", "a/b", "--name", "N", "--owner", "a@b.co", "--table", "T"},
			wantErr: `--id "a/b": use 1 to 64 letters, digits, - and _`,
		},
		{
			name:    "name of blanks",
			args:    []string{"--id", "x", "--name", " \t ", "--owner", "a@b.co", "--table", "T"},
			wantErr: `--name is required: the school's name, e.g. --name "Hill School"`,
		},
		{
			name:    "name of 101 characters",
			args:    []string{"--id", "x", "--name", strings.Repeat("n", 101), "--owner", "a@b.co", "--table", "T"},
			wantErr: `--name is 101 characters long: at most 100`,
		},
		{
			name:    "owner without a domain",
			args:    []string{"--id", "x", "--name", "N", "--owner", "head@hill", "--table", "T"},
			wantErr: `--owner "head@hill": Invalid email format`,
		},
		{
			name:    "owner with a space",
			args:    []string{"--id", "x", "--name", "N", "--owner", "head of@hill.school", "--table", "T"},
			wantErr: `--owner "head of@hill.school": Email contains spaces`,
		},
		{
			name:    "no table",
			args:    base,
			wantErr: `--table is required: the roster table, the stack's TableName output (or --local for make run)`,
		},
		{
			name:    "send without a secret",
			args:    with("--table", "T", "--send"),
			wantErr: `--send needs the token sealing secret: give --token-secret-arn ARN (the stack's TokenSealingSecret) or set TOKEN_SECRET`,
		},
		{
			name:    "a secret name, not its ARN",
			args:    with("--table", "T", "--token-secret-arn", "TokenSealingSecret"),
			wantErr: `--token-secret-arn "TokenSealingSecret": not a Secrets Manager secret ARN (arn:aws:secretsmanager:REGION:ACCOUNT:secret:NAME)`,
		},
		{
			name:    "another service's ARN",
			args:    with("--table", "T", "--token-secret-arn", "arn:aws:ssm:eu-west-2:123456789012:parameter/x"),
			wantErr: `--token-secret-arn "arn:aws:ssm:eu-west-2:123456789012:parameter/x": not a Secrets Manager secret ARN (arn:aws:secretsmanager:REGION:ACCOUNT:secret:NAME)`,
		},
		{
			name: "local with AWS flags",
			args: with("--local", "--region", "eu-west-2", "--token-secret-arn", arn),
			wantErr: `--region cannot be used with --local: the local stack has its own region
--token-secret-arn cannot be used with --local: the local stack's own secret is used`,
		},
		{
			name:    "endpoint without a scheme",
			args:    with("--table", "T", "--endpoint-url", "127.0.0.1:8000"),
			wantErr: `--endpoint-url "127.0.0.1:8000": give a URL such as http://127.0.0.1:8000`,
		},
		{
			name:    "a value without its flag",
			args:    with("--table", "T", "extra"),
			wantErr: `unexpected argument "extra": every value is given with its flag, e.g. --name "Hill School"`,
		},
		{
			name:    "unknown flag",
			args:    with("--table", "T", "--force"),
			wantErr: `flag provided but not defined: -force`,
		},
		{
			name:    "flag without its value",
			args:    []string{"--id"},
			wantErr: `flag needs an argument: -id`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			getenv := func(k string) string {
				if k == "TOKEN_SECRET" {
					return tt.tokenSecret
				}
				return ""
			}
			got, err := parseCreate(tt.args, getenv)
			if tt.wantErr != "" {
				var ue *usageError
				if !errors.As(err, &ue) || err.Error() != tt.wantErr {
					t.Fatalf("error =\n%v\nwant\n%s", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got != tt.want {
				t.Errorf("options =\n%+v\nwant\n%+v", got, tt.want)
			}
		})
	}
}

func TestHelp(t *testing.T) {
	for _, h := range []string{"-h", "-help", "--help"} {
		if _, err := parseCreate([]string{h}, os.Getenv); !errors.Is(err, flag.ErrHelp) {
			t.Errorf("parseCreate(%s) = %v, want flag.ErrHelp", h, err)
		}
	}
	tests := []struct {
		args       []string
		wantStatus int
		wantOut    string // the start of stdout, or of stderr when the status is not 0
	}{
		{nil, 2, "rosterctl: the operators' commands"},
		{[]string{"--help"}, 0, "rosterctl: the operators' commands"},
		{[]string{"school"}, 2, "Usage:\n  rosterctl school create [flags]"},
		{[]string{"school", "--help"}, 0, "Usage:\n  rosterctl school create [flags]"},
		{[]string{"school", "create", "--help"}, 0, "Usage:\n  rosterctl school create --id ID"},
		{[]string{"schools"}, 2, `rosterctl: unknown command "schools"`},
		{[]string{"school", "delete"}, 2, `rosterctl: unknown command "school delete"`},
		{[]string{"school", "create"}, 2, "rosterctl: --id is required"},
	}
	for _, tt := range tests {
		var stdout, stderr bytes.Buffer
		status := run(context.Background(), tt.args, env{Stdout: &stdout, Stderr: &stderr, Getenv: func(string) string { return "" },
			Connect: func(context.Context, createOptions) (clients, error) { t.Fatal("connected"); return clients{}, nil }})
		out := stdout.String()
		if status != 0 {
			out = stderr.String()
		}
		if status != tt.wantStatus || !strings.HasPrefix(out, tt.wantOut) {
			t.Errorf("rosterctl %v: status %d, output\n%s\nwant status %d, output starting %q", tt.args, status, out, tt.wantStatus, tt.wantOut)
		}
	}
}

// Every flag of school create is in its help text.
func TestHelpNamesEveryFlag(t *testing.T) {
	for _, name := range []string{"id", "name", "owner", "table", "region", "endpoint-url", "token-secret-arn", "local", "send"} {
		if !strings.Contains(createUsage, "--"+name+" ") {
			t.Errorf("the help text does not name --%s", name)
		}
		if _, err := parseCreate([]string{"--" + name + "=x"}, os.Getenv); err != nil && strings.Contains(err.Error(), "not defined") {
			t.Errorf("--%s is in the help text but not a flag", name)
		}
	}
}

func TestLoadSealer(t *testing.T) {
	ctx := context.Background()
	const value = "0123456789abcdef0123456789abcdef"
	stateDir := t.TempDir()
	noState := t.TempDir()
	if err := os.MkdirAll(filepath.Join(stateDir, "secrets"), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(localSecretPath(stateDir), []byte(value), 0o600); err != nil {
		t.Fatal(err)
	}
	read := func(_ context.Context, arn string) (string, error) {
		if arn == "arn:aws:secretsmanager:eu-west-2:1:secret:ok" {
			return value, nil
		}
		if arn == "arn:aws:secretsmanager:eu-west-2:1:secret:short" {
			return "short", nil
		}
		return "", errors.New("AccessDeniedException")
	}
	tests := []struct {
		name       string
		o          createOptions
		c          clients
		wantSealer bool
		wantSource string
		wantErr    string
	}{
		{"ARN", createOptions{SecretARN: "arn:aws:secretsmanager:eu-west-2:1:secret:ok", EnvSecret: "ignored"}, clients{ReadSecret: read},
			true, "token sealing secret from Secrets Manager", ""},
		{"ARN not readable", createOptions{SecretARN: "arn:aws:secretsmanager:eu-west-2:1:secret:denied"}, clients{ReadSecret: read},
			false, "", "read the token sealing secret arn:aws:secretsmanager:eu-west-2:1:secret:denied: AccessDeniedException"},
		{"ARN of another secret", createOptions{SecretARN: "arn:aws:secretsmanager:eu-west-2:1:secret:short"}, clients{ReadSecret: read},
			false, "", "the token sealing secret from Secrets Manager is not the stack's: token sealing secret must be at least 32 characters"},
		{"local", createOptions{Local: true, Send: true}, clients{StateDir: stateDir},
			true, "the local stack's token sealing secret", ""},
		{"local before make run", createOptions{Local: true}, clients{StateDir: noState},
			false, "no token sealing secret: the local stack has made none yet (start make run once)", ""},
		{"local before make run, send", createOptions{Local: true, Send: true}, clients{StateDir: noState},
			false, "", "--send needs the local stack's token sealing secret, and there is none yet (" + localSecretPath(noState) + "): start make run once, then run this again"},
		{"TOKEN_SECRET", createOptions{EnvSecret: value}, clients{},
			true, "token sealing secret from TOKEN_SECRET", ""},
		{"TOKEN_SECRET too short", createOptions{EnvSecret: "abc"}, clients{},
			false, "", "the token sealing secret from TOKEN_SECRET is not the stack's: token sealing secret must be at least 32 characters"},
		{"none", createOptions{}, clients{},
			false, "no token sealing secret (--token-secret-arn or TOKEN_SECRET)", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sealer, source, err := loadSealer(ctx, tt.o, tt.c)
			if tt.wantErr != "" {
				if err == nil || err.Error() != tt.wantErr {
					t.Fatalf("error = %v, want %s", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if (sealer != nil) != tt.wantSealer || source != tt.wantSource {
				t.Errorf("sealer %v, source %q; want sealer %v, source %q", sealer != nil, source, tt.wantSealer, tt.wantSource)
			}
			if sealer != nil {
				if _, err := sealer.Open(sealer.Seal("t", "s", "e"), "s", "e"); err != nil {
					t.Error(err)
				}
			}
		})
	}
}
