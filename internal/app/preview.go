package app

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"time"

	"github.com/schoolroster/rosterimport/internal/csvimport"
	"github.com/schoolroster/rosterimport/internal/roster"
)

// PreviewStore is what the preview needs from storage.
type PreviewStore interface {
	ListGroups(ctx context.Context, schoolID string) ([]roster.Group, error)
	// ClaimValidation returns ECONFLICT unless the import awaits its upload
	// or is being validated under the same claim.
	ClaimValidation(ctx context.Context, schoolID, importID, claim string, now time.Time) (roster.Import, error)
	SavePreview(ctx context.Context, schoolID, importID, claim string, p roster.PreviewResult, now time.Time) (roster.Import, error)
	FailImport(ctx context.Context, schoolID, importID, claim, reason string, from []roster.ImportStatus, now time.Time) (roster.Import, error)
	DirectoryStore
}

// ArtifactWriter streams one file to object storage: Close stores it,
// Abort leaves nothing.
type ArtifactWriter interface {
	io.Writer
	Close() error
	Abort()
}

// ArtifactFiles reads uploads and writes artifacts.
type ArtifactFiles interface {
	// Open returns ENOTFOUND when there is no such object.
	Open(ctx context.Context, key string) (io.ReadCloser, int64, error)
	Create(ctx context.Context, key, contentType string) ArtifactWriter
}

// Previewer validates uploaded files.
type Previewer struct {
	Store  PreviewStore
	Files  ArtifactFiles
	Now    func() time.Time
	Limits csvimport.Limits
	Log    *slog.Logger
}

// Uploaded previews the file that landed at key. claim identifies this
// upload (its sequencer): a repeated event for the same upload may finish
// what a crashed attempt began, anything else is ignored.
// Errors: only faults to retry (storage, DynamoDB); a file that cannot be
// read fails the import with its reason and returns nil.
func (p *Previewer) Uploaded(ctx context.Context, key string, size int64, claim string) error {
	schoolID, importID, ok := ParseUploadKey(key)
	if !ok {
		p.Log.Warn("object is not an import upload; ignored", "key", key)
		return nil
	}
	log := p.Log.With("schoolId", schoolID, "importId", importID)
	imp, err := p.Store.ClaimValidation(ctx, schoolID, importID, claim, p.Now().UTC())
	if ok, err := claimed(log, "import of this upload", err); !ok {
		return err
	}
	run := &previewRun{p: p, log: log, imp: imp, key: key, claim: claim}
	if imp.DeclaredSize > 0 && size > imp.DeclaredSize {
		return run.fail(ctx, fmt.Sprintf("The uploaded file (%d bytes) is larger than the size declared for the upload (%d bytes).", size, imp.DeclaredSize))
	}
	return run.validate(ctx, size)
}

// previewRun is the validation of one claimed upload.
type previewRun struct {
	p     *Previewer
	log   *slog.Logger
	imp   roster.Import
	key   string // the upload's object key
	claim string
}

// validate streams the upload through the engine into the rows file and
// the error file, then records the preview on the import.
func (r *previewRun) validate(ctx context.Context, size int64) error {
	schoolID, importID := r.imp.SchoolID, r.imp.ID
	groups, err := r.p.Store.ListGroups(ctx, schoolID)
	if err != nil {
		return err
	}
	var names []string
	groupNames := map[string]string{}
	for _, g := range groups {
		names = append(names, g.Name)
		groupNames[g.ID] = g.Name
	}
	body, _, err := r.p.Files.Open(ctx, r.key)
	if err != nil {
		return err
	}
	defer body.Close()

	rowsKey, errorsKey := artifactKey(schoolID, importID, roster.ArtifactRows), artifactKey(schoolID, importID, roster.ArtifactErrors)
	rowsW := r.p.Files.Create(ctx, rowsKey, "application/x-ndjson")
	errW := r.p.Files.Create(ctx, errorsKey, "text/csv; charset=utf-8")
	errFile := csvimport.NewErrorFile(errW)
	dir, err := r.directory(ctx, size, groupNames)
	if err != nil {
		rowsW.Abort()
		errW.Abort()
		return err
	}
	sum, err := csvimport.Validate(ctx, body, csvimport.Options{
		Kind: r.imp.Kind, Groups: names, Directory: dir, Limits: r.p.Limits, SizeHint: size,
	}, csvimport.Sinks(errFile, &rowsFile{enc: json.NewEncoder(rowsW)}))
	if err == nil {
		err = errFile.Close()
	}
	var fe *csvimport.FileError
	if err != nil {
		rowsW.Abort()
		errW.Abort()
		if errors.As(err, &fe) {
			return r.fail(ctx, fe.Message)
		}
		return err
	}
	if err := rowsW.Close(); err != nil {
		errW.Abort()
		return err
	}
	if err := errW.Close(); err != nil {
		return err
	}
	_, err = r.p.Store.SavePreview(ctx, schoolID, importID, r.claim, previewResult(sum, rowsKey, errorsKey), r.p.Now().UTC())
	if roster.ErrorCode(err) == roster.ETOOLARGE {
		// The preview is bounded; should it still not fit, say so rather
		// than retry what cannot succeed.
		return r.fail(ctx, "The preview of this file is too large to keep. Split the file into smaller files and upload each one.")
	}
	if roster.ErrorCode(err) == roster.ECONFLICT {
		r.log.Info("another attempt finished this preview first")
		return nil
	}
	if err == nil {
		r.log.Info("preview ready", "total", sum.Total, "valid", sum.Valid, "invalid", sum.Invalid, "skipped", sum.Skipped)
	}
	return err
}

// fail ends the import with a reason the administrator can read.
func (r *previewRun) fail(ctx context.Context, reason string) error {
	_, err := r.p.Store.FailImport(ctx, r.imp.SchoolID, r.imp.ID, r.claim, reason, []roster.ImportStatus{roster.ImportValidating}, r.p.Now().UTC())
	if roster.ErrorCode(err) == roster.ECONFLICT {
		return nil
	}
	r.log.Info("import failed validation", "reason", reason)
	return err
}

func previewResult(sum *csvimport.Summary, rowsKey, errorsKey string) roster.PreviewResult {
	rows := make([]roster.PreviewRow, 0, len(sum.Preview))
	for i := range sum.Preview {
		rows = append(rows, sum.Preview[i].PreviewRow)
	}
	warnings := append([]string{}, sum.Warnings...)
	return roster.PreviewResult{
		Counts:      sum.PreviewCounts,
		ErrorCounts: sum.ErrorCounts, SkipReasons: sum.SkipReasons, Warnings: warnings,
		Preview: rows, PreviewNote: sum.PreviewNote,
		ToImport:  sum.PreviewCounts.ToImport(sum.Kind, roster.ConfirmOptions{}),
		Artifacts: map[roster.Artifact]string{roster.ArtifactRows: rowsKey, roster.ArtifactErrors: errorsKey},
	}
}

// rowsFile writes every row as the preview judged it, with its normalised
// values, as a JSON line: the import's rows file. Confirm imports the rows
// whose status is valid (and, for relationships, updated or unchanged; for
// users with updates, the people already in the school). A users file's
// parent links follow as lines of their own (see isLink).
type rowsFile struct{ enc *json.Encoder }

var _ csvimport.LinkSink = (*rowsFile)(nil)

func (f *rowsFile) Start([]string) error             { return nil }
func (f *rowsFile) Row(r *csvimport.RowResult) error { return f.enc.Encode(r.PreviewRow) }
func (f *rowsFile) Link(l *roster.PreviewRow) error  { return f.enc.Encode(l) }

// directory chooses how the preview looks people up, whichever reads less:
// one read of the school's users and ids, when the school is small next to
// the file (a new school's is empty), or batched look-ups of the file's
// people, in parallel, when the file is small next to the school. The
// school is read until it costs more than the file's look-ups would, then
// left for batched look-ups, so the cost is bounded by the smaller of the
// two (at worst twice it).
func (r *previewRun) directory(ctx context.Context, size int64, groupNames map[string]string) (csvimport.Directory, error) {
	batched := memberDirectory{store: r.p.Store, schoolID: r.imp.SchoolID, groupNames: groupNames}
	budget := lookupBudget(size)
	members, ids, complete, err := r.p.Store.SchoolDirectory(ctx, r.imp.SchoolID, budget)
	if err != nil {
		return nil, err
	}
	if !complete {
		r.log.Info("look-ups: in batches (the school is larger than the file)", "budget", budget)
		return batched, nil
	}
	r.log.Info("look-ups: one read of the school", "users", len(members), "budget", budget)
	return schoolDirectory{memberDirectory: batched, members: members, ids: ids}, nil
}

// lookupBudget is how many of the school's items the preview reads before
// it turns to batched look-ups: twice the rows a file of size bytes may
// hold (a users row takes 30 bytes or more). An item read by a Query costs
// a fraction of a look-up (reads are charged by 4 KB, items are far
// smaller), so reading up to this many costs no more than the look-ups.
func lookupBudget(size int64) int {
	const minRowBytes, perRow = 30, 2
	return max(int(size/minRowBytes)*perRow, 1)
}

// schoolDirectory answers the engine's member and id look-ups from one
// read of the school; relationships are still looked up in batches.
type schoolDirectory struct {
	memberDirectory
	members map[string]roster.MemberState
	ids     map[string]string
}

func (d schoolDirectory) Members(_ context.Context, emails []string) (map[string]roster.MemberState, error) {
	out := make(map[string]roster.MemberState, len(emails))
	for _, e := range emails {
		if s, ok := d.members[e]; ok {
			out[e] = d.named(s)
		}
	}
	return out, nil
}

func (d schoolDirectory) UserIDs(_ context.Context, ids []string) (map[string]string, error) {
	out := make(map[string]string, len(ids))
	for _, id := range ids {
		if e, ok := d.ids[id]; ok {
			out[id] = e
		}
	}
	return out, nil
}

// memberDirectory answers the engine's lookups from the store.
type memberDirectory struct {
	store      DirectoryStore
	schoolID   string
	groupNames map[string]string // group id -> name
}

// named is a member's state with their groups by name, as the engine
// compares them with a file's (a group deleted since is left out).
func (d memberDirectory) named(s roster.MemberState) roster.MemberState {
	names := make([]string, 0, len(s.Groups))
	for _, id := range s.Groups {
		if n, ok := d.groupNames[id]; ok {
			names = append(names, n)
		}
	}
	s.Groups = names
	return s
}

// DirectoryStore is what the preview's look-ups need from storage.
type DirectoryStore interface {
	// SchoolDirectory reads the school's users and ids in one Query,
	// stopping (complete false) past maxItems.
	SchoolDirectory(ctx context.Context, schoolID string, maxItems int) (members map[string]roster.MemberState, ids map[string]string, complete bool, err error)
	MemberStates(ctx context.Context, schoolID string, emails []string, consistent bool) (map[string]roster.MemberState, error)
	// UserIDs returns the email of the user who carries each id.
	UserIDs(ctx context.Context, schoolID string, ids []string) (map[string]string, error)
	// Relationships returns the links that exist among pairs.
	Relationships(ctx context.Context, schoolID string, pairs []roster.Pair, consistent bool) (map[roster.Pair]roster.Relationship, error)
}

var (
	_ csvimport.Directory = memberDirectory{}
	_ csvimport.Directory = schoolDirectory{}
)

func (d memberDirectory) Members(ctx context.Context, emails []string) (map[string]roster.MemberState, error) {
	states, err := d.store.MemberStates(ctx, d.schoolID, emails, false)
	if err != nil {
		return nil, err
	}
	for e, s := range states {
		states[e] = d.named(s)
	}
	return states, nil
}

func (d memberDirectory) UserIDs(ctx context.Context, ids []string) (map[string]string, error) {
	return d.store.UserIDs(ctx, d.schoolID, ids)
}

func (d memberDirectory) Relationships(ctx context.Context, pairs []roster.Pair) (map[roster.Pair]string, error) {
	links, err := d.store.Relationships(ctx, d.schoolID, pairs, false)
	if err != nil {
		return nil, err
	}
	out := make(map[roster.Pair]string, len(links))
	for p, l := range links {
		out[p] = l.Type
	}
	return out, nil
}
