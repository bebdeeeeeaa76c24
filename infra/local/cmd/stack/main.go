// Command stack runs the service locally (`make run`) and mints tokens for it.
//
//	stack run [-api-port 3000] [-dynamodb-port 8000] [-s3-port 7070] [-ses-port 8005] [-secrets-port 8006]
//	          [-oidc-port 8007] [-oidc-redirect URL,...] [-schedules=true] [-throttle-dynamodb FRACTION]
//	          [-ses-rate N] [-ses-daily-quota N] [-ses-reject a@x,b@y]
//	stack token EMAIL
package main

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/schoolroster/rosterimport/infra/local"
	"github.com/schoolroster/rosterimport/infra/local/gateway"
)

func main() {
	if len(os.Args) < 2 {
		usage()
	}
	switch os.Args[1] {
	case "run":
		if err := run(os.Args[2:]); err != nil {
			fmt.Fprintln(os.Stderr, "stack:", err)
			os.Exit(1)
		}
	case "token":
		if err := token(os.Args[2:]); err != nil {
			fmt.Fprintln(os.Stderr, "stack:", err)
			os.Exit(1)
		}
	default:
		usage()
	}
}

func usage() {
	fmt.Fprintln(os.Stderr, "usage: stack run [flags] | stack token EMAIL")
	os.Exit(2)
}

func run(args []string) error {
	fs := flag.NewFlagSet("run", flag.ExitOnError)
	var opts local.Options
	fs.IntVar(&opts.Ports.API, "api-port", 3000, "HTTP API port")
	fs.IntVar(&opts.Ports.DynamoDB, "dynamodb-port", 8000, "DynamoDB Local port")
	fs.IntVar(&opts.Ports.S3, "s3-port", 7070, "S3 gateway port")
	fs.IntVar(&opts.Ports.SES, "ses-port", 8005, "SES local port (its web page lists sent mail)")
	fs.IntVar(&opts.Ports.SecretsManager, "secrets-port", 8006, "local Secrets Manager port")
	fs.IntVar(&opts.Ports.OIDC, "oidc-port", defaultOIDCPort, "local OpenID Connect provider port (the console signs in there; development only)")
	redirects := fs.String("oidc-redirect", "", "comma-separated redirect URIs the local provider allows besides the API's /callback (a console dev server's)")
	fs.BoolVar(&opts.Schedules, "schedules", true, "run the functions' Schedule events on their rate")
	fs.Float64Var(&opts.Faults.DynamoDBWriteThrottle, "throttle-dynamodb", 0, "fraction of the functions' DynamoDB writes to throttle (ProvisionedThroughputExceeded), e.g. 0.1")
	fs.Float64Var(&opts.Faults.SES.MaxSendRate, "ses-rate", 0, "SES sending rate the functions are held to, emails a second (0: none; SES local reports 200)")
	fs.IntVar(&opts.Faults.SES.DailyQuota, "ses-daily-quota", 0, "SES emails a day the functions may send (0: none)")
	reject := fs.String("ses-reject", "", "comma-separated addresses SES refuses (MESSAGE_REJECTED)")
	quiet := fs.Bool("quiet", false, "do not echo function and emulator output")
	_ = fs.Parse(args)
	if *reject != "" {
		opts.Faults.SES.Reject = strings.Split(*reject, ",")
	}
	if *redirects != "" {
		opts.OIDCRedirectURIs = strings.Split(*redirects, ",")
	}
	opts.Persist = true
	if !*quiet {
		opts.Output = os.Stdout
	}
	opts.Logger = slog.New(slog.NewTextHandler(os.Stderr, nil))

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	began := time.Now()
	stack, err := local.Start(ctx, opts)
	if err != nil {
		return err
	}
	defer stack.Close()
	if err := stack.SeedSchool(ctx, local.DemoSchoolID, local.DemoSchoolName, local.DemoOwnerEmail); err != nil {
		return fmt.Errorf("seed the demo school: %w", err)
	}
	tok := stack.Signer.Mint(local.DemoOwnerEmail, 12*time.Hour)
	fmt.Printf(`
Roster import service is running locally (ready in %s).

  HTTP API      %s  (the admin console at /)
  Sign-in       %s  (local OpenID Connect provider, development only)
  SES mail      %s  (every mail sent; GET %s/store as JSON)
  DynamoDB      %s  (table %s)
  S3            %s  (bucket %s, access key %q)
  Secrets       %s  (Secrets Manager, GetSecretValue)
  Logs          .local/logs/
%s
Demo school %q, owner %s. Bearer token (12 hours):

  export TOKEN=%s

Try:
  curl -s -H "Authorization: Bearer $TOKEN" %s/schools/%s

Another person's token: make token EMAIL=someone@example.com
Ctrl-C stops everything.
`, time.Since(began).Round(10*time.Millisecond), stack.APIURL, stack.OIDCURL, stack.SESURL, stack.SESURL, stack.DynamoDBURL,
		stack.Tables["RosterTable"], stack.S3URL, stack.Buckets["ImportsBucket"], local.AccessKeyID,
		stack.SecretsManagerURL, faultsLine(opts),
		local.DemoSchoolID, local.DemoOwnerEmail, tok, stack.APIURL, local.DemoSchoolID)
	<-ctx.Done()
	fmt.Println("\nstopping...")
	return nil
}

// faultsLine says which faults are injected, "" for none.
func faultsLine(o local.Options) string {
	var f []string
	if t := o.Faults.DynamoDBWriteThrottle; t > 0 {
		f = append(f, fmt.Sprintf("%g of the DynamoDB writes throttled", t))
	}
	if l := o.Faults.SES; l.MaxSendRate > 0 || l.DailyQuota > 0 || len(l.Reject) > 0 {
		f = append(f, fmt.Sprintf("SES at %g a second, %d a day, %d addresses rejected (0: no limit)", l.MaxSendRate, l.DailyQuota, len(l.Reject)))
	}
	if !o.Schedules {
		f = append(f, "schedules off")
	}
	if len(f) == 0 {
		return ""
	}
	return "  Faults        " + strings.Join(f, "; ") + "\n"
}

// defaultOIDCPort is the local provider's port for `stack run`.
const defaultOIDCPort = 8007

// token mints a token with the signing key of `make run` (created if absent)
// and the issuer it last ran with (its provider's URL; the default port's
// if it never ran).
func token(args []string) error {
	if len(args) != 1 || args[0] == "" {
		return fmt.Errorf("usage: stack token EMAIL")
	}
	root, err := local.FindRoot()
	if err != nil {
		return err
	}
	state := filepath.Join(root, ".local")
	issuer := fmt.Sprintf("http://127.0.0.1:%d", defaultOIDCPort)
	if b, err := os.ReadFile(filepath.Join(state, local.IssuerFile)); err == nil && strings.TrimSpace(string(b)) != "" {
		issuer = strings.TrimSpace(string(b))
	}
	signer, err := gateway.LoadOrCreateSigner(filepath.Join(state, "jwt", "signing-key.pem"), issuer)
	if err != nil {
		return err
	}
	fmt.Println(signer.Mint(args[0], 12*time.Hour))
	return nil
}
