// Package eventsource adapts the events Lambda delivers to the use cases:
// S3 notifications of uploads to the preview, and batches of the table's
// stream records to confirm and the mailer, with partial batch responses so
// that only the records that failed are delivered again.
package eventsource

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"sync"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/schoolroster/rosterimport/internal/app"
	"github.com/schoolroster/rosterimport/internal/dynamo"
	"github.com/schoolroster/rosterimport/internal/roster"
)

// Counter is a running total, such as DynamoDB requests made, that the
// log line closing each invocation reports as the difference it made.
type Counter struct {
	Name string
	Load func() int64
}

// DynamoDBRequests are the counters of a counting DynamoDB client, as
// "dynamodbReads" and "dynamodbWrites".
func DynamoDBRequests(db *dynamo.Counter) []Counter {
	return []Counter{{Name: "dynamodbReads", Load: db.Reads.Load}, {Name: "dynamodbWrites", Load: db.Writes.Load}}
}

// meter remembers the counters at the start of an invocation.
type meter struct {
	counters []Counter
	start    []int64
}

func startMeter(counters []Counter) meter {
	m := meter{counters: counters, start: make([]int64, len(counters))}
	for i, c := range counters {
		m.start[i] = c.Load()
	}
	return m
}

// done logs the closing line of an invocation: attrs, then each counter's change.
func (m meter) done(log *slog.Logger, attrs ...any) {
	for i, c := range m.counters {
		attrs = append(attrs, c.Name, c.Load()-m.start[i])
	}
	log.Info("invocation done", attrs...)
}

// UploadPreviewer previews an uploaded file.
type UploadPreviewer interface {
	Uploaded(ctx context.Context, key string, size int64, claim string) error
}

var _ UploadPreviewer = (*app.Previewer)(nil)

// Uploads serves the S3 ObjectCreated events of uploads.
type Uploads struct {
	Previewer UploadPreviewer
	Log       *slog.Logger
	Counters  []Counter
}

// Handle previews every object the event names. A key that does not decode
// is logged and skipped (no retry can mend it).
// Errors: the previews' faults, joined, so that Lambda retries the event;
// a retried upload resumes under the same claim.
func (h *Uploads) Handle(ctx context.Context, ev events.S3Event) error {
	m := startMeter(h.Counters)
	var errs []error
	for _, rec := range ev.Records {
		obj := rec.S3.Object
		key, err := url.QueryUnescape(obj.Key)
		if err != nil {
			h.Log.Warn("undecodable object key; ignored", "err", err)
			continue
		}
		if err := h.Previewer.Uploaded(ctx, key, obj.Size, uploadClaim(obj)); err != nil {
			h.Log.Error("preview failed; will be retried", "key", key, "err", err)
			errs = append(errs, err)
		}
	}
	m.done(h.Log, "records", len(ev.Records))
	return errors.Join(errs...)
}

// uploadClaim tells this write of the key from any other: the sequencer,
// or the ETag where a store sends no sequencer.
func uploadClaim(obj events.S3Object) string {
	if obj.Sequencer != "" {
		return obj.Sequencer
	}
	return obj.ETag
}

// ImportConfirmer imports a queued import.
type ImportConfirmer interface {
	Queued(ctx context.Context, schoolID, importID, claim string) error
}

// SendJobRunner runs a queued job that sends a school's held invitations.
type SendJobRunner interface {
	Queued(ctx context.Context, schoolID, jobID, claim string) error
}

// ExportRunner runs a queued export of a school's users.
type ExportRunner interface {
	Queued(ctx context.Context, schoolID, exportID, claim string) error
}

var (
	_ ImportConfirmer = (*app.Confirmer)(nil)
	_ SendJobRunner   = (*app.SendJobs)(nil)
	_ ExportRunner    = (*app.Exports)(nil)
)

// QueuedWork serves the stream records of background work queued in the
// table: imports confirmed, jobs sending all held invitations, and users
// exports.
type QueuedWork struct {
	Confirmer ImportConfirmer
	SendJobs  SendJobRunner
	Exports   ExportRunner
	Log       *slog.Logger
	Counters  []Counter
}

// Handle runs each queued item in turn (see inOrder), claimed by its
// record's sequence number.
func (h *QueuedWork) Handle(ctx context.Context, ev events.DynamoDBEvent) (events.DynamoDBEventResponse, error) {
	m := startMeter(h.Counters)
	resp := inOrder(ev, h.Log, func(rec events.DynamoDBEventRecord) error {
		work, err := dynamo.QueuedWork(rec.Change.NewImage)
		if err != nil {
			return undecodable{err}
		}
		run := h.Confirmer.Queued
		switch work.Kind {
		case dynamo.WorkSendJob:
			run = h.SendJobs.Queued
		case dynamo.WorkExport:
			run = h.Exports.Queued
		}
		if err := run(ctx, work.SchoolID, work.ID, rec.Change.SequenceNumber); err != nil {
			return fmt.Errorf("%s %s of %s: %w", work.Kind, work.ID, work.SchoolID, err)
		}
		return nil
	})
	m.done(h.Log, "records", len(ev.Records), "failed", len(resp.BatchItemFailures))
	return resp, nil
}

// undecodable is a record that no retry can mend: it is logged and skipped.
type undecodable struct{ err error }

func (u undecodable) Error() string { return u.err.Error() }

// inOrder runs each record of a batch in turn. After a failure, that record
// and all after it are reported as batch item failures: Lambda redelivers
// from the first one, keeping a school's (and a user's) records in order. A
// record run cannot decode is logged and skipped, so it blocks nothing.
func inOrder(ev events.DynamoDBEvent, log *slog.Logger, run func(events.DynamoDBEventRecord) error) events.DynamoDBEventResponse {
	var resp events.DynamoDBEventResponse
	for i, rec := range ev.Records {
		err := run(rec)
		var bad undecodable
		switch {
		case errors.As(err, &bad):
			log.Error("stream record does not decode; skipped", "sequenceNumber", rec.Change.SequenceNumber, "err", bad.err)
		case err != nil:
			log.Error("stream record failed; it will be redelivered with those after it", "sequenceNumber", rec.Change.SequenceNumber, "err", err)
			resp.BatchItemFailures = failuresFrom(ev.Records[i:])
			return resp
		}
	}
	return resp
}

// UserIndexer brings a user's entries in the users list in step with a change.
type UserIndexer interface {
	Reindex(ctx context.Context, before, after *roster.Member) error
}

var _ UserIndexer = (*dynamo.Store)(nil)

// UserChanges serves the stream records of user items, keeping the users
// list's index in step.
type UserChanges struct {
	Indexer     UserIndexer
	Log         *slog.Logger
	Counters    []Counter
	Concurrency int // users reindexed at once; default 16
}

// Handle reindexes the batch's users, several users at once and each
// user's changes in order, so an import of thousands does not hold the list
// back for long. A record that does not decode is logged and skipped. After
// a failure, the first failed record and every record after it are reported
// as batch item failures (reindexing is idempotent, so the ones that had
// succeeded are harmless to redo).
func (h *UserChanges) Handle(ctx context.Context, ev events.DynamoDBEvent) (events.DynamoDBEventResponse, error) {
	m := startMeter(h.Counters)
	type change struct {
		at            int // the record's index in the batch
		before, after *roster.Member
	}
	var order []string
	byUser := map[string][]change{}
	for i, rec := range ev.Records {
		before, after, err := dynamo.ChangedUser(rec.Change.OldImage, rec.Change.NewImage)
		if err != nil {
			h.Log.Error("stream record does not decode; skipped", "sequenceNumber", rec.Change.SequenceNumber, "err", err)
			continue
		}
		who := before
		if who == nil {
			who = after
		}
		k := who.SchoolID + "\x00" + who.Email
		if _, ok := byUser[k]; !ok {
			order = append(order, k)
		}
		byUser[k] = append(byUser[k], change{i, before, after})
	}
	workers := h.Concurrency
	if workers <= 0 {
		workers = 16
	}
	var mu sync.Mutex
	firstFailed := len(ev.Records)
	sem := make(chan struct{}, workers)
	var wg sync.WaitGroup
	for _, k := range order {
		sem <- struct{}{}
		wg.Add(1)
		go func(changes []change) {
			defer func() { <-sem; wg.Done() }()
			for _, c := range changes {
				if err := h.Indexer.Reindex(ctx, c.before, c.after); err != nil {
					h.Log.Error("reindex failed; the record will be redelivered", "sequenceNumber", ev.Records[c.at].Change.SequenceNumber, "err", err)
					mu.Lock()
					firstFailed = min(firstFailed, c.at)
					mu.Unlock()
					return // this user's later changes wait for the redelivery
				}
			}
		}(byUser[k])
	}
	wg.Wait()
	var resp events.DynamoDBEventResponse
	if firstFailed < len(ev.Records) {
		resp.BatchItemFailures = failuresFrom(ev.Records[firstFailed:])
	}
	m.done(h.Log, "records", len(ev.Records), "failed", len(resp.BatchItemFailures))
	return resp, nil
}

func failuresFrom(recs []events.DynamoDBEventRecord) []events.DynamoDBBatchItemFailure {
	out := make([]events.DynamoDBBatchItemFailure, len(recs))
	for i, r := range recs {
		out[i] = events.DynamoDBBatchItemFailure{ItemIdentifier: r.Change.SequenceNumber}
	}
	return out
}

// InvitationMailer sends queued invitations and returns the records to retry.
type InvitationMailer interface {
	Send(ctx context.Context, records []app.QueuedMail) (retry []string)
}

var _ InvitationMailer = (*app.Mailer)(nil)

// QueuedMails serves the stream records of users whose mail became queued
// and of schools' mail turns.
type QueuedMails struct {
	Mailer   InvitationMailer
	Log      *slog.Logger
	Counters []Counter
}

// Handle sends the batch's invitations and reports the records the mailer
// asks to retry (throttling, transient faults) as batch item failures. A
// record that does not decode is logged and skipped, so it holds up no
// other mail.
func (h *QueuedMails) Handle(ctx context.Context, ev events.DynamoDBEvent) (events.DynamoDBEventResponse, error) {
	m := startMeter(h.Counters)
	queued := make([]app.QueuedMail, 0, len(ev.Records))
	for _, rec := range ev.Records {
		seq := rec.Change.SequenceNumber
		w, err := dynamo.MailWakeOf(rec.Change.NewImage)
		if err != nil {
			h.Log.Error("stream record is not a queued invitation or a mail turn; skipped", "sequenceNumber", seq, "err", err)
			continue
		}
		queued = append(queued, app.QueuedMail{RecordID: seq, SchoolID: w.SchoolID, Email: w.Email, SendCount: w.SendCount, Turn: w.Turn})
	}
	var resp events.DynamoDBEventResponse
	for _, id := range h.Mailer.Send(ctx, queued) {
		resp.BatchItemFailures = append(resp.BatchItemFailures, events.DynamoDBBatchItemFailure{ItemIdentifier: id})
	}
	m.done(h.Log, "records", len(ev.Records), "retry", len(resp.BatchItemFailures))
	return resp, nil
}

// WorkSweeper re-drives waiting work past its bound.
type WorkSweeper interface {
	Sweep(ctx context.Context, now time.Time) (app.SweepReport, error)
}

var _ WorkSweeper = (*app.Sweeper)(nil)

// Schedule serves the sweeper's scheduled events. The event's time (when
// EventBridge scheduled it) is the sweep's clock, so a test can sweep "an
// hour later" by sending that time.
type Schedule struct {
	Sweeper  WorkSweeper
	Log      *slog.Logger
	Counters []Counter
}

// Handle sweeps once.
// Errors: the storage faults the sweep met (the next schedule tries again).
func (h *Schedule) Handle(ctx context.Context, ev events.EventBridgeEvent) (app.SweepReport, error) {
	m := startMeter(h.Counters)
	now := ev.Time
	if now.IsZero() {
		now = time.Now()
	}
	rep, err := h.Sweeper.Sweep(ctx, now.UTC())
	m.done(h.Log, "at", now.UTC())
	return rep, err
}
