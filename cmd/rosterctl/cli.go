package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/url"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/schoolroster/rosterimport/internal/csvimport"
	"github.com/schoolroster/rosterimport/internal/dynamo"
	"github.com/schoolroster/rosterimport/internal/roster"
)

const mainUsage = `rosterctl: the operators' commands of the roster import service.

Usage:
  rosterctl school create [flags]   create a school and invite its first owner

Run "rosterctl school create --help" for its flags.
`

const schoolUsage = `Usage:
  rosterctl school create [flags]   create a school and invite its first owner

Run "rosterctl school create --help" for its flags.
`

const createUsage = `Usage:
  rosterctl school create --id ID --name NAME --owner EMAIL --table TABLE [--region REGION] [--token-secret-arn ARN] [--send]
  rosterctl school create --id ID --name NAME --owner EMAIL --local [--send]

Creates a school with the groups Students, Staff and Parents, and invites its
first owner (role owner, group Staff), all or nothing. Running it again changes
nothing and says the school exists; a different name or owner for an existing
id is refused.

The owner's invitation email is queued when the token sealing secret is at hand
(--token-secret-arn, --local, or TOKEN_SECRET). Without it the invitation is
held: run the same command again with --send and the secret to send it.

Flags:
  --id ID                  school id: 1 to 64 letters, digits, - and _ (required)
  --name NAME              school name, at most 100 characters (required)
  --owner EMAIL            email of the first owner (required)
  --table TABLE            the roster table: the stack's TableName output
                           (required, except with --local)
  --region REGION          AWS region (default: AWS_REGION or the profile's)
  --endpoint-url URL       DynamoDB endpoint, e.g. http://127.0.0.1:8000 for
                           DynamoDB Local
  --token-secret-arn ARN   ARN of the stack's TokenSealingSecret, read from
                           Secrets Manager
  --local                  the local stack of make run: DynamoDB at
                           http://127.0.0.1:8000 (or --endpoint-url), table
                           RosterTable, its credentials and its sealing secret
  --send                   send the owner's invitation (needs the secret); for
                           a school that exists, send it again with a new link
                           (held, failed or lost)

Environment:
  TOKEN_SECRET             the sealing secret itself, instead of --token-secret-arn
  AWS_PROFILE, AWS_REGION  and the rest of the AWS SDK's default chain

Exit status: 0 created, or there already; 1 refused or failed; 2 bad usage.
`

// Local stack defaults for --local: make run's DynamoDB Local port (stack
// run -dynamodb-port) and its table, which template.yaml does not name, so
// the local stack calls it by its logical id.
const (
	localEndpoint = "http://127.0.0.1:8000"
	localTable    = "RosterTable"
)

// maxSchoolName is the longest school name, in characters.
const maxSchoolName = 100

// env is what run needs from the process, so that tests can give their own.
type env struct {
	Stdout, Stderr io.Writer
	Getenv         func(string) string
	// Connect builds the clients of the table (and secret) o names.
	Connect func(ctx context.Context, o createOptions) (clients, error)
}

// clients are the connections school create works through.
type clients struct {
	DynamoDB dynamo.API
	Where    string // where the table is, for the log: a region or an endpoint
	StateDir string // the local stack's state folder (with --local)
	// ReadSecret reads a secret from Secrets Manager (with --token-secret-arn).
	ReadSecret func(ctx context.Context, arn string) (string, error)
}

// createOptions are the checked flags of school create.
type createOptions struct {
	ID, Name    string
	Owner       string // normalised
	Table       string
	Region      string
	EndpointURL string
	SecretARN   string
	Local       bool
	Send        bool
	EnvSecret   secret // TOKEN_SECRET
}

// secret is a secret value: formatting it shows none of it.
type secret string

func (secret) String() string   { return "[secret]" }
func (secret) GoString() string { return "[secret]" }

// usageError is a command line that cannot run, with every problem in it.
type usageError struct{ problems []string }

func (e *usageError) Error() string { return strings.Join(e.problems, "\n") }

// run runs the command line args and returns the exit status: 0 done, 1
// refused or failed, 2 bad usage.
func run(ctx context.Context, args []string, e env) int {
	if len(args) == 0 || isHelp(args[0]) {
		return help(e, mainUsage, len(args) == 0)
	}
	if args[0] != "school" {
		fmt.Fprintf(e.Stderr, "rosterctl: unknown command %q\n\n%s", args[0], mainUsage)
		return 2
	}
	if len(args) == 1 || isHelp(args[1]) {
		return help(e, schoolUsage, len(args) == 1)
	}
	if args[1] != "create" {
		fmt.Fprintf(e.Stderr, "rosterctl: unknown command \"school %s\"\n\n%s", args[1], schoolUsage)
		return 2
	}
	return schoolCreate(ctx, args[2:], e)
}

func isHelp(arg string) bool {
	return arg == "-h" || arg == "-help" || arg == "--help" || arg == "help"
}

// help prints usage: to stdout when asked for, to stderr (status 2) when
// the command line was incomplete.
func help(e env, text string, incomplete bool) int {
	if incomplete {
		fmt.Fprint(e.Stderr, text)
		return 2
	}
	fmt.Fprint(e.Stdout, text)
	return 0
}

// schoolCreate is `rosterctl school create`.
func schoolCreate(ctx context.Context, args []string, e env) int {
	o, err := parseCreate(args, e.Getenv)
	if errors.Is(err, flag.ErrHelp) {
		fmt.Fprint(e.Stdout, createUsage)
		return 0
	}
	if err != nil {
		for _, line := range strings.Split(err.Error(), "\n") {
			fmt.Fprintln(e.Stderr, "rosterctl: "+line)
		}
		fmt.Fprintln(e.Stderr, `Run "rosterctl school create --help" for usage.`)
		return 2
	}
	logf := func(format string, args ...any) { fmt.Fprintf(e.Stderr, "rosterctl: "+format+"\n", args...) }
	c, err := e.Connect(ctx, o)
	if err != nil {
		logf("%v", err)
		return 1
	}
	sealer, source, err := loadSealer(ctx, o, c)
	if err != nil {
		logf("%v", err)
		return 1
	}
	logf("table %s in %s; %s", o.Table, c.Where, source)
	creator := &SchoolCreator{Store: dynamo.NewStore(c.DynamoDB, o.Table), Sealer: sealer, Now: time.Now}
	res, err := creator.Create(ctx, CreateRequest{ID: o.ID, Name: o.Name, Owner: o.Owner, Send: o.Send})
	if err != nil {
		logf("%s", explain(err, o, c))
		return 1
	}
	fmt.Fprint(e.Stdout, report(res, o, sealer != nil))
	return 0
}

// parseCreate reads and checks the flags of school create, with
// TOKEN_SECRET from getenv. It returns flag.ErrHelp for --help, and a
// *usageError naming every problem of a command line that cannot run.
func parseCreate(args []string, getenv func(string) string) (createOptions, error) {
	fs := flag.NewFlagSet("school create", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.Usage = func() {}
	var o createOptions
	fs.StringVar(&o.ID, "id", "", "")
	fs.StringVar(&o.Name, "name", "", "")
	fs.StringVar(&o.Owner, "owner", "", "")
	fs.StringVar(&o.Table, "table", "", "")
	fs.StringVar(&o.Region, "region", "", "")
	fs.StringVar(&o.EndpointURL, "endpoint-url", "", "")
	fs.StringVar(&o.SecretARN, "token-secret-arn", "", "")
	fs.BoolVar(&o.Local, "local", false, "")
	fs.BoolVar(&o.Send, "send", false, "")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return createOptions{}, err
		}
		return createOptions{}, &usageError{[]string{err.Error()}}
	}
	var problems []string
	bad := func(format string, args ...any) { problems = append(problems, fmt.Sprintf(format, args...)) }
	if fs.NArg() > 0 {
		bad("unexpected argument %q: every value is given with its flag, e.g. --name \"Hill School\"", fs.Arg(0))
	}

	o.ID = strings.TrimSpace(o.ID)
	switch {
	case o.ID == "":
		bad("--id is required: the school's id, e.g. --id hill")
	case !roster.ValidID(o.ID):
		bad("--id %q: use 1 to 64 letters, digits, - and _", o.ID)
	}

	o.Name, _ = csvimport.CleanName("School name", o.Name) // trimmed, spaces folded, no control characters
	switch n := utf8.RuneCountInString(o.Name); {
	case n == 0:
		bad("--name is required: the school's name, e.g. --name \"Hill School\"")
	case n > maxSchoolName:
		bad("--name is %d characters long: at most %d", n, maxSchoolName)
	}

	if strings.TrimSpace(o.Owner) == "" {
		bad("--owner is required: the email of the school's first owner")
	} else if email, problem := csvimport.CheckEmail(o.Owner); problem != "" {
		bad("--owner %q: %s", o.Owner, problem)
	} else {
		o.Owner = email
	}

	if o.Local {
		if o.Table == "" {
			o.Table = localTable
		}
		if o.EndpointURL == "" {
			o.EndpointURL = localEndpoint
		}
		if o.Region != "" {
			bad("--region cannot be used with --local: the local stack has its own region")
		}
		if o.SecretARN != "" {
			bad("--token-secret-arn cannot be used with --local: the local stack's own secret is used")
		}
	}
	if o.Table == "" {
		bad("--table is required: the roster table, the stack's TableName output (or --local for make run)")
	}
	if o.EndpointURL != "" {
		if u, err := url.Parse(o.EndpointURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			bad("--endpoint-url %q: give a URL such as http://127.0.0.1:8000", o.EndpointURL)
		}
	}
	if o.SecretARN != "" && !validSecretARN(o.SecretARN) {
		bad("--token-secret-arn %q: not a Secrets Manager secret ARN (arn:aws:secretsmanager:REGION:ACCOUNT:secret:NAME)", o.SecretARN)
	}
	if !o.Local {
		o.EnvSecret = secret(getenv("TOKEN_SECRET"))
	}
	if o.Send && o.SecretARN == "" && !o.Local && o.EnvSecret == "" {
		bad("--send needs the token sealing secret: give --token-secret-arn ARN (the stack's TokenSealingSecret) or set TOKEN_SECRET")
	}
	if len(problems) > 0 {
		return createOptions{}, &usageError{problems}
	}
	return o, nil
}

// validSecretARN reports whether s looks like the ARN of a Secrets Manager
// secret: arn:PARTITION:secretsmanager:REGION:ACCOUNT:secret:NAME.
func validSecretARN(s string) bool {
	p := strings.SplitN(s, ":", 7)
	return len(p) == 7 && p[0] == "arn" && p[1] != "" && p[2] == "secretsmanager" && p[3] != "" && p[4] != "" &&
		p[5] == "secret" && p[6] != ""
}

// report is what the operator reads on stdout once the command has done
// its work; haveSecret says whether a token sealing secret was at hand.
func report(r Result, o createOptions, haveSecret bool) string {
	var b strings.Builder
	p := func(format string, args ...any) { fmt.Fprintf(&b, format+"\n", args...) }
	owner := r.Owner
	switch r.Outcome {
	case Created:
		p("Created school %s (%q) with the groups Students, Staff and Parents.", r.School.ID, r.School.Name)
		p("Invited %s as its owner (group Staff).", owner.Email)
	case Exists:
		p("School %s (%q) exists already, with owner %s (%s). Nothing was changed.", r.School.ID, r.School.Name, owner.Email, ownerState(owner))
	case Resent:
		p("School %s (%q) exists already, with owner %s (invited).", r.School.ID, r.School.Name, owner.Email)
		if owner.SendCount > 1 {
			p("A new invitation replaces the earlier one, whose link no longer works.")
		}
	}
	if owner.Status != roster.StatusInvited {
		if o.Send {
			p("%s is an active owner: there is no invitation to send.", owner.Email)
		}
		return b.String()
	}
	sendAgain := sendHint(o, haveSecret)
	switch owner.MailStatus {
	case roster.MailQueued, roster.MailSent:
		if r.Outcome == Exists {
			p("If %s did not get it, %s to send a new one.", owner.Email, sendAgain)
			break
		}
		p("The invitation email is queued: the mailer sends it to %s with a link to accept.", owner.Email)
		if o.Local {
			p("Locally it appears on the SES page make run printed (http://127.0.0.1:8005 by default).")
		}
	case roster.MailHeld:
		if haveSecret {
			p("The invitation is HELD: no email has been sent.")
		} else {
			p("The invitation is HELD: no email was sent, because no token sealing secret was given.")
		}
		p("To send it, %s.", sendAgain)
	case roster.MailFailed, roster.MailBounced:
		why := ""
		if owner.MailError != "" {
			why = " (" + owner.MailError + ")"
		}
		p("The last invitation email %s%s. To send a new one, %s.", owner.MailStatus, why, sendAgain)
	}
	return b.String()
}

// sendHint says how to send the owner's invitation, in o's setting.
func sendHint(o createOptions, haveSecret bool) string {
	switch {
	case haveSecret:
		return "run the same command again with --send"
	case o.Local:
		return "start make run once (it makes the local stack's secret), then run the same command again with --send"
	}
	return "run the same command again with --send and --token-secret-arn ARN (the stack's TokenSealingSecret) or TOKEN_SECRET set"
}

// ownerState says where an owner is: "invited, invitation sent",
// "active since 2026-09-01".
func ownerState(m roster.Member) string {
	switch m.Status {
	case roster.StatusActive:
		if m.JoinedAt != nil {
			return "active since " + m.JoinedAt.Format(time.DateOnly)
		}
		return "active"
	case roster.StatusInvited:
		return "invited, invitation " + string(m.MailStatus)
	}
	return string(m.Status)
}

// explain says why the command failed, in the operator's terms: the
// message of a refusal, the cause of a fault.
func explain(err error, o createOptions, c clients) string {
	var re *roster.Error
	if errors.As(err, &re) && re.Code != roster.EINTERNAL {
		return re.Message
	}
	cause := err
	if re != nil && re.Err != nil {
		cause = re.Err
	}
	var notFound *types.ResourceNotFoundException
	switch {
	case errors.As(cause, &notFound):
		return fmt.Sprintf("table %s does not exist in %s: give the stack's TableName output (and its --region). %v", o.Table, c.Where, cause)
	case isUnreachable(cause) && o.Local:
		return fmt.Sprintf("cannot reach DynamoDB at %s: is the local stack running (make run)? %v", o.EndpointURL, cause)
	case isUnreachable(cause):
		return fmt.Sprintf("cannot reach DynamoDB in %s: %v", c.Where, cause)
	}
	return cause.Error()
}

// isUnreachable reports whether err is a failure to connect.
func isUnreachable(err error) bool {
	var op *net.OpError
	return errors.As(err, &op)
}
