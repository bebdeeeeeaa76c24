package app

import (
	"context"
	"log/slog"
	"time"

	"github.com/schoolroster/rosterimport/internal/roster"
)

// SendJobStore is what sending all held invitations needs from storage.
type SendJobStore interface {
	CreateSendJob(ctx context.Context, j roster.SendJob) error
	// ClaimSendJob returns ECONFLICT unless the job is queued or held by claim.
	ClaimSendJob(ctx context.Context, schoolID, jobID, claim string, now time.Time) (roster.SendJob, error)
	// SendJobProgress moves the cursor and adds to sent while claim holds the job.
	SendJobProgress(ctx context.Context, schoolID, jobID, claim, cursor string, sent int, status roster.JobStatus, now time.Time) (roster.SendJob, error)
	// HeldInvitations pages through the school's held invitations by email.
	HeldInvitations(ctx context.Context, schoolID, after string, limit int) ([]roster.Member, string, error)
	SaveMember(ctx context.Context, c MemberChange) (roster.Member, error)
	GetMember(ctx context.Context, schoolID, email string) (roster.Member, error)
}

// SendJobs sends every held invitation of a school in the background: the
// request stores a queued job, and the table's stream hands it to a worker
// (the confirm function), which queues each held invitation's mail a page at
// a time and hands the job to a fresh invocation before its deadline.
type SendJobs struct {
	Store    SendJobStore
	Sealer   *roster.Sealer
	Now      func() time.Time
	NewID    func() string
	Log      *slog.Logger
	PageSize int           // invitations read at a time; default 100
	Reserve  time.Duration // time kept in hand before the deadline; default 20s
}

var _ SendJobStarter = (*SendJobs)(nil)

// StartSendJob stores a queued job to send the school's held invitations;
// the caller has been authorised.
// Errors: EINTERNAL.
func (j *SendJobs) StartSendJob(ctx context.Context, schoolID, requestedBy string) (roster.SendJob, error) {
	now := j.Now().UTC()
	job := roster.SendJob{SchoolID: schoolID, ID: j.NewID(), Status: roster.JobQueued, RequestedBy: requestedBy, CreatedAt: now, UpdatedAt: now}
	return job, j.Store.CreateSendJob(ctx, job)
}

// Queued runs a queued job for the stream record claim: a redelivery of the
// record resumes where a crashed attempt stopped (an invitation already
// queued is no longer held, so it is not sent twice).
// Errors: faults to retry.
func (j *SendJobs) Queued(ctx context.Context, schoolID, jobID, claim string) error {
	log := j.Log.With("schoolId", schoolID, "jobId", jobID)
	job, err := j.Store.ClaimSendJob(ctx, schoolID, jobID, claim, j.Now().UTC())
	if ok, err := claimed(log, "send job", err); !ok {
		return err
	}
	pageSize, reserve := j.PageSize, j.Reserve
	if pageSize <= 0 {
		pageSize = 100
	}
	if reserve <= 0 {
		reserve = 20 * time.Second
	}
	if deadline, ok := ctx.Deadline(); ok {
		reserve = min(reserve, time.Until(deadline)/4)
	}
	cursor := job.Cursor
	for {
		held, next, err := j.Store.HeldInvitations(ctx, schoolID, cursor, pageSize)
		if err != nil {
			return err
		}
		sent := 0
		for _, m := range held {
			ok, err := j.send(ctx, m, job.RequestedBy)
			if err != nil {
				return err
			}
			if ok {
				sent++
			}
		}
		status := roster.JobRunning
		switch {
		case next == "":
			status = roster.JobDone
		case timeLow(ctx, reserve):
			status = roster.JobQueued // a fresh invocation goes on
		}
		job, err = j.Store.SendJobProgress(ctx, schoolID, jobID, claim, next, sent, status, j.Now().UTC())
		if roster.ErrorCode(err) == roster.ECONFLICT {
			log.Info("send job was taken over; stopping")
			return nil
		}
		if err != nil {
			return err
		}
		if status != roster.JobRunning {
			log.Info("send job progress", "status", status, "sent", job.Sent)
			return nil
		}
		cursor = next
	}
}

// send queues one held invitation's mail; false when it is no longer held.
// A member changed since it was read is read again.
func (j *SendJobs) send(ctx context.Context, m roster.Member, by string) (bool, error) {
	for attempt := 0; attempt < 3; attempt++ {
		if m.Status != roster.StatusInvited || m.MailStatus != roster.MailHeld {
			return false, nil
		}
		now := j.Now().UTC()
		after := m
		queueMail(j.Sealer, &after, now)
		after.UpdatedAt, after.UpdatedBy = &now, by
		_, err := j.Store.SaveMember(ctx, MemberChange{Before: &m, After: after})
		if roster.ErrorCode(err) != roster.ECONFLICT {
			return err == nil, err
		}
		if m, err = j.Store.GetMember(ctx, m.SchoolID, m.Email); err != nil {
			return false, err
		}
	}
	return false, errKeptChanging
}
