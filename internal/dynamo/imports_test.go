package dynamo_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/schoolroster/rosterimport/internal/dynamo"
	"github.com/schoolroster/rosterimport/internal/roster"
)

var t0 = time.Date(2026, 9, 1, 8, 0, 0, 0, time.UTC)

func newSchool(t *testing.T, s *dynamo.Store, id string) {
	t.Helper()
	if err := s.CreateSchool(context.Background(), roster.School{ID: id, Name: id, CreatedAt: t0}, roster.ActiveOwner("head@"+id+".school", t0)); err != nil {
		t.Fatal(err)
	}
}

func newImport(t *testing.T, s *dynamo.Store, school, id string, at time.Time) roster.Import {
	t.Helper()
	imp := roster.Import{SchoolID: school, ID: id, Kind: roster.KindUsers, Status: roster.ImportAwaitingUpload,
		FileName: "users.csv", DeclaredSize: 100, UploadedBy: "head@" + school + ".school", CreatedAt: at}
	if err := s.CreateImport(context.Background(), imp, map[roster.Artifact]string{roster.ArtifactUploaded: "uploads/" + school + "/" + id}); err != nil {
		t.Fatal(err)
	}
	return imp
}

func wantCode(t *testing.T, what string, err error, code string) {
	t.Helper()
	if got := roster.ErrorCode(err); got != code {
		t.Fatalf("%s: error code %q (%v), want %q", what, got, err, code)
	}
}

func TestImportLifecycle(t *testing.T) {
	ctx := context.Background()
	s := newStore(t)
	newSchool(t, s, "lifecycle")
	newImport(t, s, "lifecycle", "IMP1", t0)
	wantCode(t, "create twice", s.CreateImport(ctx, roster.Import{SchoolID: "lifecycle", ID: "IMP1", CreatedAt: t0}, map[roster.Artifact]string{roster.ArtifactUploaded: "x"}), roster.ECONFLICT)

	// Validation: one claim at a time; the same claim may come back.
	if _, err := s.ClaimValidation(ctx, "lifecycle", "IMP1", "upload-a", t0); err != nil {
		t.Fatal(err)
	}
	_, err := s.ClaimValidation(ctx, "lifecycle", "IMP1", "upload-b", t0)
	wantCode(t, "another claim", err, roster.ECONFLICT)
	if _, err := s.ClaimValidation(ctx, "lifecycle", "IMP1", "upload-a", t0); err != nil {
		t.Fatalf("same claim again: %v", err)
	}
	_, err = s.ConfirmImport(ctx, "lifecycle", "IMP1", "head@lifecycle.school", roster.ConfirmOptions{SendInvitations: true}, 2, t0)
	wantCode(t, "confirm while validating", err, roster.ECONFLICT)
	_, err = s.SavePreview(ctx, "lifecycle", "IMP1", "upload-b", roster.PreviewResult{}, t0)
	wantCode(t, "save preview without the claim", err, roster.ECONFLICT)

	preview := roster.PreviewResult{
		Counts:      roster.PreviewCounts{Total: 3, Valid: 2, Invalid: 1},
		ErrorCounts: map[string]int{"Invalid email format": 1},
		Preview:     []roster.PreviewRow{{Row: 3, Status: "invalid", Error: "Invalid email format", Email: "x"}},
		Warnings:    []string{"Ignored columns: Notes"},
		ToImport:    2,
		Artifacts:   map[roster.Artifact]string{roster.ArtifactRows: "artifacts/lifecycle/IMP1/rows.jsonl", roster.ArtifactErrors: "artifacts/lifecycle/IMP1/errors.csv"},
	}
	ready, err := s.SavePreview(ctx, "lifecycle", "IMP1", "upload-a", preview, t0.Add(time.Second))
	if err != nil {
		t.Fatal(err)
	}
	if ready.Status != roster.ImportReady || ready.Counts.Valid != 2 || ready.Progress.Total != 2 || len(ready.Preview) != 1 ||
		ready.Artifacts["rows"] == "" || ready.Artifacts["uploaded"] == "" || ready.Warnings[0] != "Ignored columns: Notes" {
		t.Fatalf("after preview: %+v", ready)
	}

	// Confirm once; a second confirm is refused by the condition.
	q, err := s.ConfirmImport(ctx, "lifecycle", "IMP1", "head@lifecycle.school", roster.ConfirmOptions{}, 2, t0)
	if err != nil || q.Status != roster.ImportQueued || q.SendInvitations || q.ConfirmedBy != "head@lifecycle.school" {
		t.Fatalf("confirm: %+v %v", q, err)
	}
	_, err = s.ConfirmImport(ctx, "lifecycle", "IMP1", "head@lifecycle.school", roster.ConfirmOptions{SendInvitations: true}, 2, t0)
	wantCode(t, "confirm twice", err, roster.ECONFLICT)

	// Import: the record's claim holds it; chunks count once.
	if _, err := s.ClaimImport(ctx, "lifecycle", "IMP1", "seq-1", t0); err != nil {
		t.Fatal(err)
	}
	_, err = s.ClaimImport(ctx, "lifecycle", "IMP1", "seq-2", t0)
	wantCode(t, "claim by another record", err, roster.ECONFLICT)
	// A failed condition on an import that is not there says so, from the
	// same request (ReturnValuesOnConditionCheckFailure), not a conflict.
	_, err = s.ClaimImport(ctx, "lifecycle", "NO-SUCH-IMPORT", "seq-1", t0)
	wantCode(t, "claim a missing import", err, roster.ENOTFOUND)
	_, err = s.ApplyChunk(ctx, "lifecycle", "NO-SUCH-IMPORT", "seq-1", roster.ChunkOutcome{Chunk: 0, Rows: 1}, 0, t0)
	wantCode(t, "apply a chunk of a missing import", err, roster.ENOTFOUND)
	chunk := roster.ChunkOutcome{Chunk: 0, Rows: 2, Created: 1, SkippedInvited: 1, Groups: map[string]int{"students": 1}}
	for i, want := range []bool{true, false} {
		applied, err := s.ApplyChunk(ctx, "lifecycle", "IMP1", "seq-1", chunk, 0, t0)
		if err != nil || applied != want {
			t.Fatalf("apply #%d = %v %v, want %v", i+1, applied, err, want)
		}
	}
	_, err = s.ApplyChunk(ctx, "lifecycle", "IMP1", "seq-2", roster.ChunkOutcome{Chunk: 1, Rows: 1}, 0, t0)
	wantCode(t, "apply by another claim", err, roster.ECONFLICT)

	got, err := s.GetImport(ctx, "lifecycle", "IMP1")
	if err != nil {
		t.Fatal(err)
	}
	if got.Results.Created != 1 || got.Results.SkippedInvited != 1 || got.Progress.Done != 2 || len(got.ChunksDone) != 1 {
		t.Errorf("after chunk: results %+v progress %+v chunks %v", got.Results, got.Progress, got.ChunksDone)
	}
	groups, _ := s.ListGroups(ctx, "lifecycle")
	for _, g := range groups {
		if g.Name == "Students" && g.MemberCount != 1 {
			t.Errorf("Students has %d members, want 1 (counted once)", g.MemberCount)
		}
	}

	// Hand-off and a fresh claim.
	if _, err := s.RequeueImport(ctx, "lifecycle", "IMP1", "seq-1", t0); err != nil {
		t.Fatal(err)
	}
	_, err = s.ClaimImport(ctx, "lifecycle", "IMP1", "seq-1-again-but-stale", t0)
	if err != nil {
		t.Fatal(err)
	}
	done, err := s.CompleteImport(ctx, "lifecycle", "IMP1", "seq-1-again-but-stale", roster.ImportCompleted, "artifacts/lifecycle/IMP1/results.csv", t0)
	if err != nil || done.Status != roster.ImportCompleted || done.Artifacts["results"] == "" || done.CompletedAt == nil {
		t.Fatalf("complete: %+v %v", done, err)
	}
	_, err = s.ClaimImport(ctx, "lifecycle", "IMP1", "seq-1", t0)
	wantCode(t, "claim a completed import", err, roster.ECONFLICT)

	_, err = s.GetImport(ctx, "other-school", "IMP1")
	wantCode(t, "another school's import", err, roster.ENOTFOUND)
}

func TestFailedValidation(t *testing.T) {
	ctx := context.Background()
	s := newStore(t)
	newSchool(t, s, "failing")
	newImport(t, s, "failing", "IMP1", t0)
	if _, err := s.ClaimValidation(ctx, "failing", "IMP1", "u", t0); err != nil {
		t.Fatal(err)
	}
	got, err := s.FailImport(ctx, "failing", "IMP1", "u", "The file is empty.", []roster.ImportStatus{roster.ImportValidating}, t0)
	if err != nil || got.Status != roster.ImportFailed || got.FailureReason != "The file is empty." {
		t.Fatalf("fail: %+v %v", got, err)
	}
	_, err = s.ClaimValidation(ctx, "failing", "IMP1", "u", t0)
	wantCode(t, "claim a failed import", err, roster.ECONFLICT)
}

func TestListImportsNewestFirst(t *testing.T) {
	ctx := context.Background()
	s := newStore(t)
	newSchool(t, s, "history")
	newSchool(t, s, "history-other")
	for i := 0; i < 5; i++ {
		newImport(t, s, "history", fmt.Sprintf("IMP%d", i), t0.Add(time.Duration(i)*time.Minute))
	}
	newImport(t, s, "history-other", "IMP9", t0)
	var ids []string
	cursor := ""
	for pages := 0; ; pages++ {
		page, next, err := s.ListImports(ctx, "history", cursor, 2)
		if err != nil {
			t.Fatal(err)
		}
		for _, imp := range page {
			ids = append(ids, imp.ID)
		}
		if next == "" {
			break
		}
		if pages > 5 {
			t.Fatal("pagination does not end")
		}
		cursor = next
	}
	if fmt.Sprint(ids) != "[IMP4 IMP3 IMP2 IMP1 IMP0]" {
		t.Errorf("history = %v, want newest first and only this school's", ids)
	}
	_, _, err := s.ListImports(ctx, "history", "not-a-cursor!", 2)
	wantCode(t, "bad cursor", err, roster.EINVALID)
}

// TestSavePreviewTooLarge: DynamoDB refuses an import item over 400 KB; the
// store says so with ETOOLARGE (no retry can mend it), and the import stays
// as it was for the preview to fail it with a reason.
func TestSavePreviewTooLarge(t *testing.T) {
	ctx := context.Background()
	s := newStore(t)
	newSchool(t, s, "toolarge")
	newImport(t, s, "toolarge", "IMP1", t0)
	if _, err := s.ClaimValidation(ctx, "toolarge", "IMP1", "up", t0); err != nil {
		t.Fatal(err)
	}
	errs := map[string]int{}
	for i := range 500 {
		errs[fmt.Sprintf("Unknown group: %04d %s", i, strings.Repeat("x", 1000))] = 1
	}
	_, err := s.SavePreview(ctx, "toolarge", "IMP1", "up", roster.PreviewResult{ErrorCounts: errs}, t0)
	wantCode(t, "an oversized preview", err, roster.ETOOLARGE)
	if _, err := s.FailImport(ctx, "toolarge", "IMP1", "up", "too big", []roster.ImportStatus{roster.ImportValidating}, t0); err != nil {
		t.Fatal(err)
	}
	if imp, _ := s.GetImport(ctx, "toolarge", "IMP1"); imp.Status != roster.ImportFailed || imp.FailureReason != "too big" {
		t.Fatalf("after the failure: %+v", imp)
	}
}
