package app

import (
	"context"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/schoolroster/rosterimport/internal/roster"
)

// fakeSweepStore records the sweeper's moves; items listed in movedOn have
// changed since they were found.
type fakeSweepStore struct {
	due     [][]roster.DueItem // by shard
	movedOn map[string]bool
	moves   []string
}

func (f *fakeSweepStore) DueWork(_ context.Context, shard int, _ time.Time, _ int) ([]roster.DueItem, error) {
	return f.due[shard], nil
}
func (f *fakeSweepStore) record(d roster.DueItem, move string) bool {
	id := d.Email + d.ImportID
	if f.movedOn[id] {
		return false
	}
	f.moves = append(f.moves, id+" "+move)
	return true
}
func (f *fakeSweepStore) RequeueMail(_ context.Context, d roster.DueItem, count bool, _ time.Time) (bool, error) {
	if count {
		return f.record(d, "requeued"), nil
	}
	return f.record(d, "resumed"), nil
}
func (f *fakeSweepStore) FailStuckMail(_ context.Context, d roster.DueItem, reason string) (bool, error) {
	return f.record(d, "failed: "+reason), nil
}
func (f *fakeSweepStore) RequeueStuckImport(_ context.Context, d roster.DueItem, _ time.Time) (roster.Import, error) {
	if !f.record(d, "resumed") {
		return roster.Import{}, roster.Errorf(roster.ECONFLICT, "moved on")
	}
	return roster.Import{}, nil
}
func (f *fakeSweepStore) FailStuckImport(_ context.Context, d roster.DueItem, reason string, _ time.Time) (roster.Import, error) {
	if !f.record(d, "failed: "+reason) {
		return roster.Import{}, roster.Errorf(roster.ECONFLICT, "moved on")
	}
	return roster.Import{}, nil
}

func TestSweeper(t *testing.T) {
	mail := func(email string, st roster.MailStatus, redrives int) roster.DueItem {
		return roster.DueItem{SchoolID: "s", Email: email, Status: string(st), SendCount: 1, Redrives: redrives}
	}
	imp := func(id string, st roster.ImportStatus, redrives int) roster.DueItem {
		return roster.DueItem{SchoolID: "s", ImportID: id, Status: string(st), Redrives: redrives}
	}
	store := &fakeSweepStore{movedOn: map[string]bool{"sent-meanwhile@x.school": true, "IMP-done": true}, due: [][]roster.DueItem{
		{mail("lost@x.school", roster.MailQueued, 0), mail("crashed@x.school", roster.MailSending, 1), mail("quota@x.school", roster.MailDeferred, 3)},
		{mail("hopeless@x.school", roster.MailQueued, roster.MaxRedrives), mail("sent-meanwhile@x.school", roster.MailSending, 0)},
		{imp("IMP-preview", roster.ImportValidating, 0), imp("IMP-stalled", roster.ImportImporting, 0), imp("IMP-lost", roster.ImportQueued, 2),
			imp("IMP-hopeless", roster.ImportImporting, roster.MaxRedrives), imp("IMP-done", roster.ImportImporting, 0)},
	}}
	s := &Sweeper{Store: store, Shards: 3, Log: slog.New(slog.NewTextHandler(io.Discard, nil))}
	rep, err := s.Sweep(context.Background(), time.Now())
	if err != nil {
		t.Fatal(err)
	}
	want := SweepReport{MailRequeued: 2, MailResumed: 1, MailFailed: 1, ImportsResumed: 2, ImportsFailed: 2, MovedOn: 2}
	if rep != want {
		t.Errorf("report = %+v, want %+v", rep, want)
	}
	wantMoves := []string{
		"lost@x.school requeued", "crashed@x.school requeued", "quota@x.school resumed",
		"hopeless@x.school failed: " + msgMailGaveUp,
		"IMP-preview failed: " + msgPreviewTimedOut, "IMP-stalled resumed", "IMP-lost resumed",
		"IMP-hopeless failed: " + msgImportWouldNotRun,
	}
	if len(store.moves) != len(wantMoves) {
		t.Fatalf("moves = %q, want %q", store.moves, wantMoves)
	}
	for i := range wantMoves {
		if store.moves[i] != wantMoves[i] {
			t.Errorf("move %d = %q, want %q", i, store.moves[i], wantMoves[i])
		}
	}
}
