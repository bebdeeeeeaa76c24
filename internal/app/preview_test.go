package app

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"maps"
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
	members map[string]roster.MemberState // the school's users, by email
	ids     map[string]string             // user id -> email
	reads   int                           // items SchoolDirectory read
}

func (f *fakePreviewStore) SchoolDirectory(_ context.Context, _ string, maxItems int) (map[string]roster.MemberState, map[string]string, bool, error) {
	n := len(f.members) + len(f.ids)
	f.reads += min(n, maxItems+1)
	if n > maxItems {
		return nil, nil, false, nil
	}
	return f.members, f.ids, true, nil
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
func (f *fakePreviewStore) MemberStates(_ context.Context, _ string, emails []string, _ bool) (map[string]roster.MemberState, error) {
	out := map[string]roster.MemberState{}
	for _, e := range emails {
		if m, ok := f.members[e]; ok {
			out[e] = m
		}
	}
	return out, nil
}
func (f *fakePreviewStore) UserIDs(_ context.Context, _ string, ids []string) (map[string]string, error) {
	out := map[string]string{}
	for _, id := range ids {
		if e, ok := f.ids[id]; ok {
			out[id] = e
		}
	}
	return out, nil
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

// TestPreviewLookupChoice: the preview reads the whole school when that is
// cheaper than looking up the file's people, and looks them up in batches
// otherwise; either way it answers the same.
func TestPreviewLookupChoice(t *testing.T) {
	school := func(n int) *fakePreviewStore {
		f := &fakePreviewStore{members: map[string]roster.MemberState{}, ids: map[string]string{}}
		for i := range n {
			e := fmt.Sprintf("p%d@hill.school", i)
			f.members[e] = roster.MemberState{Status: roster.StatusActive}
			f.ids[fmt.Sprint("U", i)] = e
		}
		return f
	}
	tests := []struct {
		name      string
		users     int
		fileBytes int64
		wantWhole bool
	}{
		{name: "a new school and a large file: one read of nothing", users: 0, fileBytes: 15_000_000, wantWhole: true},
		{name: "a school of 50,000 and a file of 500,000 rows", users: 50_000, fileBytes: 15_000_000, wantWhole: true},
		{name: "a school of 50,000 and a file of 20 rows", users: 50_000, fileBytes: 600, wantWhole: false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			store := school(tt.users)
			run := &previewRun{p: &Previewer{Store: store, Log: slog.New(slog.NewTextHandler(io.Discard, nil))},
				log: slog.New(slog.NewTextHandler(io.Discard, nil)), imp: roster.Import{SchoolID: "s1"}}
			dir, err := run.directory(context.Background(), tt.fileBytes, nil)
			if err != nil {
				t.Fatal(err)
			}
			if _, whole := dir.(schoolDirectory); whole != tt.wantWhole {
				t.Fatalf("read the whole school = %v, want %v", whole, tt.wantWhole)
			}
			if max := lookupBudget(tt.fileBytes) + 1; store.reads > max {
				t.Errorf("read %d items, more than the budget %d", store.reads, max)
			}
			got, err := dir.Members(context.Background(), []string{"p1@hill.school", "nobody@hill.school"})
			if err != nil {
				t.Fatal(err)
			}
			status := map[string]roster.UserStatus{}
			for e, st := range got {
				status[e] = st.Status
			}
			want := map[string]roster.UserStatus{}
			if tt.users > 1 {
				want["p1@hill.school"] = roster.StatusActive
			}
			if !maps.Equal(status, want) {
				t.Errorf("Members = %v, want %v", got, want)
			}
			ids, _ := dir.UserIDs(context.Background(), []string{"U1", "U999999"})
			if wantID := map[string]string{}; tt.users > 1 {
				wantID["U1"] = "p1@hill.school"
				if !maps.Equal(ids, wantID) {
					t.Errorf("UserIDs = %v, want %v", ids, wantID)
				}
			}
		})
	}
}
