package streams

import (
	"context"
	"errors"
	"hash/fnv"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodbstreams"
	"github.com/aws/aws-sdk-go-v2/service/dynamodbstreams/types"
)

// shardRun reads one shard and delivers its matching records through the
// mapping's ParallelizationFactor lanes, as Lambda does: records of one
// partition key always go to the same lane, in order, and each lane makes
// its own batches, so a slow batch holds up only its own lane. The shard's
// checkpoint is the last record before the first one not yet handled.
type shardRun struct {
	p     *Poller
	shard string
	hash  string // the table's partition key attribute

	mu      sync.Mutex
	cond    *sync.Cond
	pending []*entry // read and not yet checkpointed, in stream order
	stopped bool     // a lane saw the stack stop
}

// entry is one record read from the shard.
type entry struct {
	seq    string
	record map[string]any // nil when the mapping's filters drop it
	done   bool
}

// maxPending bounds what a shard holds in memory: reading waits while this
// many records are read and not yet handled.
const maxPending = 20_000

// run reads the shard to its end or until ctx ends; it reports whether the
// shard was read to its end.
func (s *shardRun) run(ctx context.Context) bool {
	s.cond = sync.NewCond(&s.mu)
	lanes := make([]chan *entry, s.p.m.parallelization)
	var wg sync.WaitGroup
	for i := range lanes {
		lanes[i] = make(chan *entry, maxPending)
		wg.Add(1)
		go func() {
			defer wg.Done()
			s.lane(ctx, lanes[i])
		}()
	}
	end := s.read(ctx, lanes)
	for _, l := range lanes {
		close(l)
	}
	wg.Wait()
	return end && !s.isStopped()
}

// read pulls the shard's records into the lanes; it reports whether the
// shard ended (closed and read through).
func (s *shardRun) read(ctx context.Context, lanes []chan *entry) bool {
	var it *string
	for ctx.Err() == nil && !s.isStopped() {
		if it == nil {
			var err error
			if it, err = s.p.iterator(ctx, s.shard); err != nil {
				s.p.log.Warn("shard iterator", "function", s.p.m.function, "shard", s.shard, "err", err)
				sleep(ctx, s.p.poll)
				continue
			}
		}
		out, err := s.p.client.GetRecords(ctx, &dynamodbstreams.GetRecordsInput{ShardIterator: it, Limit: aws.Int32(1000)})
		if err != nil {
			var expired *types.ExpiredIteratorException
			if !errors.As(err, &expired) && ctx.Err() == nil {
				s.p.log.Warn("get records", "function", s.p.m.function, "shard", s.shard, "err", err)
			}
			// A fresh iterator starts after the last record checkpointed:
			// let the lanes finish what they hold, so nothing comes twice.
			s.waitIdle(ctx)
			it = nil
			sleep(ctx, s.p.poll)
			continue
		}
		for _, r := range out.Records {
			e := &entry{seq: *r.Dynamodb.SequenceNumber}
			if ev := s.p.lambdaRecord(r); s.p.matches(ev) {
				e.record = ev
			} else {
				e.done = true
			}
			if !s.add(ctx, e) {
				return false
			}
			if e.record != nil {
				lanes[s.laneOf(r)] <- e
			}
		}
		s.advance()
		if it = out.NextShardIterator; it == nil {
			return true
		}
		if len(out.Records) == 0 {
			sleep(ctx, s.p.poll)
		}
	}
	return false
}

// laneOf picks a record's lane from its partition key; a record without a
// string key goes to lane 0.
func (s *shardRun) laneOf(r types.Record) int {
	if v, ok := r.Dynamodb.Keys[s.hash].(*types.AttributeValueMemberS); ok {
		h := fnv.New32a()
		_, _ = h.Write([]byte(v.Value))
		return int(h.Sum32() % uint32(s.p.m.parallelization))
	}
	return 0
}

// add appends a record read, waiting while too many are pending.
func (s *shardRun) add(ctx context.Context, e *entry) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	for len(s.pending) >= maxPending && !s.stopped && ctx.Err() == nil {
		s.cond.Wait()
	}
	if s.stopped || ctx.Err() != nil {
		return false
	}
	s.pending = append(s.pending, e)
	return true
}

// waitIdle waits until every record read has been handled.
func (s *shardRun) waitIdle(ctx context.Context) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for len(s.pending) > 0 && !s.stopped && ctx.Err() == nil {
		s.cond.Wait()
	}
}

// lane delivers its records in batches of what is waiting, up to BatchSize.
func (s *shardRun) lane(ctx context.Context, in <-chan *entry) {
	for e := range in {
		batch := []*entry{e}
	fill:
		for len(batch) < s.p.m.batchSize {
			select {
			case next, ok := <-in:
				if !ok {
					break fill
				}
				batch = append(batch, next)
			default:
				break fill
			}
		}
		if s.isStopped() {
			continue // drain; the checkpoint says where to resume
		}
		records := make([]map[string]any, len(batch))
		for i, b := range batch {
			records[i] = b.record
		}
		if !s.p.deliver(ctx, s.shard, records, false) {
			s.stop()
			continue
		}
		s.mu.Lock()
		for _, b := range batch {
			b.done = true
		}
		s.mu.Unlock()
		s.advance()
	}
}

// advance checkpoints the last record of the handled prefix of pending.
func (s *shardRun) advance() {
	s.mu.Lock()
	k := 0
	for k < len(s.pending) && s.pending[k].done {
		k++
	}
	var seq string
	if k > 0 {
		seq = s.pending[k-1].seq
		s.pending = append(s.pending[:0:0], s.pending[k:]...)
		s.cond.Broadcast()
	}
	s.mu.Unlock()
	if seq != "" {
		s.p.checkpoint(s.shard, seq)
	}
}

func (s *shardRun) stop() {
	s.mu.Lock()
	s.stopped = true
	s.cond.Broadcast()
	s.mu.Unlock()
}

func (s *shardRun) isStopped() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.stopped
}
