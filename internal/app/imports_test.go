package app

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"github.com/schoolroster/rosterimport/internal/csvimport"
	"github.com/schoolroster/rosterimport/internal/roster"
)

// fakeImportStore is an ImportStore whose behaviour tests set with functions;
// role checks find one owner, owner@hill.school of school s1.
type fakeImportStore struct {
	fakeSchoolStore
	createImport  func(imp roster.Import, artifacts map[roster.Artifact]string) error
	getImport     func(schoolID, importID string) (roster.Import, error)
	listImports   func(schoolID, cursor string, limit int) ([]roster.Import, string, error)
	confirmImport func(schoolID, importID, by string, send bool) (roster.Import, error)
}

var _ ImportStore = (*fakeImportStore)(nil)

func (f *fakeImportStore) CreateImport(_ context.Context, imp roster.Import, a map[roster.Artifact]string) error {
	return f.createImport(imp, a)
}
func (f *fakeImportStore) GetImport(_ context.Context, schoolID, importID string) (roster.Import, error) {
	return f.getImport(schoolID, importID)
}
func (f *fakeImportStore) ListImports(_ context.Context, schoolID, cursor string, limit int) ([]roster.Import, string, error) {
	return f.listImports(schoolID, cursor, limit)
}
func (f *fakeImportStore) ConfirmImport(_ context.Context, schoolID, importID, by string, opts roster.ConfirmOptions, _ int, _ time.Time) (roster.Import, error) {
	return f.confirmImport(schoolID, importID, by, opts.SendInvitations)
}

// fakeImportFiles is an ImportFiles whose behaviour tests set with functions.
type fakeImportFiles struct {
	presignPut func(key string, size int64) (string, map[string]string, error)
	presignGet func(key, fileName string) (string, error)
	exists     func(key string) (bool, error)
	put        func(key string, body []byte) error
	signedType string // the content type of the last PresignPut
}

var _ ImportFiles = (*fakeImportFiles)(nil)

func (f *fakeImportFiles) PresignPut(_ context.Context, key string, size int64, contentType string, _ time.Duration) (string, map[string]string, error) {
	f.signedType = contentType
	return f.presignPut(key, size)
}
func (f *fakeImportFiles) PresignGet(_ context.Context, key, fileName string, _ time.Duration) (string, error) {
	return f.presignGet(key, fileName)
}
func (f *fakeImportFiles) Exists(_ context.Context, key string) (bool, error) { return f.exists(key) }
func (f *fakeImportFiles) Put(_ context.Context, key string, body []byte, _ string) error {
	return f.put(key, body)
}

var owner = Caller{Email: "owner@hill.school", EmailVerified: true, Sub: "sub-owner"}

// ownerOnly finds owner@hill.school as the active owner of s1 and nobody else.
func ownerOnly(schoolID, email string) (roster.Member, error) {
	if schoolID == "s1" && email == "owner@hill.school" {
		return roster.Member{SchoolID: schoolID, Email: email, Role: roster.RoleOwner, Status: roster.StatusActive}, nil
	}
	return roster.Member{}, roster.Errorf(roster.ENOTFOUND, "User not found.")
}

var t0 = time.Date(2026, 9, 1, 8, 0, 0, 0, time.UTC)

func newImports(store *fakeImportStore, files *fakeImportFiles) *Imports {
	store.getMember = ownerOnly
	return &Imports{
		Store: store, Files: files, Now: func() time.Time { return t0 }, NewID: func() string { return "IMP1" },
		MaxUploadBytes: 1 << 20, UploadExpiry: 10 * time.Minute, DownloadExpiry: 5 * time.Minute,
	}
}

func wantCode(t *testing.T, err error, want string) {
	t.Helper()
	if got := roster.ErrorCode(err); got != want {
		t.Fatalf("error = %v (code %q), want code %q", err, got, want)
	}
}

func TestImportsStart(t *testing.T) {
	csv := func(s string) *string { return &s }
	tests := []struct {
		name        string
		caller      Caller
		req         StartImport
		wantCode    string
		wantMessage string
		wantName    string
		wantPut     string // pasted text stored at once
		wantUpload  bool
	}{
		{"upload", owner, StartImport{Kind: "users", FileName: `C:\exports\users.csv`, Size: 120}, "", "", "users.csv", "", true},
		{"paste", owner, StartImport{Kind: "users", CSV: csv("email\nzoe@hill.school\n")}, "", "", "pasted.csv", "email\nzoe@hill.school\n", false},
		{"no sign-in", Caller{}, StartImport{Kind: "users", FileName: "u.csv", Size: 1}, roster.EUNAUTHORIZED, "Sign in to continue.", "", "", false},
		{"not an admin", Caller{Email: "eve@hill.school", EmailVerified: true, Sub: "sub-eve"}, StartImport{Kind: "users", FileName: "u.csv", Size: 1}, roster.EFORBIDDEN, "", "", "", false},
		{"no kind", owner, StartImport{FileName: "u.csv", Size: 1}, roster.EINVALID, `kind is required: "users" or "relationships".`, "", "", false},
		{"unknown kind", owner, StartImport{Kind: "teachers", FileName: "u.csv", Size: 1}, roster.EINVALID, `Unknown kind "teachers": use "users" or "relationships".`, "", "", false},
		{"relationships", owner, StartImport{Kind: "relationships", FileName: "links.csv", Size: 120}, "", "", "links.csv", "", true},
		{"both paste and size", owner, StartImport{Kind: "users", CSV: csv("email\n"), Size: 5}, roster.EINVALID, "Send either csv text or a file size, not both.", "", "", false},
		{"blank paste", owner, StartImport{Kind: "users", CSV: csv(" \n ")}, roster.EINVALID, "The pasted text is empty.", "", "", false},
		{"paste too big", owner, StartImport{Kind: "users", CSV: csv(strings.Repeat("a", MaxPasteBytes+1))}, roster.ETOOLARGE, "Pasted text is limited to 1 MB. Upload the file instead.", "", "", false},
		{"no file name", owner, StartImport{Kind: "users", Size: 10}, roster.EINVALID, "fileName is required.", "", "", false},
		{"no size", owner, StartImport{Kind: "users", FileName: "u.csv"}, roster.EINVALID, "size is required: the file's size in bytes.", "", "", false},
		{"too big", owner, StartImport{Kind: "users", FileName: "u.csv", Size: 3 << 20}, roster.ETOOLARGE,
			"The file is 3.0 MB; the most you can upload is 1.0 MB. Split it into smaller files.", "", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var created []roster.Import
			var artifacts map[roster.Artifact]string
			var putKey, putBody string
			store := &fakeImportStore{createImport: func(imp roster.Import, a map[roster.Artifact]string) error {
				created, artifacts = append(created, imp), a
				return nil
			}}
			files := &fakeImportFiles{
				put: func(key string, body []byte) error { putKey, putBody = key, string(body); return nil },
				presignPut: func(key string, size int64) (string, map[string]string, error) {
					return "https://s3.school/" + key, map[string]string{"content-length": "120"}, nil
				},
			}
			got, err := newImports(store, files).Start(context.Background(), tt.caller, "s1", tt.req)
			if tt.wantCode != "" {
				wantCode(t, err, tt.wantCode)
				if tt.wantMessage != "" && roster.ErrorMessage(err) != tt.wantMessage {
					t.Errorf("message = %q, want %q", roster.ErrorMessage(err), tt.wantMessage)
				}
				if len(created) != 0 || putKey != "" {
					t.Errorf("a refused request changed something: created %v, put %q", created, putKey)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if len(created) != 1 || got.ID != "IMP1" || got.FileName != tt.wantName || got.Status != roster.ImportAwaitingUpload ||
				got.UploadedBy != "owner@hill.school" || !got.CreatedAt.Equal(t0) {
				t.Errorf("import = %+v (created %d)", got.Import, len(created))
			}
			if artifacts[roster.ArtifactUploaded] != "uploads/s1/IMP1" {
				t.Errorf("artifacts = %v, want the upload key uploads/s1/IMP1", artifacts)
			}
			if putBody != tt.wantPut || (tt.wantPut != "" && putKey != "uploads/s1/IMP1") {
				t.Errorf("stored %q at %q, want %q", putBody, putKey, tt.wantPut)
			}
			if (got.Upload != nil) != tt.wantUpload {
				t.Fatalf("upload = %+v, want one: %v", got.Upload, tt.wantUpload)
			}
			if got.Upload != nil && (got.Upload.URL != "https://s3.school/uploads/s1/IMP1" || got.Upload.Method != "PUT" || !got.Upload.ExpiresAt.Equal(t0.Add(10*time.Minute))) {
				t.Errorf("upload = %+v", got.Upload)
			}
		})
	}
}

func TestImportsConfirm(t *testing.T) {
	tests := []struct {
		name        string
		states      []roster.ImportStatus // what GetImport returns, call by call
		confirmErr  error
		wantChanged bool
		wantCode    string
		wantMessage string
	}{
		{"ready", []roster.ImportStatus{roster.ImportReady}, nil, true, "", ""},
		{"confirmed already", []roster.ImportStatus{roster.ImportImporting}, nil, false, "", ""},
		{"raced: someone else confirmed it", []roster.ImportStatus{roster.ImportReady, roster.ImportQueued},
			roster.Errorf(roster.ECONFLICT, "moved"), false, "", ""},
		{"awaiting upload", []roster.ImportStatus{roster.ImportAwaitingUpload}, nil, false, roster.ECONFLICT, "The file has not been uploaded yet."},
		{"validating", []roster.ImportStatus{roster.ImportValidating}, nil, false, roster.ECONFLICT,
			"The file is still being checked. Confirm once the preview is ready."},
		{"failed", []roster.ImportStatus{roster.ImportFailed}, nil, false, roster.ECONFLICT,
			"This import cannot be confirmed: The file is empty. Upload a corrected file as a new import."},
		{"keeps changing", []roster.ImportStatus{roster.ImportReady, roster.ImportReady},
			roster.Errorf(roster.ECONFLICT, "moved"), false, roster.ECONFLICT, "The import changed while it was being confirmed. Try again."},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			calls := 0
			var confirmedBy string
			store := &fakeImportStore{
				getImport: func(schoolID, importID string) (roster.Import, error) {
					st := tt.states[min(calls, len(tt.states)-1)]
					calls++
					return roster.Import{SchoolID: schoolID, ID: importID, Status: st, FailureReason: "The file is empty."}, nil
				},
				confirmImport: func(schoolID, importID, by string, send bool) (roster.Import, error) {
					if tt.confirmErr != nil {
						return roster.Import{}, tt.confirmErr
					}
					confirmedBy = by
					return roster.Import{SchoolID: schoolID, ID: importID, Status: roster.ImportQueued, SendInvitations: send}, nil
				},
			}
			imp, changed, err := newImports(store, &fakeImportFiles{}).Confirm(context.Background(), owner, "s1", "IMP1", roster.ConfirmOptions{SendInvitations: true})
			if tt.wantCode != "" {
				wantCode(t, err, tt.wantCode)
				if roster.ErrorMessage(err) != tt.wantMessage {
					t.Errorf("message = %q, want %q", roster.ErrorMessage(err), tt.wantMessage)
				}
				return
			}
			if err != nil || changed != tt.wantChanged || !imp.Status.Confirmed() {
				t.Fatalf("Confirm = %s, changed %v, %v; want changed %v", imp.Status, changed, err, tt.wantChanged)
			}
			if changed && (confirmedBy != "owner@hill.school" || !imp.SendInvitations) {
				t.Errorf("confirmed by %q, send %v", confirmedBy, imp.SendInvitations)
			}
		})
	}
	t.Run("not an admin", func(t *testing.T) {
		_, _, err := newImports(&fakeImportStore{}, &fakeImportFiles{}).Confirm(context.Background(), Caller{Email: "eve@hill.school", EmailVerified: true, Sub: "sub-eve"}, "s1", "IMP1", roster.ConfirmOptions{SendInvitations: true})
		wantCode(t, err, roster.EFORBIDDEN)
	})
}

func TestImportsList(t *testing.T) {
	tests := []struct {
		name      string
		limit     int
		wantLimit int
		wantCode  string
	}{
		{"default", 0, 20, ""},
		{"one", 1, 1, ""},
		{"most", 100, 100, ""},
		{"too many", 101, 0, roster.EINVALID},
		{"negative", -1, 0, roster.EINVALID},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			gotLimit := 0
			store := &fakeImportStore{listImports: func(schoolID, cursor string, limit int) ([]roster.Import, string, error) {
				gotLimit = limit
				return []roster.Import{{ID: "B"}, {ID: "A"}}, "next", nil
			}}
			page, err := newImports(store, &fakeImportFiles{}).List(context.Background(), owner, "s1", "c", tt.limit)
			if tt.wantCode != "" {
				wantCode(t, err, tt.wantCode)
				return
			}
			if err != nil || gotLimit != tt.wantLimit || len(page.Imports) != 2 || page.NextCursor != "next" {
				t.Errorf("List = %+v, %v with limit %d; want limit %d", page, err, gotLimit, tt.wantLimit)
			}
		})
	}
}

func TestImportsFileURL(t *testing.T) {
	full := map[roster.Artifact]string{
		roster.ArtifactUploaded: "uploads/s1/IMP1", roster.ArtifactRows: "artifacts/s1/IMP1/rows.jsonl",
		roster.ArtifactErrors: "artifacts/s1/IMP1/errors.csv", roster.ArtifactResults: "artifacts/s1/IMP1/results.csv",
	}
	tests := []struct {
		name        string
		file        string
		artifacts   map[roster.Artifact]string
		exists      bool
		wantKey     string
		wantName    string
		wantMessage string
	}{
		{"uploaded", "uploaded", full, true, "uploads/s1/IMP1", "Year 7 users.csv", ""},
		{"errors", "errors", full, true, "artifacts/s1/IMP1/errors.csv", "Year 7 users-errors.csv", ""},
		{"results", "results", full, true, "artifacts/s1/IMP1/results.csv", "Year 7 users-results.csv", ""},
		{"rows are not for download", "rows", full, true, "", "", `No such file: use "uploaded", "errors" or "results".`},
		{"unknown", "secrets", full, true, "", "", `No such file: use "uploaded", "errors" or "results".`},
		{"errors not made yet", "errors", map[roster.Artifact]string{roster.ArtifactUploaded: "uploads/s1/IMP1"}, true, "", "",
			"The error file is made when the preview is ready."},
		{"results not made yet", "results", map[roster.Artifact]string{roster.ArtifactUploaded: "uploads/s1/IMP1"}, true, "", "",
			"The results file is made when the import has completed."},
		{"upload missing", "uploaded", full, false, "", "", "The file has not been uploaded, or has been deleted after the retention period."},
		{"expired", "results", full, false, "", "", "The file has been deleted after the retention period."},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			store := &fakeImportStore{getImport: func(schoolID, importID string) (roster.Import, error) {
				return roster.Import{SchoolID: schoolID, ID: importID, FileName: "Year 7 users.csv", Artifacts: tt.artifacts}, nil
			}}
			var gotKey, gotName string
			files := &fakeImportFiles{
				exists: func(string) (bool, error) { return tt.exists, nil },
				presignGet: func(key, name string) (string, error) {
					gotKey, gotName = key, name
					return "https://s3.school/" + key, nil
				},
			}
			url, err := newImports(store, files).FileURL(context.Background(), owner, "s1", "IMP1", tt.file)
			if tt.wantMessage != "" {
				wantCode(t, err, roster.ENOTFOUND)
				if roster.ErrorMessage(err) != tt.wantMessage {
					t.Errorf("message = %q, want %q", roster.ErrorMessage(err), tt.wantMessage)
				}
				return
			}
			if err != nil || gotKey != tt.wantKey || gotName != tt.wantName || url != "https://s3.school/"+tt.wantKey {
				t.Errorf("FileURL = %q, %v (key %q, name %q); want key %q, name %q", url, err, gotKey, gotName, tt.wantKey, tt.wantName)
			}
		})
	}
}

func TestImportsTemplate(t *testing.T) {
	store := &fakeImportStore{}
	store.listGroups = func(string) ([]roster.Group, error) {
		return []roster.Group{{Name: "Clubs"}, {Name: "parents"}, {Name: "Staff"}, {Name: "Students"}}, nil
	}
	im := newImports(store, &fakeImportFiles{})
	tests := []struct {
		name      string
		wantFirst string
		wantIn    string
		wantCode  string
	}{
		{"users.csv", "email,first_name,last_name,group", "Students", ""},
		{"relationships.csv", "student_email,parent_email,relationship_type", "", ""},
		{"other.csv", "", "", roster.ENOTFOUND},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b, err := im.Template(context.Background(), owner, "s1", tt.name)
			if tt.wantCode != "" {
				wantCode(t, err, tt.wantCode)
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			first, _, _ := strings.Cut(strings.TrimPrefix(string(b), "\uFEFF"), "\r\n")
			if first != tt.wantFirst || !strings.Contains(string(b), tt.wantIn) {
				t.Errorf("template = %q; want header %q and %q in it", b, tt.wantFirst, tt.wantIn)
			}
		})
	}
	t.Run("default groups first, then the school's own", func(t *testing.T) {
		groups, _ := store.listGroups("s1")
		got := strings.Join(orderedGroupNames(groups), ",")
		if want := "Students,Staff,parents,Clubs"; got != want {
			t.Errorf("orderedGroupNames = %s, want %s", got, want)
		}
	})
	t.Run("not an admin", func(t *testing.T) {
		_, err := im.Template(context.Background(), Caller{Email: "eve@hill.school", EmailVerified: true, Sub: "sub-eve"}, "s1", "users.csv")
		wantCode(t, err, roster.EFORBIDDEN)
	})
	for _, tt := range []struct{ name, wantHeader, wantIn string }{
		{"users.xlsx", "email|first_name|last_name|group", "Students"},
		{"relationships.xlsx", "student_email|parent_email|relationship_type", "guardian"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			b, err := im.Template(context.Background(), owner, "s1", tt.name)
			if err != nil {
				t.Fatal(err)
			}
			rd, err := csvimport.NewReader(bytes.NewReader(b), csvimport.Limits{})
			if err != nil {
				t.Fatal(err)
			}
			defer rd.Close()
			rec, err := rd.Next()
			if got := strings.Join(rd.Header, "|"); err != nil || got != tt.wantHeader || rd.Encoding != csvimport.EncodingXLSX || !strings.Contains(strings.Join(rec.Cells, "|"), tt.wantIn) {
				t.Errorf("template reads as %q (%s), first row %q, %v", got, rd.Encoding, rec.Cells, err)
			}
			if ct := TemplateContentType(tt.name); ct != ContentTypeXLSX {
				t.Errorf("content type %q", ct)
			}
		})
	}
}

func TestUploadContentType(t *testing.T) {
	for name, want := range map[string]string{
		"users.csv": "text/csv", "Users.XLSX": ContentTypeXLSX, "list.xlsx": ContentTypeXLSX, "export.txt": "text/csv", "pasted.csv": "text/csv",
	} {
		if got := UploadContentType(name); got != want {
			t.Errorf("UploadContentType(%q) = %q, want %q", name, got, want)
		}
	}
	files := &fakeImportFiles{presignPut: func(key string, size int64) (string, map[string]string, error) {
		return "https://s3.school/" + key, map[string]string{}, nil
	}}
	im := newImports(&fakeImportStore{createImport: func(roster.Import, map[roster.Artifact]string) error { return nil }}, files)
	if _, err := im.Start(context.Background(), owner, "s1", StartImport{Kind: "users", FileName: "roster.xlsx", Size: 5000}); err != nil {
		t.Fatal(err)
	}
	if files.signedType != ContentTypeXLSX {
		t.Errorf("the upload is signed for %q", files.signedType)
	}
}

func TestCleanFileName(t *testing.T) {
	tests := []struct{ in, want string }{
		{"users.csv", "users.csv"},
		{`C:\Users\ann\Desktop\users.csv`, "users.csv"},
		{"../../etc/passwd", "passwd"},
		{"a\"b\x00c\r\n.csv", "abc.csv"},
		{"  spaced.csv  ", "spaced.csv"},
		{"/", ""},
		{".", ""},
		{"", ""},
		{strings.Repeat("é", 250) + ".csv", strings.Repeat("é", 200)},
	}
	for _, tt := range tests {
		if got := cleanFileName(tt.in); got != tt.want {
			t.Errorf("cleanFileName(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}
