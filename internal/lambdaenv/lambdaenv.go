// Package lambdaenv holds what every function's main shares: the JSON
// logger, the function's configuration read from its environment, and the
// AWS configuration its clients are built from.
package lambdaenv

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"reflect"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/ratelimit"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	awsconfig "github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/caarlos0/env/v11"
)

// Env is what a main builds its clients and service from.
type Env struct {
	Log *slog.Logger // JSON to stdout, which Lambda sends to CloudWatch Logs
	AWS aws.Config
}

// MustLoad is Load for a main: when the function cannot start, it logs why
// and exits, as Lambda expects of a failed init.
func MustLoad(ctx context.Context, cfg any, opts ...func(*awsconfig.LoadOptions) error) Env {
	e, err := Load(ctx, cfg, opts...)
	if err != nil {
		e.Fail(err)
	}
	return e
}

// Fail logs why the function cannot start and exits, as Lambda expects of
// a failed init; for a main's own set-up after MustLoad.
func (e Env) Fail(err error) {
	e.Log.Error("cannot start", "err", err)
	os.Exit(1)
}

// PatientRetries is the AWS configuration of a function that writes a
// school's rows at term start: throttling of one partition is expected, so
// each call is retried up to 10 times with backoff up to 20 s, and without
// the SDK's client-side retry quota, which would otherwise stop retrying
// after a few hundred throttles and fail the batch ("retry quota exceeded").
func PatientRetries() func(*awsconfig.LoadOptions) error {
	return awsconfig.WithRetryer(PatientRetryer)
}

// PatientRetryer is PatientRetries for one client, where the others of a
// function keep the SDK's default (the mailer's SES client must not wait
// out a daily quota, which SES answers as throttling).
func PatientRetryer() aws.Retryer {
	return retry.NewStandard(func(o *retry.StandardOptions) {
		o.MaxAttempts, o.MaxBackoff, o.RateLimiter = 10, 20*time.Second, ratelimit.None
	})
}

// Table is the configuration of a function that uses the roster table.
type Table struct {
	TableName string `env:"TABLE_NAME,required,notEmpty"`
}

// UsersIndex is the configuration of a function that reads or writes the
// users list's index table.
type UsersIndex struct {
	UsersIndexTable string `env:"USERS_INDEX_TABLE,required,notEmpty"`
}

// Bucket is the configuration of a function that uses the imports bucket.
type Bucket struct {
	BucketName  string `env:"BUCKET_NAME,required,notEmpty"`
	S3PathStyle bool   `env:"S3_USE_PATH_STYLE"` // S3-compatible stores, locally
}

// UploadLimit is the largest upload the service takes.
type UploadLimit struct {
	MaxUploadBytes int64 `env:"MAX_UPLOAD_BYTES,required"`
}

// Check says when the limit is not a positive number of bytes.
func (u UploadLimit) Check() error {
	if u.MaxUploadBytes <= 0 {
		return errors.New("MAX_UPLOAD_BYTES must be a positive number of bytes")
	}
	return nil
}

// Checker is a configuration with rules beyond required variables.
type Checker interface {
	// Check says what is wrong with the configuration, naming the variable.
	Check() error
}

// Load reads cfg, a pointer to a struct whose fields carry `env` tags
// (github.com/caarlos0/env), from the environment, checks it, and loads the
// AWS configuration with opts. The returned Env's Log is usable even when
// Load fails, to say why.
// Errors: a missing or malformed variable, named; a failed Check; the AWS
// configuration failing to load.
func Load(ctx context.Context, cfg any, opts ...func(*awsconfig.LoadOptions) error) (Env, error) {
	e := Env{Log: slog.New(slog.NewJSONHandler(os.Stdout, nil))}
	if err := env.Parse(cfg); err != nil {
		return e, fmt.Errorf("bad configuration: %w", byVariable(cfg, err))
	}
	if c, ok := cfg.(Checker); ok {
		if err := c.Check(); err != nil {
			return e, fmt.Errorf("bad configuration: %w", err)
		}
	}
	awsCfg, err := awsconfig.LoadDefaultConfig(ctx, opts...)
	if err != nil {
		return e, fmt.Errorf("load AWS config: %w", err)
	}
	e.AWS = awsCfg
	return e, nil
}

// S3 returns an S3 client for b's bucket; S3PathStyle addresses buckets by
// path, as S3-compatible stores (the local stack's) need.
func (e Env) S3(b Bucket) *s3.Client {
	return s3.NewFromConfig(e.AWS, func(o *s3.Options) { o.UsePathStyle = b.S3PathStyle })
}

// byVariable names the variable, not the Go field, in the library's errors
// for values that do not parse.
func byVariable(cfg any, err error) error {
	var agg env.AggregateError
	if !errors.As(err, &agg) {
		return err
	}
	t := reflect.TypeOf(cfg).Elem()
	msgs := make([]string, 0, len(agg.Errors))
	for _, e := range agg.Errors {
		var pe env.ParseError
		if !errors.As(e, &pe) {
			msgs = append(msgs, e.Error())
			continue
		}
		name := pe.Name
		if f, ok := t.FieldByName(pe.Name); ok {
			name, _, _ = strings.Cut(f.Tag.Get("env"), ",")
		}
		msgs = append(msgs, fmt.Sprintf("%s: %v", name, pe.Err))
	}
	return errors.New(strings.Join(msgs, "; "))
}
