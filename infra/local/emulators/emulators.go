// Package emulators runs the AWS services the stack stands on as child
// processes: DynamoDB Local (with Streams), the Versity S3 Gateway (with
// webhook event notifications) and aws-ses-v2-local. It gives SDK clients of
// them, and creates in them the tables, buckets and email templates a
// template declares.
package emulators

import (
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodbstreams"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/sesv2"

	"github.com/schoolroster/rosterimport/infra/local/proc"
)

// The local account, region and credentials every emulator and function shares.
const (
	Account     = "000000000000"
	Region      = "us-east-1"
	AccessKeyID = "rosterlocal" // DynamoDB Local accepts only letters and digits
	SecretKey   = "rosterlocalsecret"
)

// Config says where and how the emulators run.
type Config struct {
	// Root is the repository root, under which the emulators are installed
	// (infra/local/node_modules and .local/bin: `make deps`).
	Root string
	// StateDir holds the S3 gateway's objects (s3/data, s3/meta) and, with
	// Persist, DynamoDB Local's data (dynamodb); the processes run in it.
	StateDir string
	// Persist keeps DynamoDB data on disk; without it the table is in memory.
	Persist bool
	// The ports to listen on; 0 picks a free port.
	DynamoDBPort, S3Port, SESPort int
	// WebhookURL is where the S3 gateway posts its event notifications.
	WebhookURL string
	// SESMaxSendRate is the sending rate SES local reports.
	SESMaxSendRate float64
	// Log returns where a process's output goes, by process name.
	Log func(name string) io.Writer
}

// Emulators are the running emulator processes.
type Emulators struct {
	// Endpoints.
	DynamoDBURL, S3URL, SESURL string

	procs []*proc.Proc
}

// Start starts DynamoDB Local, the S3 gateway and SES local, and waits until
// each listens. If one cannot start, those started are stopped.
func Start(c Config) (_ *Emulators, err error) {
	tools, err := findTools(c.Root)
	if err != nil {
		return nil, err
	}
	ports := []*int{&c.DynamoDBPort, &c.S3Port, &c.SESPort}
	for _, p := range ports {
		if *p == 0 {
			if *p, err = proc.FreePort(); err != nil {
				return nil, err
			}
		}
	}
	addr := func(p int) string { return "127.0.0.1:" + strconv.Itoa(p) }
	env := os.Environ()

	ddbArgs := []string{tools.java, "-Xmx512m", "-Djava.library.path=" + filepath.Join(filepath.Dir(tools.dynamoJar), "DynamoDBLocal_lib"),
		"-jar", tools.dynamoJar, "-port", strconv.Itoa(c.DynamoDBPort), "-sharedDb"}
	if c.Persist {
		dbDir := filepath.Join(c.StateDir, "dynamodb")
		if err := os.MkdirAll(dbDir, 0o755); err != nil {
			return nil, err
		}
		ddbArgs = append(ddbArgs, "-dbPath", dbDir)
	} else {
		ddbArgs = append(ddbArgs, "-inMemory")
	}
	// Objects under s3/data, their metadata in a sidecar (no xattrs needed).
	s3Dir := filepath.Join(c.StateDir, "s3", "data")
	vgwArgs := []string{tools.versitygw, "--port", addr(c.S3Port), "--access", AccessKeyID, "--secret", SecretKey,
		"--region", Region, "--event-webhook-url", c.WebhookURL, "--quiet",
		"posix", "--sidecar", filepath.Join(c.StateDir, "s3", "meta"), s3Dir}
	sesArgs := []string{tools.node, tools.sesCLI, "--host", "127.0.0.1", "--port", strconv.Itoa(c.SESPort)}
	sesEnv := append(os.Environ(), "AWS_SES_ACCOUNT="+sesAccount(c.SESMaxSendRate))

	type emu struct {
		name string
		args []string
		port int
		env  []string
	}
	emus := []emu{{"dynamodb-local", ddbArgs, c.DynamoDBPort, env}, {"s3-gateway", vgwArgs, c.S3Port, env}, {"ses-local", sesArgs, c.SESPort, sesEnv}}
	e := &Emulators{}
	defer func() {
		if err != nil {
			e.Stop()
		}
	}()
	for _, em := range emus {
		p, err := proc.Start(em.name, c.Log(em.name), c.StateDir, em.env, em.args...)
		if err != nil {
			return nil, err
		}
		e.procs = append(e.procs, p)
	}
	for i, em := range emus {
		if err := e.procs[i].WaitPort(addr(em.port), 60*time.Second); err != nil {
			return nil, err
		}
	}
	e.DynamoDBURL = "http://" + addr(c.DynamoDBPort)
	e.S3URL = "http://" + addr(c.S3Port)
	e.SESURL = "http://" + addr(c.SESPort)
	return e, nil
}

// Stop stops the emulators, giving each 5 seconds to end. It does nothing on
// a nil *Emulators.
func (e *Emulators) Stop() {
	if e == nil {
		return
	}
	var wg sync.WaitGroup
	for _, p := range e.procs {
		wg.Add(1)
		go func() { defer wg.Done(); p.Stop(5 * time.Second) }()
	}
	wg.Wait()
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

// Clients are SDK clients of the emulators, with the local credentials.
type Clients struct {
	AWS      aws.Config // the configuration the clients share
	DynamoDB *dynamodb.Client
	Streams  *dynamodbstreams.Client
	S3       *s3.Client // path-style, as the S3 gateway serves
	SES      *sesv2.Client
}

// Clients returns clients of the running emulators.
func (e *Emulators) Clients() Clients {
	cfg := aws.Config{
		Region:      Region,
		Credentials: credentials.NewStaticCredentialsProvider(AccessKeyID, SecretKey, ""),
	}
	ddbURL, s3URL, sesURL := e.DynamoDBURL, e.S3URL, e.SESURL
	return Clients{
		AWS:      cfg,
		DynamoDB: dynamodb.NewFromConfig(cfg, func(o *dynamodb.Options) { o.BaseEndpoint = &ddbURL }),
		Streams:  dynamodbstreams.NewFromConfig(cfg, func(o *dynamodbstreams.Options) { o.BaseEndpoint = &ddbURL }),
		S3:       s3.NewFromConfig(cfg, func(o *s3.Options) { o.BaseEndpoint = &s3URL; o.UsePathStyle = true }),
		SES:      sesv2.NewFromConfig(cfg, func(o *sesv2.Options) { o.BaseEndpoint = &sesURL }),
	}
}
