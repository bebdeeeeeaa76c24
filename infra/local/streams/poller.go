// Package streams runs a template's DynamoDB event source mappings as
// Lambda does: it reads every shard of the table's stream, filters records
// with the mapping's FilterCriteria, delivers them in batches through the
// mapping's ParallelizationFactor lanes (a partition key's records in order
// in one lane), and retries, bisects and dead-letters failed batches.
package streams

import (
	"context"
	"encoding/json"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"

	"github.com/schoolroster/rosterimport/infra/local/deadletter"

	"github.com/schoolroster/rosterimport/internal/backoff"

	"github.com/aws/aws-sdk-go-v2/service/dynamodbstreams"
	"github.com/aws/aws-sdk-go-v2/service/dynamodbstreams/types"

	"github.com/schoolroster/rosterimport/infra/local/lambdart"
)

// Config is what the pollers of a stack share.
type Config struct {
	Client   *dynamodbstreams.Client // reads the streams
	Invoke   lambdart.InvokeFunc     // runs the mapped functions
	Region   string                  // of the records, and with Account of the function ARNs
	Account  string
	Log      *slog.Logger  // read errors and dead letters
	Poll     time.Duration // how often idle shards are polled
	Backoff  time.Duration // the first delay before a failed batch is retried, doubling
	StateDir string        // checkpoints and dead letters; "" keeps checkpoints in memory, dead letters nowhere
}

// Poller runs one mapping: it reads every shard (a child after its
// parent), filters, batches and delivers records, and retries, bisects and
// dead-letters as Lambda's stream event source does.
type Poller struct {
	m        mapping
	client   *dynamodbstreams.Client
	invoke   lambdart.InvokeFunc
	region   string
	account  string
	log      *slog.Logger
	poll     time.Duration
	backoff  time.Duration
	stateDir string // checkpoints and dead letters; "" keeps checkpoints in memory

	lose atomic.Bool // fault injection: every batch fails all its retries at once

	mu          sync.Mutex
	checkpoints map[string]string // shard id -> last sequence number handled
	done        map[string]bool   // shards read to their end
}

// Function is the function the mapping invokes.
func (p *Poller) Function() string { return p.m.function }

// LoseRecords makes the mapping, while on, treat every batch as if each of
// its retries had failed: straight to the on-failure destination, the
// function never invoked. It is what a record lost to a long outage looks
// like, for tests of what re-drives lost work.
func (p *Poller) LoseRecords(on bool) { p.lose.Store(on) }

// Run polls until ctx ends: every shard the stream reports is read once
// its parent has been read to its end, all at once.
func (p *Poller) Run(ctx context.Context) {
	p.checkpoints, p.done = map[string]string{}, map[string]bool{}
	p.loadCheckpoints()
	running := map[string]bool{}
	var wg sync.WaitGroup
	defer wg.Wait()
	for ctx.Err() == nil {
		desc, err := p.describe(ctx)
		if err != nil {
			if ctx.Err() == nil {
				p.log.Warn("describe stream", "function", p.m.function, "err", err)
			}
			sleep(ctx, p.poll)
			continue
		}
		for _, sh := range desc.Shards {
			id := *sh.ShardId
			if running[id] || p.isDone(id) || (sh.ParentShardId != nil && !p.parentDone(desc.Shards, *sh.ParentShardId)) {
				continue
			}
			running[id] = true
			run := &shardRun{p: p, shard: id, hash: hashKey(desc.KeySchema)}
			wg.Add(1)
			go func() {
				defer wg.Done()
				if run.run(ctx) {
					p.mu.Lock()
					p.done[id] = true
					p.mu.Unlock()
				}
			}()
		}
		sleep(ctx, p.poll*5) // new shards are rare; records are read by the shards' own loops
	}
}

func hashKey(schema []types.KeySchemaElement) string {
	for _, k := range schema {
		if k.KeyType == types.KeyTypeHash {
			return *k.AttributeName
		}
	}
	return ""
}

func (p *Poller) isDone(shard string) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.done[shard]
}

func (p *Poller) parentDone(shards []types.Shard, parent string) bool {
	for _, s := range shards {
		if *s.ShardId == parent {
			return p.isDone(parent)
		}
	}
	return true // the parent has been trimmed
}

// describe returns the stream's key schema and all its shards.
func (p *Poller) describe(ctx context.Context) (types.StreamDescription, error) {
	var desc types.StreamDescription
	in := &dynamodbstreams.DescribeStreamInput{StreamArn: &p.m.streamARN}
	for {
		out, err := p.client.DescribeStream(ctx, in)
		if err != nil {
			return desc, err
		}
		desc.KeySchema = out.StreamDescription.KeySchema
		desc.Shards = append(desc.Shards, out.StreamDescription.Shards...)
		if out.StreamDescription.LastEvaluatedShardId == nil {
			return desc, nil
		}
		in.ExclusiveStartShardId = out.StreamDescription.LastEvaluatedShardId
	}
}

func (p *Poller) iterator(ctx context.Context, shard string) (*string, error) {
	in := &dynamodbstreams.GetShardIteratorInput{StreamArn: &p.m.streamARN, ShardId: &shard}
	p.mu.Lock()
	seq := p.checkpoints[shard]
	p.mu.Unlock()
	switch {
	case seq != "":
		in.ShardIteratorType, in.SequenceNumber = types.ShardIteratorTypeAfterSequenceNumber, &seq
	case p.m.startingPosition == "LATEST":
		in.ShardIteratorType = types.ShardIteratorTypeLatest
	default:
		in.ShardIteratorType = types.ShardIteratorTypeTrimHorizon
	}
	out, err := p.client.GetShardIterator(ctx, in)
	if err != nil {
		return nil, err
	}
	return out.ShardIterator, nil
}

func (p *Poller) matches(ev map[string]any) bool {
	if len(p.m.filters) == 0 {
		return true
	}
	// Filters see the record as JSON with numbers as json.Number.
	b, _ := json.Marshal(ev)
	for _, f := range p.m.filters {
		if f.Match(b) {
			return true
		}
	}
	return false
}

// deliver invokes the function with batch until it succeeds, retrying from
// the first reported failure, bisecting on function errors, and sending the
// batch to the dead-letter log after the last retry. It returns false only if
// the stack stopped.
func (p *Poller) deliver(ctx context.Context, shard string, batch []map[string]any, bisected bool) bool {
	pending := batch
	if p.lose.Load() {
		p.deadLetter(shard, pending, lambdart.InvokeResult{FunctionError: "Unhandled"}, p.m.maxRetries+1)
		return true
	}
	for retries := 0; ; retries++ {
		payload, _ := json.Marshal(map[string]any{"Records": pending})
		res, err := p.invoke(ctx, p.m.function, payload)
		if err != nil {
			return false
		}
		failedFrom, functionError := 0, res.FunctionError != ""
		if !functionError {
			failedFrom = p.firstFailure(res.Payload, pending)
			if failedFrom < 0 {
				return true
			}
			pending = pending[failedFrom:]
		}
		if functionError && p.m.bisect && len(pending) > 1 {
			half := len(pending) / 2
			return p.deliver(ctx, shard, pending[:half], true) && p.deliver(ctx, shard, pending[half:], true)
		}
		if p.m.maxRetries >= 0 && retries >= p.m.maxRetries {
			p.deadLetter(shard, pending, res, retries+1)
			return true
		}
		wait := p.backoff << min(retries, 5)
		if !sleep(ctx, wait) {
			return false
		}
	}
}

// firstFailure reads a partial batch response: -1 when every record
// succeeded, else the index from which to retry. An identifier that is not in
// the batch fails the whole batch, as Lambda does.
func (p *Poller) firstFailure(payload []byte, batch []map[string]any) int {
	if !p.m.reportItemFailures {
		return -1
	}
	var resp struct {
		BatchItemFailures []struct {
			ItemIdentifier *string `json:"itemIdentifier"`
		} `json:"batchItemFailures"`
	}
	if json.Unmarshal(payload, &resp) != nil || len(resp.BatchItemFailures) == 0 {
		return -1
	}
	first := len(batch)
	for _, f := range resp.BatchItemFailures {
		if f.ItemIdentifier == nil || *f.ItemIdentifier == "" {
			return 0
		}
		found := false
		for i, r := range batch {
			if r["dynamodb"].(map[string]any)["SequenceNumber"] == *f.ItemIdentifier {
				first, found = min(first, i), true
			}
		}
		if !found {
			return 0
		}
	}
	return first
}

func (p *Poller) checkpoint(shard, seq string) {
	p.mu.Lock()
	p.checkpoints[shard] = seq
	cp := make(map[string]string, len(p.checkpoints))
	for k, v := range p.checkpoints {
		cp[k] = v
	}
	p.mu.Unlock()
	if p.stateDir == "" {
		return
	}
	b, _ := json.Marshal(cp)
	path := p.checkpointPath()
	_ = os.MkdirAll(filepath.Dir(path), 0o755)
	tmp := path + ".tmp"
	if os.WriteFile(tmp, b, 0o644) == nil {
		_ = os.Rename(tmp, path)
	}
}

func (p *Poller) checkpointPath() string {
	return filepath.Join(p.stateDir, "streams", p.m.function+"."+p.m.event+".json")
}

func (p *Poller) loadCheckpoints() {
	if p.stateDir == "" {
		return
	}
	b, err := os.ReadFile(p.checkpointPath())
	if err == nil {
		_ = json.Unmarshal(b, &p.checkpoints)
	}
}

// deadLetter writes what Lambda sends to an OnFailure destination for a
// stream batch it gives up on after invokes invocations: the batch's position
// in the stream, not its records.
func (p *Poller) deadLetter(shard string, batch []map[string]any, res lambdart.InvokeResult, invokes int) {
	rec := p.onFailureRecord(shard, batch, res, invokes, time.Now())
	p.log.Error("stream batch sent to the on-failure destination", "function", p.m.function, "destination", p.m.destination,
		"shard", shard, "start", rec.DDBStreamBatchInfo.StartSequenceNumber, "records", len(batch))
	b, _ := json.Marshal(rec)
	if err := deadletter.Append(p.stateDir, p.m.function, b); err != nil {
		p.log.Error("dead letter not kept", "function", p.m.function, "err", err)
	}
}

// sleep waits d or until ctx ends; it reports whether ctx is still live.
func sleep(ctx context.Context, d time.Duration) bool { return backoff.Sleep(ctx, d) == nil }
