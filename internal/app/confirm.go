package app

import (
	"bufio"
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strconv"
	"sync"
	"time"

	"github.com/schoolroster/rosterimport/internal/csvimport"
	"github.com/schoolroster/rosterimport/internal/roster"
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
	MemberStates(ctx context.Context, schoolID string, emails []string) (map[string]roster.MemberState, error)
}

// Confirmer applies confirmed imports.
type Confirmer struct {
	Store       ConfirmStore
	Files       ArtifactFiles
	Sealer      *roster.Sealer
	Now         func() time.Time
	ChunkSize   int           // rows counted together; default 100
	Concurrency int           // rows written at once; default 16
	Reserve     time.Duration // time kept in hand before the deadline; default 20s
	Log         *slog.Logger
}

func (c *Confirmer) defaults() {
	if c.ChunkSize <= 0 {
		c.ChunkSize = 100
	}
	if c.Concurrency <= 0 {
		c.Concurrency = 16
	}
	if c.Reserve <= 0 {
		c.Reserve = 20 * time.Second
	}
}

// Queued imports the valid rows of a queued import. claim identifies the
// stream record that delivered it: a redelivery of that record resumes where
// a crashed attempt stopped; a record for an import that has moved on is
// ignored. Each chunk of rows is written with create-if-absent puts and then
// counted once, so counts are exact across retries, crashes and duplicate
// deliveries. When ctx's deadline comes near, the import is handed to a fresh
// invocation (queued again) and Queued returns nil.
// Errors: faults to retry (the stream redelivers the record).
func (c *Confirmer) Queued(ctx context.Context, schoolID, importID, claim string) error {
	c.defaults()
	log := c.Log.With("schoolId", schoolID, "importId", importID)
	reserve := c.Reserve
	if deadline, ok := ctx.Deadline(); ok {
		// Never keep more than a quarter of the invocation in hand, so even a
		// short one imports something before handing off.
		reserve = min(reserve, time.Until(deadline)/4)
	}
	imp, err := c.Store.ClaimImport(ctx, schoolID, importID, claim, c.Now().UTC())
	switch roster.ErrorCode(err) {
	case "":
	case roster.ENOTFOUND:
		log.Warn("queued import not found; ignored")
		return nil
	case roster.ECONFLICT:
		log.Info("import is not queued for this record (duplicate or stale); ignored")
		return nil
	default:
		return err
	}
	done := map[string]bool{}
	for _, ch := range imp.ChunksDone {
		done[ch] = true
	}
	storedFailures := len(imp.Failures)
	worked := 0 // chunks this invocation imported: at least one before any hand-off
	stop := errors.New("stop")
	var stopWith error
	// Valid rows stream from the rows file a chunk at a time, so memory does
	// not grow with the file; chunk k is the k-th run of ChunkSize valid rows.
	runChunk := func(k int, part []roster.PreviewRow) error {
		if done[strconv.Itoa(k)] {
			return nil
		}
		if worked > 0 && timeLow(ctx, reserve) {
			stopWith = c.handOff(ctx, log, imp, claim, k)
			return stop
		}
		outcome, err := c.importChunk(ctx, imp, part)
		if err != nil {
			return err
		}
		outcome.Chunk = k
		applied, err := c.Store.ApplyChunk(ctx, schoolID, importID, claim, outcome, storedFailures, c.Now().UTC())
		if roster.ErrorCode(err) == roster.ECONFLICT {
			log.Info("import was taken over; stopping")
			return stop
		}
		if err != nil {
			return err
		}
		if applied {
			storedFailures += len(outcome.Failures)
		}
		worked++
		return nil
	}
	chunks := 0
	part := make([]roster.PreviewRow, 0, c.ChunkSize)
	err = c.eachRow(ctx, imp, func(r roster.PreviewRow) error {
		if r.Status != string(csvimport.StatusValid) {
			return nil
		}
		if part = append(part, r); len(part) == c.ChunkSize {
			err := runChunk(chunks, part)
			chunks, part = chunks+1, part[:0]
			return err
		}
		return nil
	})
	if err == nil && len(part) > 0 {
		err = runChunk(chunks, part)
		chunks++
	}
	switch {
	case err == stop:
		return stopWith
	case roster.ErrorCode(err) == roster.ENOTFOUND:
		_, ferr := c.Store.FailImport(ctx, schoolID, importID, claim, "The checked rows of this import are no longer available; upload the file again.",
			[]roster.ImportStatus{roster.ImportImporting}, c.Now().UTC())
		return ferr
	case err != nil:
		return err
	}
	if timeLow(ctx, reserve) {
		return c.handOff(ctx, log, imp, claim, chunks)
	}
	return c.finish(ctx, log, imp, claim)
}

func timeLow(ctx context.Context, reserve time.Duration) bool {
	deadline, ok := ctx.Deadline()
	return ok && time.Until(deadline) < reserve
}

func (c *Confirmer) handOff(ctx context.Context, log *slog.Logger, imp roster.Import, claim string, next int) error {
	_, err := c.Store.RequeueImport(ctx, imp.SchoolID, imp.ID, claim, c.Now().UTC())
	if roster.ErrorCode(err) == roster.ECONFLICT {
		return nil
	}
	if err == nil {
		log.Info("time is running low; import handed to a fresh invocation", "nextChunk", next)
	}
	return err
}

// eachRow streams the import's rows file.
func (c *Confirmer) eachRow(ctx context.Context, imp roster.Import, fn func(roster.PreviewRow) error) error {
	key := imp.Artifacts["rows"]
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
		if err := fn(r); err != nil {
			return err
		}
	}
}

// importChunk writes the invitations of one chunk, Concurrency at a time, and
// returns what happened to each row.
func (c *Confirmer) importChunk(ctx context.Context, imp roster.Import, rows []roster.PreviewRow) (roster.ChunkOutcome, error) {
	out := roster.ChunkOutcome{Rows: len(rows), Groups: map[string]int{}, Failures: map[int]string{}}
	var mu sync.Mutex
	var firstErr error
	sem := make(chan struct{}, c.Concurrency)
	var wg sync.WaitGroup
	for _, r := range rows {
		sem <- struct{}{}
		wg.Add(1)
		go func() {
			defer func() { <-sem; wg.Done() }()
			res, err := c.importRow(ctx, imp, r)
			mu.Lock()
			defer mu.Unlock()
			switch {
			case err != nil && roster.ErrorCode(err) == roster.EINVALID:
				out.Failed++
				out.Failures[r.Row] = roster.ErrorMessage(err)
			case err != nil:
				if firstErr == nil {
					firstErr = err
				}
			case res == rowCreated:
				out.Created++
				out.Groups[r.Group]++
			case res == rowMember:
				out.SkippedMember++
			case res == rowInvited:
				out.SkippedInvited++
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
)

// importRow invites one person. A user this import created in an earlier
// attempt counts as created; anyone else already there is skipped.
func (c *Confirmer) importRow(ctx context.Context, imp roster.Import, r roster.PreviewRow) (rowResult, error) {
	token, hash := roster.NewInvitationToken()
	inv := roster.Invitation{
		SchoolID: imp.SchoolID, Email: r.Email, FirstName: r.FirstName, LastName: r.LastName, Group: r.Group,
		InvitedBy: imp.ConfirmedBy, InvitedByImport: imp.ID, TokenHash: hash, MailStatus: roster.MailHeld,
		InvitedAt: c.Now().UTC(),
	}
	if imp.SendInvitations {
		inv.MailStatus = roster.MailQueued
		inv.SealedToken = c.Sealer.Seal(token, imp.SchoolID, r.Email)
	}
	for attempt := 0; attempt < 3; attempt++ {
		created, state, err := c.Store.CreateInvitation(ctx, inv)
		if err != nil || created {
			return rowCreated, err
		}
		switch {
		case state.InvitedByImport == imp.ID:
			// Written by an earlier attempt of this import (and perhaps
			// accepted since): it is this import's invitation.
			return rowCreated, nil
		case state.Status == roster.StatusActive:
			return rowMember, nil
		case state.Status == roster.StatusInvited:
			return rowInvited, nil
		case state.Status == roster.StatusRemoved:
			ok, err := c.Store.ReinviteRemoved(ctx, inv)
			if err != nil || ok {
				return rowCreated, err
			}
		}
		// The user changed under us (removed, deleted): look again.
	}
	return 0, roster.Errorf(roster.EINVALID, "The user kept changing while being imported.")
}

// finish writes the results file and ends the import.
func (c *Confirmer) finish(ctx context.Context, log *slog.Logger, imp roster.Import, claim string) error {
	latest, err := c.Store.GetImport(ctx, imp.SchoolID, imp.ID)
	if err != nil {
		return err
	}
	key := artifactKey(imp.SchoolID, imp.ID, "results.csv")
	if err := c.writeResults(ctx, latest, key); err != nil {
		return err
	}
	status := roster.ImportCompleted
	if latest.Results.Failed > 0 {
		status = roster.ImportCompletedWithErrors
	}
	done, err := c.Store.CompleteImport(ctx, imp.SchoolID, imp.ID, claim, status, key, c.Now().UTC())
	if roster.ErrorCode(err) == roster.ECONFLICT {
		return nil
	}
	if err == nil {
		log.Info("import completed", "status", done.Status, "created", done.Results.Created,
			"skippedMember", done.Results.SkippedMember, "skippedInvited", done.Results.SkippedInvited, "failed", done.Results.Failed)
	}
	return err
}

// writeResults writes every row's outcome: created, skipped and why, failed
// and why, or the preview's error. Whether a valid row was created is read
// from the users themselves, so the file is right after any retry.
func (c *Confirmer) writeResults(ctx context.Context, imp roster.Import, key string) error {
	w := c.Files.Create(ctx, key, "text/csv; charset=utf-8")
	cw := csv.NewWriter(w)
	cw.UseCRLF = true
	if _, err := io.WriteString(w, "\uFEFF"); err != nil {
		w.Abort()
		return err
	}
	_ = cw.Write([]string{"row", "email", "first_name", "last_name", "group", "outcome", "detail"})
	var batch []roster.PreviewRow
	flush := func() error {
		var emails []string
		for _, r := range batch {
			if r.Status == string(csvimport.StatusValid) {
				emails = append(emails, r.Email)
			}
		}
		states := map[string]roster.MemberState{}
		if len(emails) > 0 {
			var err error
			if states, err = c.Store.MemberStates(ctx, imp.SchoolID, emails); err != nil {
				return err
			}
		}
		for _, r := range batch {
			outcome, detail := rowOutcome(imp, r, states)
			rec := []string{strconv.Itoa(r.Row), r.Email, r.FirstName, r.LastName, r.Group, outcome, detail}
			for i := range rec {
				rec[i] = csvimport.SafeCell(rec[i])
			}
			if err := cw.Write(rec); err != nil {
				return err
			}
		}
		batch = batch[:0]
		return nil
	}
	err := c.eachRow(ctx, imp, func(r roster.PreviewRow) error {
		batch = append(batch, r)
		if len(batch) == 100 {
			return flush()
		}
		return nil
	})
	if err == nil {
		err = flush()
	}
	if err == nil {
		cw.Flush()
		err = cw.Error()
	}
	if err != nil {
		w.Abort()
		return err
	}
	return w.Close()
}

func rowOutcome(imp roster.Import, r roster.PreviewRow, states map[string]roster.MemberState) (outcome, detail string) {
	switch r.Status {
	case string(csvimport.StatusInvalid):
		return "invalid", r.Error
	case string(csvimport.StatusSkipped):
		return "skipped", r.Reason
	}
	st, ok := states[r.Email]
	switch {
	case ok && st.InvitedByImport == imp.ID:
		if imp.SendInvitations {
			return "created", "Invitation created and queued for sending"
		}
		return "created", "Invitation created and held (not sent)"
	case ok && st.Status == roster.StatusActive:
		return "skipped", csvimport.ReasonAlreadyMember
	case ok && st.Status == roster.StatusInvited:
		return "skipped", csvimport.ReasonAlreadyInvited
	}
	if reason, ok := imp.Failures[r.Row]; ok {
		return "failed", reason
	}
	return "failed", "The invitation could not be created."
}
