package app

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"time"

	"github.com/schoolroster/rosterimport/internal/csvimport"
	"github.com/schoolroster/rosterimport/internal/roster"
)

// ExportStore is what exporting a school's users needs from storage.
type ExportStore interface {
	MemberGetter
	GetSchool(ctx context.Context, schoolID string) (roster.School, error)
	ListGroups(ctx context.Context, schoolID string) ([]roster.Group, error)
	CreateExport(ctx context.Context, e roster.Export) error
	// GetExport returns ENOTFOUND for an id that is not one of the school's exports.
	GetExport(ctx context.Context, schoolID, exportID string) (roster.Export, error)
	// LatestExport returns the school's newest export, if it has one.
	LatestExport(ctx context.Context, schoolID string) (roster.Export, bool, error)
	// ClaimExport returns ECONFLICT unless the export is queued or held by claim.
	ClaimExport(ctx context.Context, schoolID, exportID, claim string, now time.Time) (roster.Export, error)
	// ExportProgress, FinishExport and FailExport return ECONFLICT when claim no longer holds the export.
	ExportProgress(ctx context.Context, schoolID, exportID, claim string, rows int, now time.Time) (roster.Export, error)
	FinishExport(ctx context.Context, schoolID, exportID, claim string, rows int, objectKey string, now time.Time) (roster.Export, error)
	FailExport(ctx context.Context, schoolID, exportID, claim, reason string, now time.Time) (roster.Export, error)
	// SchoolUsers pages through every user of the school by email.
	SchoolUsers(ctx context.Context, schoolID, after string, limit int) ([]roster.Member, string, error)
}

// ExportFiles is what exports need from object storage.
type ExportFiles interface {
	Create(ctx context.Context, key, contentType string) ArtifactWriter
	PresignGet(ctx context.Context, key, fileName string, expires time.Duration) (string, error)
}

// Exports exports every user of a school as a CSV file that can be edited
// and imported again. The request stores a queued export and answers at
// once; the table's stream hands it to a worker (the confirm function),
// which reads the school's users a page at a time and streams them to one
// object, so neither the request nor the worker's memory grows with the
// school.
type Exports struct {
	Store          ExportStore
	Files          ExportFiles
	Now            func() time.Time
	NewID          func() string
	Log            *slog.Logger
	PageSize       int           // users read at a time; default 1000
	Reserve        time.Duration // time kept in hand before the deadline; default 20s
	DownloadExpiry time.Duration // presigned download links; default 5 minutes
	MaxAttempts    int           // claims before the export is given up; default 3
}

// ExportView is an export as the API shows it: with a short-lived link to
// the file while it is kept, once it is done.
type ExportView struct {
	roster.Export
	DownloadURL string     `json:"downloadUrl,omitempty"`
	ExpiresAt   *time.Time `json:"expiresAt,omitempty"` // when done: when the file is deleted
}

// exportKey is where a school's export is stored: under the school's own
// prefix, so a link is only ever signed for that school's file.
func exportKey(schoolID, exportID string) string {
	return "exports/" + schoolID + "/" + exportID + "/users.csv"
}

// Messages of a failed export.
const (
	msgExportGaveUp  = "The export could not be finished. Export the users again."
	msgExportTooLong = "The export took too long to finish. Export the users again."
)

// Start queues an export of the school's users and returns it. While one
// is already under way (queued or running, started within
// roster.ExportStaleAfter) it returns that one instead, so repeated clicks
// read the school once.
// Errors: EUNAUTHORIZED, EFORBIDDEN (see authorizeAdmin); EINTERNAL.
func (x *Exports) Start(ctx context.Context, caller Caller, schoolID string) (ExportView, error) {
	admin, err := authorizeAdmin(ctx, x.Store, caller, schoolID)
	if err != nil {
		return ExportView{}, err
	}
	now := x.Now().UTC()
	latest, found, err := x.Store.LatestExport(ctx, schoolID)
	if err != nil {
		return ExportView{}, err
	}
	if found && latest.Status.Waiting() && now.Sub(latest.CreatedAt) < roster.ExportStaleAfter {
		return ExportView{Export: latest}, nil
	}
	school, err := x.Store.GetSchool(ctx, schoolID)
	if err != nil {
		return ExportView{}, err
	}
	e := roster.Export{SchoolID: schoolID, ID: x.NewID(), Status: roster.ExportQueued, RequestedBy: admin.Email,
		CreatedAt: now, UpdatedAt: now, FileName: roster.ExportFileName(schoolID, school.Name, now)}
	if err := x.Store.CreateExport(ctx, e); err != nil {
		return ExportView{}, err
	}
	x.logger().Info("users export queued", "schoolId", schoolID, "exportId", e.ID)
	return ExportView{Export: e}, nil
}

// Get returns one of the school's exports; once it is done, with a
// short-lived download link while the file is kept.
// Errors: EUNAUTHORIZED, EFORBIDDEN; ENOTFOUND (also for another school's
// export); EINTERNAL.
func (x *Exports) Get(ctx context.Context, caller Caller, schoolID, exportID string) (ExportView, error) {
	if _, err := authorizeAdmin(ctx, x.Store, caller, schoolID); err != nil {
		return ExportView{}, err
	}
	if !roster.ValidID(exportID) {
		return ExportView{}, roster.Errorf(roster.ENOTFOUND, "Export not found.")
	}
	e, err := x.Store.GetExport(ctx, schoolID, exportID)
	if err != nil {
		return ExportView{}, err
	}
	v := ExportView{Export: e}
	if e.Status != roster.ExportDone {
		return v, nil
	}
	expires := e.UpdatedAt.Add(roster.ExportKeptFor)
	v.ExpiresAt = &expires
	if !x.Now().Before(expires) {
		return v, nil
	}
	if e.ObjectKey != exportKey(schoolID, e.ID) {
		// Never sign a link to a file that is not this school's export.
		return ExportView{}, roster.Internal(errors.New("export object key is not under the school's prefix"))
	}
	expiry := x.DownloadExpiry
	if expiry <= 0 {
		expiry = 5 * time.Minute
	}
	if v.DownloadURL, err = x.Files.PresignGet(ctx, e.ObjectKey, e.FileName, expiry); err != nil {
		return ExportView{}, err
	}
	return v, nil
}

// errExportStopped ends a run that must not finish the export: another
// claim took it over, or it was failed.
var errExportStopped = errors.New("export stopped")

// Queued runs a queued export for the stream record claim. A duplicate of
// a record whose export is done does nothing; a redelivery after a crash
// writes the file again from the start, over the same object, so a file
// never holds a row twice. After MaxAttempts claims the export fails.
// Errors: faults to retry (the file is then written again from the start).
func (x *Exports) Queued(ctx context.Context, schoolID, exportID, claim string) error {
	log := x.logger().With("schoolId", schoolID, "exportId", exportID)
	e, err := x.Store.ClaimExport(ctx, schoolID, exportID, claim, x.Now().UTC())
	if ok, err := claimed(log, "users export", err); !ok {
		return err
	}
	maxAttempts := x.MaxAttempts
	if maxAttempts <= 0 {
		maxAttempts = 3
	}
	if e.Attempts > maxAttempts {
		log.Warn("users export given up", "attempts", e.Attempts)
		return x.fail(ctx, log, e, claim, msgExportGaveUp)
	}
	key := exportKey(schoolID, exportID)
	rows, size, err := x.write(ctx, log, e, claim, key)
	if errors.Is(err, errExportStopped) {
		return nil
	}
	if err != nil {
		return err
	}
	_, err = x.Store.FinishExport(ctx, schoolID, exportID, claim, rows, key, x.Now().UTC())
	if roster.ErrorCode(err) == roster.ECONFLICT {
		log.Info("users export was taken over; stopping")
		return nil
	}
	if err != nil {
		return err
	}
	log.Info("users export done", "rows", rows, "bytes", size, "attempt", e.Attempts)
	return nil
}

// write streams the school's users to key, page by page, recording the
// rows written after each page; the object is stored whole or not at all.
// Errors: errExportStopped; faults to retry.
func (x *Exports) write(ctx context.Context, log *slog.Logger, e roster.Export, claim, key string) (rows int, size int64, err error) {
	groups, err := x.Store.ListGroups(ctx, e.SchoolID)
	if err != nil {
		return 0, 0, err
	}
	names := make(map[string]string, len(groups))
	for _, g := range groups {
		names[g.ID] = g.Name
	}
	pageSize, reserve := x.PageSize, x.Reserve
	if pageSize <= 0 {
		pageSize = 1000
	}
	if reserve <= 0 {
		reserve = 20 * time.Second
	}
	if deadline, ok := ctx.Deadline(); ok {
		reserve = min(reserve, time.Until(deadline)/4)
	}
	w := x.Files.Create(ctx, key, "text/csv; charset=utf-8")
	stored := false
	defer func() {
		if !stored {
			w.Abort()
		}
	}()
	counted := &countingWriter{w: w}
	out := csvimport.NewUsersExport(counted)
	if err := out.Start(); err != nil {
		return 0, 0, err
	}
	row := csvimport.ExportRow{}
	for cursor := ""; ; {
		if timeLow(ctx, reserve) {
			log.Warn("users export out of time", "rows", out.Rows)
			if err := x.fail(ctx, log, e, claim, msgExportTooLong); err != nil {
				return 0, 0, err
			}
			return 0, 0, errExportStopped
		}
		users, next, err := x.Store.SchoolUsers(ctx, e.SchoolID, cursor, pageSize)
		if err != nil {
			return 0, 0, err
		}
		for _, m := range users {
			row.Email, row.FirstName, row.LastName, row.UserID, row.Status = m.Email, m.FirstName, m.LastName, m.UserID, m.Status
			row.Groups = row.Groups[:0]
			for _, id := range m.Groups {
				if name, ok := names[id]; ok {
					row.Groups = append(row.Groups, name)
				}
			}
			if err := out.Row(row); err != nil {
				return 0, 0, err
			}
		}
		if next == "" {
			break
		}
		_, err = x.Store.ExportProgress(ctx, e.SchoolID, e.ID, claim, out.Rows, x.Now().UTC())
		if roster.ErrorCode(err) == roster.ECONFLICT {
			log.Info("users export was taken over; stopping")
			return 0, 0, errExportStopped
		}
		if err != nil {
			return 0, 0, err
		}
		cursor = next
	}
	if err := out.Close(); err != nil {
		return 0, 0, err
	}
	stored = true
	if err := w.Close(); err != nil {
		return 0, 0, err
	}
	return out.Rows, counted.n, nil
}

// fail marks the export failed with reason, unless another claim holds it.
// Errors: faults to retry.
func (x *Exports) fail(ctx context.Context, log *slog.Logger, e roster.Export, claim, reason string) error {
	_, err := x.Store.FailExport(ctx, e.SchoolID, e.ID, claim, reason, x.Now().UTC())
	if roster.ErrorCode(err) == roster.ECONFLICT {
		log.Info("users export was taken over; stopping")
		return nil
	}
	return err
}

func (x *Exports) logger() *slog.Logger {
	if x.Log == nil {
		return slog.New(slog.DiscardHandler)
	}
	return x.Log
}

// countingWriter counts the bytes written through it.
type countingWriter struct {
	w io.Writer
	n int64
}

func (c *countingWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
}
