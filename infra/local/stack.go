// Package local runs the whole service on one machine against real emulators:
// DynamoDB Local, the Versity S3 Gateway and aws-ses-v2-local, with every
// function of template.yaml built and run as a process behind the Lambda
// Runtime API, the HTTP API and its JWT authorizer, S3 notifications and
// DynamoDB stream event source mappings, as AWS (and sam local) would.
//
// Each of those is a package of its own under infra/local; this one reads the
// template, names its resources, builds the functions and wires the parts:
//
//	emulators    DynamoDB Local, the S3 gateway, SES local; SDK clients; provisioning
//	lambdart     a function's process behind the Lambda Runtime API
//	gateway      the HTTP API, its JWT authorizer, and the signing key of tokens
//	oidc         the local OpenID Connect provider the console signs in with
//	s3events     S3 notifications to S3 events of the subscribed functions
//	streams      DynamoDB stream event source mappings and their filter rules
//	schedule     Schedule events: EventBridge rules run on their rate
//	faults       proxies that throttle DynamoDB writes and hold SES to limits
//	secretstore  the local Secrets Manager (GetSecretValue, rotation)
//	template     template.yaml: parsing, intrinsic functions, validation
//	proc         child processes in their own process group
//	localtest    TestMain for packages that test against the stack
package local

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodbstreams"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/sesv2"

	"github.com/schoolroster/rosterimport/infra/local/emulators"
	"github.com/schoolroster/rosterimport/infra/local/faults"
	"github.com/schoolroster/rosterimport/infra/local/gateway"
	"github.com/schoolroster/rosterimport/infra/local/lambdart"
	"github.com/schoolroster/rosterimport/infra/local/s3events"
	"github.com/schoolroster/rosterimport/infra/local/schedule"
	"github.com/schoolroster/rosterimport/infra/local/secretstore"
	"github.com/schoolroster/rosterimport/infra/local/streams"
	"github.com/schoolroster/rosterimport/infra/local/template"
)

// Local account, region and credentials every emulator and function shares.
const (
	localAccount   = emulators.Account
	localRegion    = emulators.Region
	AccessKeyID    = emulators.AccessKeyID
	localSecretKey = emulators.SecretKey
)

// Ports are the listening ports of the stack; 0 picks a free port. OIDC is
// the local OpenID Connect provider's.
type Ports struct {
	API, DynamoDB, S3, SES, SecretsManager, OIDC int
}

// Options configure a Stack.
type Options struct {
	Root      string // repository root; default: found upward from the working directory
	Template  string // template path; default Root/template.yaml
	StateDir  string // where state, builds and logs live; default Root/.local
	StackName string // AWS::StackName; default roster-local
	// Persist keeps DynamoDB data and stream checkpoints across restarts
	// (make run); tests leave it off and get a fresh in-memory table.
	Persist bool
	Ports   Ports
	// Params override template parameters (the stack already sets the JWT
	// issuer and audience to its own identity provider, and AppBaseUrl and
	// ConsoleOrigin to the API's URL).
	Params map[string]string
	// OIDCRedirectURIs are redirect URIs the local OpenID Connect provider
	// allows besides the API's own /callback (a console dev server's); their
	// origins may also call its token endpoint and be sent back to after
	// logout ("/").
	OIDCRedirectURIs []string
	// EnvVars override function environment variables declared in the
	// template, by function logical id, as `sam local --env-vars` does.
	EnvVars map[string]map[string]string
	// EmulatorsOnly starts the emulators and creates the template's table,
	// bucket and email template, but builds and runs no function: what
	// adapter tests need.
	EmulatorsOnly bool
	// ExtraEnv adds environment variables to functions by logical id, beyond
	// what the template declares, or replaces the stack's own (such as an
	// AWS_ENDPOINT_URL_<SERVICE>).
	ExtraEnv map[string]map[string]string
	// Output receives emulator and function output besides the log files.
	Output io.Writer
	// Logger receives the stack's own messages; default discards them.
	Logger *slog.Logger
	// StreamPoll is how often idle shards are polled (default 100ms);
	// RetryBackoff the first delay before a failed batch is retried (default
	// 100ms, doubling); AsyncRetryDelay the delay before an async invocation
	// is retried (default 1s; Lambda waits a minute).
	StreamPoll, RetryBackoff, AsyncRetryDelay time.Duration
	// SESMaxSendRate is the sending rate SES local reports (default 200 a
	// second, a production account's order of magnitude; Faults.SES's
	// MaxSendRate if that is set). Only SES limits (Faults.SES,
	// SetSESLimits) enforce a rate.
	SESMaxSendRate float64
	// Faults are injected from the start (make run's flags).
	Faults Faults
	// Schedules runs the functions' Schedule events on their rate (make
	// run); tests leave it off and call RunSchedule.
	Schedules bool
	// FunctionConcurrency is how many instances of a function may run at
	// once when the template reserves it none (default 10; Lambda's is the
	// account's 1,000, which one machine cannot run).
	FunctionConcurrency int
}

// Stack is the whole service running locally.
type Stack struct {
	opts     Options
	Template *template.Template
	resolver *template.Resolver

	// Endpoints of the HTTP API and the emulators.
	APIURL, DynamoDBURL, S3URL, SESURL string
	// OIDCURL is the local OpenID Connect provider's URL: its issuer (the
	// iss of every token the stack mints), the template's JwtIssuer.
	OIDCURL string
	// Endpoints the functions use: DynamoDB and SES through the fault
	// proxies, and the local Secrets Manager.
	DynamoDBProxyURL, SESProxyURL, SecretsManagerURL string

	// AWS is a configuration for clients of the emulators; the clients are ready to use.
	AWS      aws.Config
	DynamoDB *dynamodb.Client
	Streams  *dynamodbstreams.Client
	S3       *s3.Client
	SES      *sesv2.Client

	Signer *gateway.Signer

	// Tables, Buckets and EmailTemplates map logical ids to local names.
	Tables, Buckets, EmailTemplates map[string]string

	functions map[string]*lambdart.Function
	emulators *emulators.Emulators
	servers   []*http.Server
	cancel    context.CancelFunc
	wg        sync.WaitGroup
	log       *slog.Logger
	closeOnce sync.Once
	secrets   *secretstore.Store
	ddbProxy  *faults.DynamoDBProxy
	sesProxy  *faults.SESProxy
	schedules []schedule.Rule
	pollers   []*streams.Poller
	api       apiHandler // the gateway, once the functions run
}

// Start brings up the emulators, creates what the template declares, builds
// and starts every function and serves the HTTP API. Close stops it all.
func Start(ctx context.Context, opts Options) (_ *Stack, err error) {
	if err := opts.defaults(); err != nil {
		return nil, err
	}
	tmpl, err := template.LoadTemplate(opts.Template)
	if err != nil {
		return nil, err
	}
	runCtx, cancel := context.WithCancel(context.Background())
	s := &Stack{opts: opts, Template: tmpl, cancel: cancel, functions: map[string]*lambdart.Function{}, log: opts.Logger}
	defer func() {
		if err != nil {
			s.Close()
		}
	}()
	for _, d := range []string{"logs", "build", "s3/data", "s3/meta"} {
		if err := os.MkdirAll(filepath.Join(opts.StateDir, d), 0o755); err != nil {
			return nil, err
		}
	}
	// The API's and the identity provider's URLs are parameters of the
	// template (JwtIssuer, AppBaseUrl...), so their ports are taken first.
	if err := s.listenIdentity(); err != nil {
		return nil, err
	}
	if err := s.names(); err != nil {
		return nil, err
	}
	if err := s.startSecrets(); err != nil {
		return nil, err
	}
	// Builds run while the emulators start.
	buildErr := make(chan error, 1)
	if opts.EmulatorsOnly {
		buildErr <- nil
	} else {
		go func() { buildErr <- s.buildFunctions(ctx) }()
	}

	webhook, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	bridge := s3events.NewBridge(runCtx, s3events.Config{Invoke: s.invoke, Region: localRegion, RetryDelay: opts.AsyncRetryDelay, StateDir: opts.StateDir, Log: s.log})
	s.serve(webhook, bridge)
	if err := s.startEmulators("http://" + webhook.Addr().String() + "/"); err != nil {
		return nil, err
	}
	if err := s.startProxies(); err != nil {
		return nil, err
	}
	if err := emulators.Provision(ctx, s.emulators.Clients(), s.Template, s.resolver); err != nil {
		return nil, err
	}
	if err := <-buildErr; err != nil {
		return nil, err
	}
	if opts.EmulatorsOnly {
		return s, nil
	}
	if err := s.startFunctions(); err != nil {
		return nil, err
	}
	if err := bridge.Subscribe(s.Template, s.resolver); err != nil {
		return nil, err
	}
	if err := s.startAPI(); err != nil {
		return nil, err
	}
	if err := s.startStreams(runCtx); err != nil {
		return nil, err
	}
	if err := s.startSchedules(runCtx); err != nil {
		return nil, err
	}
	return s, nil
}

func (o *Options) defaults() error {
	if o.Root == "" {
		root, err := FindRoot()
		if err != nil {
			return err
		}
		o.Root = root
	}
	if o.Template == "" {
		o.Template = filepath.Join(o.Root, "template.yaml")
	}
	if o.StateDir == "" {
		o.StateDir = filepath.Join(o.Root, ".local")
	}
	if o.StackName == "" {
		o.StackName = "roster-local"
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if o.Output == nil {
		o.Output = io.Discard
	}
	if o.StreamPoll == 0 {
		o.StreamPoll = 100 * time.Millisecond
	}
	if o.RetryBackoff == 0 {
		o.RetryBackoff = 100 * time.Millisecond
	}
	if o.AsyncRetryDelay == 0 {
		o.AsyncRetryDelay = time.Second
	}
	if o.FunctionConcurrency == 0 {
		o.FunctionConcurrency = 10
	}
	switch rate := o.Faults.SES.MaxSendRate; {
	case o.SESMaxSendRate == 0 && rate > 0:
		o.SESMaxSendRate = rate
	case o.SESMaxSendRate == 0:
		o.SESMaxSendRate = 200
	case rate > 0 && rate != o.SESMaxSendRate:
		return fmt.Errorf("SESMaxSendRate %v and Faults.SES.MaxSendRate %v disagree: SES local would report one rate and enforce another", o.SESMaxSendRate, rate)
	}
	return nil
}

// FindRoot returns the nearest directory upward from the working directory
// that holds go.mod and template.yaml.
func FindRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if fileExists(filepath.Join(dir, "go.mod")) && fileExists(filepath.Join(dir, "template.yaml")) {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("no repository root (go.mod with template.yaml) above the working directory")
		}
		dir = parent
	}
}

func fileExists(p string) bool { _, err := os.Stat(p); return err == nil }

func (s *Stack) serve(ln net.Listener, h http.Handler) {
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}
	s.servers = append(s.servers, srv)
	go srv.Serve(ln)
}

// startEmulators starts DynamoDB Local, the S3 gateway and SES local, and
// makes clients of them.
func (s *Stack) startEmulators(webhookURL string) error {
	e, err := emulators.Start(emulators.Config{
		Root: s.opts.Root, StateDir: s.opts.StateDir, Persist: s.opts.Persist,
		DynamoDBPort: s.opts.Ports.DynamoDB, S3Port: s.opts.Ports.S3, SESPort: s.opts.Ports.SES,
		WebhookURL: webhookURL, SESMaxSendRate: s.opts.SESMaxSendRate, Log: s.logFile,
	})
	if err != nil {
		return err
	}
	s.emulators = e
	s.DynamoDBURL, s.S3URL, s.SESURL = e.DynamoDBURL, e.S3URL, e.SESURL
	c := e.Clients()
	s.AWS, s.DynamoDB, s.Streams, s.S3, s.SES = c.AWS, c.DynamoDB, c.Streams, c.S3, c.SES
	return nil
}

// startAPI serves every HttpApi event of every function on the API's port
// (listenIdentity took it).
func (s *Stack) startAPI() error {
	g, err := gateway.New(s.Template, s.resolver, s.Signer, s.invoke, localAccount)
	if err != nil {
		return err
	}
	s.api.set(g)
	return nil
}

// startStreams starts a poller for every DynamoDB event of every function.
func (s *Stack) startStreams(ctx context.Context) error {
	pollers, err := streams.Pollers(s.Template, s.resolver, streams.Config{
		Client: s.Streams, Invoke: s.invoke, Region: localRegion, Account: localAccount, Log: s.log,
		Poll: s.opts.StreamPoll, Backoff: s.opts.RetryBackoff, StateDir: s.opts.StateDir,
	})
	if err != nil {
		return err
	}
	s.pollers = pollers
	for _, p := range pollers {
		s.wg.Add(1)
		go func() { defer s.wg.Done(); p.Run(ctx) }()
	}
	return nil
}

// invoke is the lambdart.InvokeFunc the gateway, the S3 events and the
// stream pollers share.
func (s *Stack) invoke(ctx context.Context, fn string, payload []byte) (lambdart.InvokeResult, error) {
	f, ok := s.functions[fn]
	if !ok {
		return lambdart.InvokeResult{}, fmt.Errorf("no function %s in the template", fn)
	}
	return f.Invoke(ctx, payload)
}

// Close stops the functions, pollers, servers and emulators. It is safe to
// call more than once.
func (s *Stack) Close() {
	s.closeOnce.Do(func() {
		s.cancel()
		s.wg.Wait()
		for _, f := range s.functions {
			f.Stop()
		}
		for _, srv := range s.servers {
			_ = srv.Close()
		}
		s.emulators.Stop()
	})
}
