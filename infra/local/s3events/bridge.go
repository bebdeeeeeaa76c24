// Package s3events turns the S3 gateway's webhook notifications into the S3
// events Lambda receives, and delivers them to the functions the template
// subscribes, asynchronously, with Lambda's retries for async invocations.
package s3events

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/schoolroster/rosterimport/infra/local/deadletter"

	"github.com/schoolroster/rosterimport/internal/backoff"

	"github.com/schoolroster/rosterimport/infra/local/lambdart"
)

// subscription is one S3 event of a function in the template.
type subscription struct {
	function string
	bucket   string
	events   []string // e.g. s3:ObjectCreated:*
	prefix   string
	suffix   string
}

func (s subscription) matches(bucket, eventName, key string) bool {
	if bucket != s.bucket || !strings.HasPrefix(key, s.prefix) || !strings.HasSuffix(key, s.suffix) {
		return false
	}
	for _, e := range s.events {
		if e == eventName || strings.HasSuffix(e, ":*") && strings.HasPrefix(eventName, strings.TrimSuffix(e, "*")) {
			return true
		}
	}
	return false
}

// Config is how a Bridge delivers events.
type Config struct {
	Invoke     lambdart.InvokeFunc // runs the subscribed functions
	Region     string              // the events' awsRegion
	RetryDelay time.Duration       // before the first retry; the second waits twice as long
	StateDir   string              // dead letters go under StateDir/dlq; "" drops them
	Log        *slog.Logger        // failed and dropped deliveries
}

// Bridge receives the S3 gateway's webhook notifications and invokes the
// subscribed functions asynchronously with S3 events, as S3 and Lambda do:
// an async invocation that fails is retried twice, then dead-lettered. It
// delivers nothing until Subscribe is called.
type Bridge struct {
	subs       []subscription
	invoke     lambdart.InvokeFunc
	ctx        context.Context
	region     string
	retryDelay time.Duration
	stateDir   string
	log        *slog.Logger
}

// NewBridge returns a bridge whose deliveries stop when ctx ends.
func NewBridge(ctx context.Context, c Config) *Bridge {
	return &Bridge{invoke: c.Invoke, ctx: ctx, region: c.Region, retryDelay: c.RetryDelay, stateDir: c.StateDir, log: c.Log}
}

// gatewayRecord is the part of the S3 gateway's notification the bridge reads.
type gatewayRecord struct {
	EventTime         string `json:"eventTime"`
	EventName         string `json:"eventName"`
	UserIdentity      any    `json:"userIdentity"`
	RequestParameters any    `json:"requestParameters"`
	ResponseElements  any    `json:"responseElements"`
	S3                struct {
		Bucket struct {
			Name          string `json:"name"`
			OwnerIdentity any    `json:"ownerIdentity"`
		} `json:"bucket"`
		Object struct {
			Key       string  `json:"key"`
			Size      int64   `json:"size"`
			ETag      *string `json:"eTag"`
			VersionID *string `json:"versionId"`
			Sequencer string  `json:"sequencer"`
		} `json:"object"`
	} `json:"s3"`
}

// ServeHTTP takes one notification of the S3 gateway.
func (b *Bridge) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	w.WriteHeader(http.StatusOK) // acknowledge at once; delivery is asynchronous
	var n struct {
		Records []gatewayRecord
	}
	if json.Unmarshal(body, &n) != nil {
		return
	}
	for _, rec := range n.Records {
		name := strings.TrimPrefix(rec.EventName, "s3:")
		for _, s := range b.subs {
			if s.matches(rec.S3.Bucket.Name, "s3:"+name, rec.S3.Object.Key) {
				go b.deliver(s.function, b.lambdaEvent(rec, name))
			}
		}
	}
}

// lambdaEvent renders a notification as S3 sends it to Lambda: event name
// without the "s3:" prefix and the key URL-encoded.
func (b *Bridge) lambdaEvent(rec gatewayRecord, name string) []byte {
	etag := ""
	if rec.S3.Object.ETag != nil {
		etag = strings.Trim(*rec.S3.Object.ETag, `"`)
	}
	obj := map[string]any{
		"key": url.QueryEscape(rec.S3.Object.Key), "size": rec.S3.Object.Size,
		"eTag": etag, "sequencer": rec.S3.Object.Sequencer,
	}
	if rec.S3.Object.VersionID != nil {
		obj["versionId"] = *rec.S3.Object.VersionID
	}
	obj["key"] = strings.ReplaceAll(obj["key"].(string), "%2F", "/")
	ev := map[string]any{"Records": []any{map[string]any{
		"eventVersion": "2.1", "eventSource": "aws:s3", "awsRegion": b.region,
		"eventTime": rec.EventTime, "eventName": name,
		"userIdentity": rec.UserIdentity, "requestParameters": rec.RequestParameters,
		"responseElements": rec.ResponseElements,
		"s3": map[string]any{
			"s3SchemaVersion": "1.0", "configurationId": "local-notification",
			"bucket": map[string]any{
				"name": rec.S3.Bucket.Name, "ownerIdentity": rec.S3.Bucket.OwnerIdentity,
				"arn": "arn:aws:s3:::" + rec.S3.Bucket.Name,
			},
			"object": obj,
		},
	}}}
	payload, _ := json.Marshal(ev)
	return payload
}

func (b *Bridge) deliver(fn string, payload []byte) {
	for attempt := 0; attempt < 3; attempt++ {
		if attempt > 0 && backoff.Sleep(b.ctx, b.retryDelay*time.Duration(attempt)) != nil {
			return
		}
		res, err := b.invoke(b.ctx, fn, payload)
		if err != nil {
			return // the stack is stopping
		}
		if res.FunctionError == "" {
			return
		}
		b.log.Warn("async invocation failed", "function", fn, "attempt", attempt+1, "errorType", res.ErrorType())
	}
	b.log.Error("async event dropped after 3 attempts", "function", fn)
	if err := deadletter.Append(b.stateDir, fn, payload); err != nil {
		b.log.Error("dead letter not kept", "function", fn, "err", err)
	}
}
