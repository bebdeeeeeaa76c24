package app

import (
	"bufio"
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"sync"
	"time"

	"github.com/schoolroster/rosterimport/internal/roster"
	"golang.org/x/time/rate"
)

// ConfirmStore is what confirming an import needs from storage.
type ConfirmStore interface {
	// ClaimImport returns ECONFLICT unless the import is queued or held by claim.
	ClaimImport(ctx context.Context, schoolID, importID, claim string, now time.Time) (roster.Import, error)
	GetImport(ctx context.Context, schoolID, importID string) (roster.Import, error)
	RequeueImport(ctx context.Context, schoolID, importID, claim string, now time.Time) (roster.Import, error)
	CompleteImport(ctx context.Context, schoolID, importID, claim string, status roster.ImportStatus, resultsKey string, now time.Time) (roster.Import, error)
	FailImport(ctx context.Context, schoolID, importID, claim, reason string, from []roster.ImportStatus, now time.Time) (roster.Import, error)
	// ApplyChunk counts a chunk's outcome once and reports whether this call did.
	ApplyChunk(ctx context.Context, schoolID, importID, claim string, o roster.ChunkOutcome, storedFailures int, now time.Time) (bool, error)
	// CreateInvitation returns false and the existing user's state when the email is taken.
	CreateInvitation(ctx context.Context, inv roster.Invitation) (bool, roster.MemberState, error)
	ReinviteRemoved(ctx context.Context, inv roster.Invitation) (bool, error)
	// MemberStates reads consistently when asked.
	MemberStates(ctx context.Context, schoolID string, emails []string, consistent bool) (map[string]roster.MemberState, error)
	// GetMember returns ENOTFOUND when the email is no user of the school.
	GetMember(ctx context.Context, schoolID, email string) (roster.Member, error)
	// SaveMember returns ECONFLICT when the member changed since Before was
	// read, EINVALID when its id is another user's or a group is gone.
	SaveMember(ctx context.Context, c MemberChange) (roster.Member, error)
	ListGroups(ctx context.Context, schoolID string) ([]roster.Group, error)
	// Relationships returns the links among pairs, read consistently when asked.
	Relationships(ctx context.Context, schoolID string, pairs []roster.Pair, consistent bool) (map[roster.Pair]roster.Relationship, error)
	// SaveRelationship returns ECONFLICT when the pair changed since was was read.
	SaveRelationship(ctx context.Context, was *roster.Relationship, r roster.Relationship) error
}

// Confirmer applies confirmed imports.
type Confirmer struct {
	Store       ConfirmStore
	Files       ArtifactFiles
	Sealer      *roster.Sealer
	Now         func() time.Time
	ChunkSize   int // rows counted together; default 100
	Concurrency int // rows written at once; default 16
	// WriteRate paces an import's rows (rows a second; default 500): a
	// school's items share one partition, which takes about 1,000 writes a
	// second, so one import leaves room for the school's other work and
	// does not turn a burst into throttling.
	WriteRate float64
	Reserve   time.Duration // time kept in hand before the deadline; default 20s
	// Slice is how long one invocation works on an import before it queues
	// the import again (default 1s). Imports of schools that share a stream
	// lane so take turns: a school's import of 20 rows waits for a few
	// slices of the schools ahead of it, never for their whole imports.
	Slice time.Duration
	Log   *slog.Logger
}

func (c *Confirmer) defaults() {
	if c.ChunkSize <= 0 {
		c.ChunkSize = 100
	}
	if c.Concurrency <= 0 {
		c.Concurrency = 16
	}
	if c.WriteRate <= 0 {
		c.WriteRate = 500
	}
	if c.Reserve <= 0 {
		c.Reserve = 20 * time.Second
	}
	if c.Slice <= 0 {
		c.Slice = time.Second
	}
}

// Queued imports the valid rows of a queued import. claim identifies the
// stream record that delivered it: a redelivery of that record resumes where
// a crashed attempt stopped; a record for an import that has moved on is
// ignored. Each chunk of rows is written with create-if-absent puts and then
// counted once, so counts are exact across retries, crashes and duplicate
// deliveries. After a Slice of work, or when ctx's deadline comes near, the
// import is handed to a fresh invocation (queued again, behind the work
// already in its stream lane) and Queued returns nil.
// Errors: faults to retry (the stream redelivers the record).
func (c *Confirmer) Queued(ctx context.Context, schoolID, importID, claim string) error {
	c.defaults()
	log := c.Log.With("schoolId", schoolID, "importId", importID)
	imp, err := c.Store.ClaimImport(ctx, schoolID, importID, claim, c.Now().UTC())
	if ok, err := claimed(log, "queued import", err); !ok {
		return err
	}
	groups, err := c.Store.ListGroups(ctx, schoolID)
	if err != nil {
		return err
	}
	run := newConfirmRun(ctx, c, log, imp, claim, groups)
	// Valid rows stream from the rows file a chunk at a time, so memory does
	// not grow with the file; chunk k is the k-th run of ChunkSize valid rows.
	err = c.eachRow(ctx, imp, run.add)
	if err == nil {
		err = run.flush(ctx)
	}
	if err == nil && imp.Kind == roster.KindUsers {
		// The parent links, once every user of the file is written.
		run.links, run.chunks = true, 0
		if err = c.eachRow(ctx, imp, run.add); err == nil {
			err = run.flush(ctx)
		}
	}
	switch {
	case errors.Is(err, errStopped):
		return run.stopErr
	case roster.ErrorCode(err) == roster.ENOTFOUND:
		_, ferr := c.Store.FailImport(ctx, schoolID, importID, claim, "The checked rows of this import are no longer available; upload the file again.",
			[]roster.ImportStatus{roster.ImportImporting}, c.Now().UTC())
		return ferr
	case err != nil:
		return err
	}
	if timeLow(ctx, run.reserve) {
		return run.handOff(ctx, run.chunks)
	}
	return c.finish(ctx, log, imp, claim)
}

// claimed sorts out the answer to a claim on an import: go on (true), or
// stop because the event is for an unknown import or one that has moved past
// it, a duplicate or stale delivery (false, logged), or because of a fault
// to retry (false and the error).
func claimed(log *slog.Logger, what string, err error) (bool, error) {
	switch roster.ErrorCode(err) {
	case "":
		return true, nil
	case roster.ENOTFOUND:
		log.Warn(what + " not found; ignored")
		return false, nil
	case roster.ECONFLICT:
		log.Info(what + " is past this event (duplicate or stale); ignored")
		return false, nil
	}
	return false, err
}

// errStopped ends the walk through the rows file when a run stops early: it
// handed the import off, or another claim took it over.
var errStopped = errors.New("confirm run stopped")

// confirmRun is one invocation's work on one claimed import: it gathers the
// valid rows into chunks and imports each chunk not counted before.
type confirmRun struct {
	c        *Confirmer
	log      *slog.Logger
	imp      roster.Import
	claim    string
	reserve  time.Duration // time kept in hand before the deadline
	sliceEnd time.Time     // when the run gives the lane to the schools behind it

	groupIDs       map[string]string // group name (GroupKey) -> id
	done           map[string]bool   // chunks counted by earlier attempts
	storedFailures int               // failure reasons already on the import
	worked         int               // chunks this run imported: at least one before any hand-off
	pace           *rate.Limiter     // rows a second, Confirmer.WriteRate
	chunks         int               // chunks seen so far
	links          bool              // users: the second pass, over the parent links
	part           []roster.PreviewRow
	stopErr        error // what Queued returns after errStopped
}

func newConfirmRun(ctx context.Context, c *Confirmer, log *slog.Logger, imp roster.Import, claim string, groups []roster.Group) *confirmRun {
	reserve := c.Reserve
	if deadline, ok := ctx.Deadline(); ok {
		// Never keep more than a quarter of the invocation in hand, so even a
		// short one imports something before handing off.
		reserve = min(reserve, time.Until(deadline)/4)
	}
	run := &confirmRun{c: c, log: log, imp: imp, claim: claim, reserve: reserve, sliceEnd: c.Now().Add(c.Slice), done: map[string]bool{},
		storedFailures: len(imp.Failures), part: make([]roster.PreviewRow, 0, c.ChunkSize), groupIDs: map[string]string{},
		pace: rate.NewLimiter(rate.Limit(c.WriteRate), c.Concurrency)}
	for _, ch := range imp.ChunksDone {
		run.done[ch] = true
	}
	for _, g := range groups {
		run.groupIDs[roster.GroupKey(g.Name)] = g.ID
	}
	return run
}

// add takes the next row of the rows file; a full chunk is imported.
func (r *confirmRun) add(ctx context.Context, row roster.PreviewRow) error {
	if isLink(r.imp.Kind, row) != r.links || !imported(r.imp, row) {
		return nil
	}
	if r.part = append(r.part, row); len(r.part) == r.c.ChunkSize {
		return r.flush(ctx)
	}
	return nil
}

// flush imports the chunk gathered so far, if any.
func (r *confirmRun) flush(ctx context.Context) error {
	if len(r.part) == 0 {
		return nil
	}
	err := r.chunk(ctx, r.chunks, r.part)
	r.chunks, r.part = r.chunks+1, r.part[:0]
	return err
}

// chunk imports chunk k unless an earlier attempt counted it, and counts it.
func (r *confirmRun) chunk(ctx context.Context, k int, rows []roster.PreviewRow) error {
	if r.done[roster.ChunkKey(k, r.links)] {
		return nil
	}
	if r.worked > 0 && (timeLow(ctx, r.reserve) || !r.c.Now().Before(r.sliceEnd)) {
		r.stopErr = r.handOff(ctx, k)
		return errStopped
	}
	outcome, err := r.importChunk(ctx, rows)
	if err != nil {
		return err
	}
	outcome.Chunk, outcome.LinkPass = k, r.links
	applied, err := r.c.Store.ApplyChunk(ctx, r.imp.SchoolID, r.imp.ID, r.claim, outcome, r.storedFailures, r.c.Now().UTC())
	if roster.ErrorCode(err) == roster.ECONFLICT {
		r.log.Info("import was taken over; stopping")
		return errStopped
	}
	if err != nil {
		return err
	}
	if applied {
		r.storedFailures += len(outcome.Failures)
	}
	r.worked++
	return nil
}

// handOff queues the import again for a fresh invocation, next being the
// first chunk it has left to do.
func (r *confirmRun) handOff(ctx context.Context, next int) error {
	_, err := r.c.Store.RequeueImport(ctx, r.imp.SchoolID, r.imp.ID, r.claim, r.c.Now().UTC())
	if roster.ErrorCode(err) == roster.ECONFLICT {
		return nil
	}
	if err == nil {
		r.log.Info("import queued again for its next slice", "nextChunk", next, "timeLow", timeLow(ctx, r.reserve))
	}
	return err
}

func timeLow(ctx context.Context, reserve time.Duration) bool {
	deadline, ok := ctx.Deadline()
	return ok && time.Until(deadline) < reserve
}

// eachRow streams the import's rows file.
// Errors: ENOTFOUND when the file is gone; what fn returns; EINTERNAL.
func (c *Confirmer) eachRow(ctx context.Context, imp roster.Import, fn func(context.Context, roster.PreviewRow) error) error {
	key := imp.Artifacts[roster.ArtifactRows]
	if key == "" {
		return roster.Errorf(roster.ENOTFOUND, "The import has no rows file.")
	}
	body, _, err := c.Files.Open(ctx, key)
	if err != nil {
		return err
	}
	defer body.Close()
	dec := json.NewDecoder(bufio.NewReader(body))
	for {
		var r roster.PreviewRow
		if err := dec.Decode(&r); err == io.EOF {
			return nil
		} else if err != nil {
			return roster.Internal(fmt.Errorf("read rows file: %w", err))
		}
		if err := fn(ctx, r); err != nil {
			return err
		}
	}
}

// importChunk writes the invitations of one chunk, Concurrency at a time, and
// returns what happened to each row.
func (r *confirmRun) importChunk(ctx context.Context, rows []roster.PreviewRow) (roster.ChunkOutcome, error) {
	out := roster.ChunkOutcome{Rows: len(rows), Groups: map[string]int{}, Failures: map[int]string{}}
	var links map[roster.Pair]roster.Relationship
	var people map[string]roster.MemberState // users' links: who is in the school now
	if r.imp.Kind == roster.KindRelationships || r.links {
		var err error
		if links, err = r.c.Store.Relationships(ctx, r.imp.SchoolID, pairsOf(rows), true); err != nil {
			return out, err
		}
	}
	if r.links {
		var err error
		if people, err = r.c.Store.MemberStates(ctx, r.imp.SchoolID, peopleOf(rows), true); err != nil {
			return out, err
		}
	}
	var mu sync.Mutex
	var firstErr error
	sem := make(chan struct{}, r.c.Concurrency)
	var wg sync.WaitGroup
	for _, row := range rows {
		if err := r.pace.Wait(ctx); err != nil {
			mu.Lock()
			firstErr = cmp.Or(firstErr, err)
			mu.Unlock()
			break
		}
		sem <- struct{}{}
		wg.Add(1)
		go func() {
			defer func() { <-sem; wg.Done() }()
			var groupIDs []string
			var res rowResult
			var err error
			switch {
			case r.links:
				res, err = r.importParentLink(ctx, row, links, people)
			case r.imp.Kind == roster.KindRelationships:
				res, err = r.importLink(ctx, row, links)
			default:
				groupIDs, res, err = r.importRow(ctx, row)
			}
			mu.Lock()
			defer mu.Unlock()
			if err != nil && roster.ErrorCode(err) != roster.EINVALID {
				firstErr = cmp.Or(firstErr, err)
				return
			}
			if r.links {
				countLink(&out.Links, res, err)
				return
			}
			switch {
			case err != nil:
				out.Failed++
				out.Failures[row.Row] = roster.ErrorMessage(err)
			case res == rowCreated:
				out.Created++
				for _, g := range groupIDs { // users join groups; links do not
					out.Groups[g]++
				}
			case res == rowMember:
				out.SkippedMember++
			case res == rowInvited:
				out.SkippedInvited++
			case res == rowUpdated:
				out.Updated++
			case res == rowUnchanged:
				out.Unchanged++
			case res == rowRemoved:
				out.SkippedRemoved++
			}
		}()
	}
	wg.Wait()
	return out, firstErr
}

type rowResult int

const (
	rowCreated rowResult = iota
	rowMember
	rowInvited
	rowUpdated   // a relationship given a new type; a user given new values
	rowUnchanged // a relationship that was there already; a user as the file has them
	rowRemoved   // a removed user an update leaves removed
)
