// Package integration_test runs the use cases of internal/app against the real
// emulators of the local stack (DynamoDB Local, the S3 gateway), as each
// function invocation would, so that `go test ./internal/app` needs none.
package integration_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/schoolroster/rosterimport/infra/local"
	"github.com/schoolroster/rosterimport/infra/local/localtest"
	"github.com/schoolroster/rosterimport/internal/app"
	"github.com/schoolroster/rosterimport/internal/blobs"
	"github.com/schoolroster/rosterimport/internal/csvimport"
	"github.com/schoolroster/rosterimport/internal/dynamo"
	"github.com/schoolroster/rosterimport/internal/roster"
)

// emulators are DynamoDB Local, the S3 gateway and SES local with the
// template's table and bucket, and no function consuming the stream: the use
// cases here run alone, as each invocation would.
var emulators *local.Stack

func TestMain(m *testing.M) {
	os.Exit(localtest.Main(m, local.Options{EmulatorsOnly: true}, &emulators))
}

func parts() (*dynamo.Store, *blobs.Store) {
	s3c := s3.NewFromConfig(emulators.AWS, func(o *s3.Options) { o.BaseEndpoint = &emulators.S3URL; o.UsePathStyle = true })
	return dynamo.NewStore(emulators.DynamoDB, emulators.Tables["RosterTable"]), blobs.New(s3c, emulators.Buckets["ImportsBucket"])
}

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

func mustSchool(t *testing.T, st *dynamo.Store, id string) {
	t.Helper()
	if err := st.CreateSchool(context.Background(), roster.School{ID: id, Name: id, CreatedAt: time.Now()}, roster.ActiveOwner("head@"+id+".school", time.Now())); err != nil {
		t.Fatal(err)
	}
}

func upload(t *testing.T, st *dynamo.Store, files *blobs.Store, school, id string, body []byte, declared int64) string {
	t.Helper()
	ctx := context.Background()
	key := "uploads/" + school + "/" + id
	imp := roster.Import{SchoolID: school, ID: id, Kind: roster.KindUsers, Status: roster.ImportAwaitingUpload,
		FileName: "f.csv", DeclaredSize: declared, UploadedBy: "head@" + school + ".school", CreatedAt: time.Now()}
	if err := st.CreateImport(ctx, imp, map[roster.Artifact]string{roster.ArtifactUploaded: key}); err != nil {
		t.Fatal(err)
	}
	if err := files.Put(ctx, key, body, "text/csv"); err != nil {
		t.Fatal(err)
	}
	return key
}

func previewer() *app.Previewer {
	st, files := parts()
	return &app.Previewer{Store: st, Files: files, Now: time.Now, Limits: csvimport.DefaultLimits(), Log: quiet}
}

func TestPreviewClaims(t *testing.T) {
	ctx := context.Background()
	st, files := parts()
	mustSchool(t, st, "claims")
	body := []byte("email\nann@claims.school\nbob@claims.school\n")
	key := upload(t, st, files, "claims", "IMP1", body, int64(len(body)))
	p := previewer()

	// An attempt that crashed after claiming: the retried event finishes it.
	if _, err := st.ClaimValidation(ctx, "claims", "IMP1", "seq-A", time.Now()); err != nil {
		t.Fatal(err)
	}
	if err := p.Uploaded(ctx, key, int64(len(body)), "seq-A"); err != nil {
		t.Fatal(err)
	}
	first, _ := st.GetImport(ctx, "claims", "IMP1")
	if first.Status != roster.ImportReady || first.Counts.Valid != 2 {
		t.Fatalf("after retry: %+v", first)
	}
	// Duplicates of the event, and an event of another write, change nothing.
	for _, claim := range []string{"seq-A", "seq-B"} {
		if err := p.Uploaded(ctx, key, int64(len(body)), claim); err != nil {
			t.Fatal(err)
		}
	}
	again, _ := st.GetImport(ctx, "claims", "IMP1")
	if !again.ValidatedAt.Equal(*first.ValidatedAt) || again.Status != roster.ImportReady {
		t.Errorf("a duplicate event validated again: %v then %v", first.ValidatedAt, again.ValidatedAt)
	}
	// Objects outside uploads/{school}/{import} and unknown imports are ignored.
	for _, k := range []string{"uploads/claims", "uploads/claims/IMP1/extra", "uploads/claims/NOPE"} {
		if err := p.Uploaded(ctx, k, 1, "x"); err != nil {
			t.Errorf("%s: %v", k, err)
		}
	}
}

func TestPreviewFailures(t *testing.T) {
	ctx := context.Background()
	st, files := parts()
	mustSchool(t, st, "bad")
	tests := []struct {
		name     string
		body     []byte
		declared int64
		want     string
	}{
		{"larger than declared", []byte("email\nann@bad.school\n"), 5, "larger than the size declared"},
		{"a damaged workbook", []byte("PK\x03\x04\x14\x00\x06\x00 not a csv"), 100, "This Excel workbook could not be read"},
		{"an Excel 97-2003 workbook", []byte("\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1\x00\x00"), 100, "This file is an Excel 97-2003 workbook (.xls)"},
		{"no email column", []byte("name\nAnn\n"), 100, "The file has no email column."},
		{"empty", []byte("\n\n"), 100, "The file is empty."},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			id := fmt.Sprintf("IMP%d", i)
			key := upload(t, st, files, "bad", id, tt.body, tt.declared)
			if err := previewer().Uploaded(ctx, key, int64(len(tt.body)), "seq"); err != nil {
				t.Fatal(err)
			}
			got, _ := st.GetImport(ctx, "bad", id)
			if got.Status != roster.ImportFailed || !strings.Contains(got.FailureReason, tt.want) {
				t.Errorf("got %s %q, want failed with %q", got.Status, got.FailureReason, tt.want)
			}
			if ok, _ := files.Exists(ctx, "artifacts/bad/"+id+"/rows.jsonl"); ok {
				t.Error("a failed preview left a rows file")
			}
		})
	}
}

// deadlineCtx reports the deadline its function gives, so a test can make
// time run low after a number of checks without waiting for it.
type deadlineCtx struct {
	context.Context
	deadline func() time.Time
}

func (c deadlineCtx) Deadline() (time.Time, bool) { return c.deadline(), true }

// countingStore counts the chunks applied.
type countingStore struct {
	*dynamo.Store
	applied atomic.Int32
}

func (c *countingStore) ApplyChunk(ctx context.Context, schoolID, importID, claim string, o roster.ChunkOutcome, stored int, now time.Time) (bool, error) {
	ok, err := c.Store.ApplyChunk(ctx, schoolID, importID, claim, o, stored, now)
	c.applied.Add(1)
	return ok, err
}

// queuedStaffImport creates school with an import IMP1 of n staff,
// previewed and confirmed (invitations held): queued for confirm.
func queuedStaffImport(t *testing.T, st *dynamo.Store, files *blobs.Store, school string, n int) {
	t.Helper()
	ctx := context.Background()
	mustSchool(t, st, school)
	var b strings.Builder
	b.WriteString("email,group\n")
	for i := 0; i < n; i++ {
		fmt.Fprintf(&b, "p%02d@%s.school,Staff\n", i, school)
	}
	body := []byte(b.String())
	key := upload(t, st, files, school, "IMP1", body, int64(len(body)))
	if err := previewer().Uploaded(ctx, key, int64(len(body)), "up"); err != nil {
		t.Fatal(err)
	}
	if _, err := st.ConfirmImport(ctx, school, "IMP1", "head@"+school+".school", roster.ConfirmOptions{}, n, time.Now()); err != nil {
		t.Fatal(err)
	}
}

func TestConfirmHandsOffAndResumes(t *testing.T) {
	ctx := context.Background()
	st, files := parts()
	const n = 57
	queuedStaffImport(t, st, files, "handoff", n)
	sealer, _ := roster.NewSealer(strings.Repeat("s", 40))
	counting := &countingStore{Store: st}
	c := &app.Confirmer{Store: counting, Files: files, Sealer: sealer, Now: time.Now, ChunkSize: 10, Reserve: time.Minute, Slice: time.Hour, Log: quiet}

	// Time runs low once two chunks are in.
	low := deadlineCtx{Context: ctx, deadline: func() time.Time {
		if counting.applied.Load() < 2 {
			return time.Now().Add(time.Hour)
		}
		return time.Now().Add(time.Second)
	}}
	if err := c.Queued(low, "handoff", "IMP1", "seq-1"); err != nil {
		t.Fatal(err)
	}
	mid, _ := st.GetImport(ctx, "handoff", "IMP1")
	if mid.Status != roster.ImportQueued || len(mid.ChunksDone) != 2 || mid.Progress.Done != 20 || mid.Results.Created != 20 {
		t.Fatalf("after hand-off: %s chunks %v progress %+v results %+v", mid.Status, mid.ChunksDone, mid.Progress, mid.Results)
	}
	// The re-queue's own record starts a fresh invocation, which goes on.
	if err := c.Queued(ctx, "handoff", "IMP1", "seq-2"); err != nil {
		t.Fatal(err)
	}
	done, _ := st.GetImport(ctx, "handoff", "IMP1")
	if done.Status != roster.ImportCompleted || done.Results != (roster.ImportResults{Created: n}) || done.Progress.Done != n {
		t.Fatalf("after resuming: %s %+v %+v", done.Status, done.Results, done.Progress)
	}
	groups, _ := st.ListGroups(ctx, "handoff")
	for _, g := range groups {
		if g.Name == "Staff" && g.MemberCount != n+1 {
			t.Errorf("Staff has %d members, want %d", g.MemberCount, n+1)
		}
	}
	// Every row is in the results file once, as created and held.
	rc, _, err := files.Open(ctx, done.Artifacts["results"])
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	res, _ := io.ReadAll(rc)
	if got := strings.Count(string(res), ",created,Invitation created and held (not sent)\r\n"); got != n {
		t.Errorf("results file has %d created rows, want %d", got, n)
	}
	// An old record of this import arriving late is ignored.
	if err := c.Queued(ctx, "handoff", "IMP1", "seq-1"); err != nil {
		t.Fatal(err)
	}
	if again, _ := st.GetImport(ctx, "handoff", "IMP1"); again.Results != done.Results {
		t.Errorf("a late record changed the counts: %+v", again.Results)
	}
}

// TestConfirmTakesTurns: an import gives its stream lane away after each
// slice of work, queued again where it stopped, and the invocations its
// records start finish it with exact counts.
func TestConfirmTakesTurns(t *testing.T) {
	ctx := context.Background()
	st, files := parts()
	const n = 95
	queuedStaffImport(t, st, files, "turns", n)
	sealer, _ := roster.NewSealer(strings.Repeat("s", 40))
	// Each reading of the clock is a tenth of a second later.
	var ticks atomic.Int64
	clock := func() time.Time {
		return time.Unix(1_800_000_000, 0).Add(time.Duration(ticks.Add(1)) * 100 * time.Millisecond)
	}
	c := &app.Confirmer{Store: st, Files: files, Sealer: sealer, Now: clock, ChunkSize: 10, Slice: time.Second, Log: quiet}

	turns := 0
	for ; turns < 50; turns++ {
		if err := c.Queued(ctx, "turns", "IMP1", fmt.Sprint("seq-", turns)); err != nil {
			t.Fatal(err)
		}
		imp, _ := st.GetImport(ctx, "turns", "IMP1")
		if imp.Status == roster.ImportCompleted {
			if imp.Results != (roster.ImportResults{Created: n}) || imp.Progress.Done != n {
				t.Fatalf("completed with %+v, progress %+v", imp.Results, imp.Progress)
			}
			break
		}
		if imp.Status != roster.ImportQueued || len(imp.ChunksDone) == 0 {
			t.Fatalf("after turn %d: %s, chunks %v; want queued again with work done", turns, imp.Status, imp.ChunksDone)
		}
	}
	if turns < 2 {
		t.Errorf("finished in %d turns: a slice of a second should not hold 10 chunks", turns+1)
	}
}

// crashOnce is a store whose second ApplyChunk fails once, as if the
// invocation died after writing a chunk and before counting it.
type crashOnce struct {
	*dynamo.Store
	calls atomic.Int32
}

func (c *crashOnce) ApplyChunk(ctx context.Context, schoolID, importID, claim string, o roster.ChunkOutcome, stored int, now time.Time) (bool, error) {
	if c.calls.Add(1) == 2 {
		return false, roster.Internal(fmt.Errorf("the invocation died"))
	}
	return c.Store.ApplyChunk(ctx, schoolID, importID, claim, o, stored, now)
}

// TestRelationshipsCountedOnceAfterACrash: a chunk of links written but not
// counted is counted as what it was (created, updated) when the record is
// delivered again, not as unchanged.
func TestRelationshipsCountedOnceAfterACrash(t *testing.T) {
	ctx := context.Background()
	st, files := parts()
	mustSchool(t, st, "links")
	var people strings.Builder
	people.WriteString("email,user_id\n")
	const n = 25
	for i := 0; i < n; i++ {
		fmt.Fprintf(&people, "kid%02d@links.school,K%02d\nparent%02d@links.school,\n", i, i, i)
	}
	body := []byte(people.String())
	key := upload(t, st, files, "links", "USERS", body, int64(len(body)))
	if err := previewer().Uploaded(ctx, key, int64(len(body)), "up"); err != nil {
		t.Fatal(err)
	}
	if _, err := st.ConfirmImport(ctx, "links", "USERS", "head@links.school", roster.ConfirmOptions{}, 2*n, time.Now()); err != nil {
		t.Fatal(err)
	}
	sealer, _ := roster.NewSealer(strings.Repeat("s", 40))
	plain := &app.Confirmer{Store: st, Files: files, Sealer: sealer, Now: time.Now, Log: quiet}
	if err := plain.Queued(ctx, "links", "USERS", "seq-users"); err != nil {
		t.Fatal(err)
	}
	// One pair is there already with another type: it will be updated.
	if err := st.SaveRelationship(ctx, nil, roster.Relationship{SchoolID: "links", Student: "kid03@links.school", Parent: "parent03@links.school",
		Type: "other", CreatedAt: time.Now(), UpdatedAt: time.Now()}); err != nil {
		t.Fatal(err)
	}

	var file strings.Builder
	file.WriteString("student_id,parent_email,relationship_type\n")
	for i := 0; i < n; i++ {
		fmt.Fprintf(&file, "K%02d,parent%02d@links.school,mother\n", i, i)
	}
	rel := []byte(file.String())
	rkey := "uploads/links/RELS"
	imp := roster.Import{SchoolID: "links", ID: "RELS", Kind: roster.KindRelationships, Status: roster.ImportAwaitingUpload,
		FileName: "links.csv", DeclaredSize: int64(len(rel)), UploadedBy: "head@links.school", CreatedAt: time.Now()}
	if err := st.CreateImport(ctx, imp, map[roster.Artifact]string{roster.ArtifactUploaded: rkey}); err != nil {
		t.Fatal(err)
	}
	if err := files.Put(ctx, rkey, rel, "text/csv"); err != nil {
		t.Fatal(err)
	}
	if err := previewer().Uploaded(ctx, rkey, int64(len(rel)), "up"); err != nil {
		t.Fatal(err)
	}
	ready, _ := st.GetImport(ctx, "links", "RELS")
	if ready.Counts.Valid != n-1 || ready.Counts.Updated != 1 {
		t.Fatalf("preview = %+v", ready.Counts)
	}
	if _, err := st.ConfirmImport(ctx, "links", "RELS", "head@links.school", roster.ConfirmOptions{}, n, time.Now()); err != nil {
		t.Fatal(err)
	}
	crashing := &app.Confirmer{Store: &crashOnce{Store: st}, Files: files, Sealer: sealer, Now: time.Now, ChunkSize: 10, Log: quiet}
	if err := crashing.Queued(ctx, "links", "RELS", "seq-1"); err == nil {
		t.Fatal("the crash was not reported")
	}
	// The stream delivers the record again.
	if err := crashing.Queued(ctx, "links", "RELS", "seq-1"); err != nil {
		t.Fatal(err)
	}
	done, _ := st.GetImport(ctx, "links", "RELS")
	if done.Status != roster.ImportCompleted || done.Results != (roster.ImportResults{Created: n - 1, Updated: 1}) || done.Progress != (roster.Progress{Done: n, Total: n}) {
		t.Fatalf("after the redelivery: %s %+v %+v", done.Status, done.Results, done.Progress)
	}
	got, err := st.Relationships(ctx, "links", []roster.Pair{{Student: "kid03@links.school", Parent: "parent03@links.school"}}, true)
	if err != nil || len(got) != 1 || got[roster.Pair{Student: "kid03@links.school", Parent: "parent03@links.school"}].Type != "mother" {
		t.Errorf("the updated pair = %+v %v", got, err)
	}
}
