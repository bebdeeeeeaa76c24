package app

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/schoolroster/rosterimport/internal/csvimport"
	"github.com/schoolroster/rosterimport/internal/roster"
)

// fakePreviewStore is a PreviewStore whose SavePreview answers saveErr.
type fakePreviewStore struct {
	fakeUsers
	saveErr error
	failed  string
}

var _ PreviewStore = (*fakePreviewStore)(nil)

func (f *fakePreviewStore) ClaimValidation(_ context.Context, schoolID, importID, _ string, _ time.Time) (roster.Import, error) {
	return roster.Import{SchoolID: schoolID, ID: importID, Kind: roster.KindUsers, Status: roster.ImportValidating}, nil
}
func (f *fakePreviewStore) SavePreview(context.Context, string, string, string, roster.PreviewResult, time.Time) (roster.Import, error) {
	return roster.Import{}, f.saveErr
}
func (f *fakePreviewStore) FailImport(_ context.Context, _, _, _, reason string, _ []roster.ImportStatus, _ time.Time) (roster.Import, error) {
	f.failed = reason
	return roster.Import{}, nil
}
func (f *fakePreviewStore) MemberStates(context.Context, string, []string) (map[string]roster.MemberState, error) {
	return nil, nil
}
func (f *fakePreviewStore) UserIDs(context.Context, string, []string) (map[string]string, error) {
	return nil, nil
}
func (f *fakePreviewStore) Relationships(context.Context, string, []roster.Pair, bool) (map[roster.Pair]roster.Relationship, error) {
	return nil, nil
}

// memFiles is ArtifactFiles over memory.
type memFiles struct{ objects map[string][]byte }

type memWriter struct {
	bytes.Buffer
	files *memFiles
	key   string
}

func (w *memWriter) Close() error { w.files.objects[w.key] = w.Bytes(); return nil }
func (w *memWriter) Abort()       {}

func (m *memFiles) Open(_ context.Context, key string) (io.ReadCloser, int64, error) {
	b, ok := m.objects[key]
	if !ok {
		return nil, 0, roster.Errorf(roster.ENOTFOUND, "no such object")
	}
	return io.NopCloser(bytes.NewReader(b)), int64(len(b)), nil
}
func (m *memFiles) Create(_ context.Context, key, _ string) ArtifactWriter {
	return &memWriter{files: m, key: key}
}

func TestPreviewThatCannotBeSavedFailsWithAReason(t *testing.T) {
	for _, tt := range []struct {
		name       string
		saveErr    error
		wantFailed string
		wantErr    bool
	}{
		{"too large for the item", roster.Errorf(roster.ETOOLARGE, "too large"),
			"The preview of this file is too large to keep. Split the file into smaller files and upload each one.", false},
		{"a fault is retried", roster.Internal(io.ErrUnexpectedEOF), "", true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			store := &fakePreviewStore{fakeUsers: *everyone(), saveErr: tt.saveErr}
			files := &memFiles{objects: map[string][]byte{"uploads/s1/IMP1": []byte("email\nzoe@hill.school\n")}}
			p := &Previewer{Store: store, Files: files, Now: func() time.Time { return t0 }, Limits: csvimport.DefaultLimits(),
				Log: slog.New(slog.NewTextHandler(io.Discard, nil))}
			err := p.Uploaded(context.Background(), "uploads/s1/IMP1", 20, "seq")
			if (err != nil) != tt.wantErr || store.failed != tt.wantFailed {
				t.Errorf("Uploaded = %v, failed with %q; want error %v, failed with %q", err, store.failed, tt.wantErr, tt.wantFailed)
			}
			if !strings.Contains(string(files.objects["artifacts/s1/IMP1/rows.jsonl"]), "zoe@hill.school") {
				t.Error("the rows file was not written")
			}
		})
	}
}
