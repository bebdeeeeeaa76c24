package app

import (
	"context"
	"errors"
	"log/slog"
	"time"

	"github.com/schoolroster/rosterimport/internal/roster"
)

// SweepStore is what the sweeper needs from storage: the waiting work past
// its bound, and moves that each hold only while the item is as found.
type SweepStore interface {
	DueWork(ctx context.Context, shard int, now time.Time, limit int) ([]roster.DueItem, error)
	RequeueMail(ctx context.Context, d roster.DueItem, count bool, now time.Time) (bool, error)
	FailStuckMail(ctx context.Context, d roster.DueItem, reason string) (bool, error)
	RequeueStuckImport(ctx context.Context, d roster.DueItem, now time.Time) (roster.Import, error)
	FailStuckImport(ctx context.Context, d roster.DueItem, reason string, now time.Time) (roster.Import, error)
}

// Sweeper re-drives work whose event was lost or whose worker died, on a
// schedule: invitation mail queued or claimed past its bound is queued
// again (failed with a reason after roster.MaxRedrives), deferred mail whose
// time has come is queued again, a preview that will not finish fails with
// a reason, and a stalled import resumes (or fails after MaxRedrives).
type Sweeper struct {
	Store  SweepStore
	Shards int // GSI3 partitions to read
	Limit  int // items a partition per run; the next run takes the rest (default 1,000)
	Log    *slog.Logger
}

// SweepReport counts what one sweep did.
type SweepReport struct {
	MailRequeued   int `json:"mailRequeued"`   // lost or stuck mail queued again
	MailResumed    int `json:"mailResumed"`    // deferred mail whose time came
	MailFailed     int `json:"mailFailed"`     // re-driven too often
	ImportsResumed int `json:"importsResumed"` // stalled imports queued again
	ImportsFailed  int `json:"importsFailed"`  // previews that will not finish, imports that will not resume
	MovedOn        int `json:"movedOn"`        // found due, but changed before the sweeper acted
}

// Reasons the sweeper gives.
const (
	msgMailGaveUp        = "The invitation could not be sent after several attempts; resend it."
	msgPreviewTimedOut   = "Checking the file did not finish; upload it again."
	msgImportWouldNotRun = "The import stopped and could not be resumed. The rows imported so far are kept; upload the file again to import the rest."
)

// Sweep handles the work due by now.
// Errors: the storage faults met, joined; the other items are still handled.
func (s *Sweeper) Sweep(ctx context.Context, now time.Time) (SweepReport, error) {
	limit := s.Limit
	if limit <= 0 {
		limit = 1000
	}
	var rep SweepReport
	var errs []error
	for shard := range s.Shards {
		items, err := s.Store.DueWork(ctx, shard, now, limit)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		for _, d := range items {
			if err := s.handle(ctx, d, now, &rep); err != nil {
				errs = append(errs, err)
			}
		}
	}
	s.Log.Info("sweep done", "report", rep)
	return rep, errors.Join(errs...)
}

func (s *Sweeper) handle(ctx context.Context, d roster.DueItem, now time.Time, rep *SweepReport) error {
	if d.Email != "" {
		return s.mail(ctx, d, now, rep)
	}
	return s.importItem(ctx, d, now, rep)
}

func (s *Sweeper) mail(ctx context.Context, d roster.DueItem, now time.Time, rep *SweepReport) error {
	log := s.Log.With("schoolId", d.SchoolID, "mailStatus", d.Status, "redrives", d.Redrives)
	var ok bool
	var err error
	switch {
	case roster.MailStatus(d.Status) == roster.MailDeferred:
		if ok, err = s.Store.RequeueMail(ctx, d, false, now); ok {
			rep.MailResumed++
		}
	case d.Redrives >= roster.MaxRedrives:
		if ok, err = s.Store.FailStuckMail(ctx, d, msgMailGaveUp); ok {
			log.Warn("invitation mail failed after re-drives")
			rep.MailFailed++
		}
	default:
		// Queued past its bound: its stream record was lost. Claimed past
		// its bound: its worker died, before or after SES took it.
		if ok, err = s.Store.RequeueMail(ctx, d, true, now); ok {
			log.Warn("invitation mail re-driven")
			rep.MailRequeued++
		}
	}
	if err == nil && !ok {
		rep.MovedOn++
	}
	return err
}

func (s *Sweeper) importItem(ctx context.Context, d roster.DueItem, now time.Time, rep *SweepReport) error {
	log := s.Log.With("schoolId", d.SchoolID, "importId", d.ImportID, "status", d.Status, "redrives", d.Redrives)
	var err error
	switch {
	case roster.ImportStatus(d.Status) == roster.ImportValidating:
		_, err = s.Store.FailStuckImport(ctx, d, msgPreviewTimedOut, now)
		if err == nil {
			log.Warn("preview did not finish; import failed")
			rep.ImportsFailed++
		}
	case d.Redrives >= roster.MaxRedrives:
		_, err = s.Store.FailStuckImport(ctx, d, msgImportWouldNotRun, now)
		if err == nil {
			log.Warn("import would not resume; failed")
			rep.ImportsFailed++
		}
	default:
		_, err = s.Store.RequeueStuckImport(ctx, d, now)
		if err == nil {
			log.Warn("stalled import re-driven")
			rep.ImportsResumed++
		}
	}
	switch roster.ErrorCode(err) {
	case roster.ECONFLICT, roster.ENOTFOUND:
		rep.MovedOn++
		return nil
	}
	return err
}
