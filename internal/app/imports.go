package app

import (
	"bytes"
	"context"
	"fmt"
	"path"
	"strings"
	"time"
	"unicode"

	"github.com/schoolroster/rosterimport/internal/csvimport"
	"github.com/schoolroster/rosterimport/internal/roster"
)

// ImportStore is what the import routes need from storage.
type ImportStore interface {
	SchoolStore
	CreateImport(ctx context.Context, imp roster.Import, artifacts map[roster.Artifact]string) error
	// GetImport returns ENOTFOUND for an id that is not one of the school's imports.
	GetImport(ctx context.Context, schoolID, importID string) (roster.Import, error)
	ListImports(ctx context.Context, schoolID, cursor string, limit int) ([]roster.Import, string, error)
	// ConfirmImport queues the import with the options and the rows it will
	// import; it returns ECONFLICT unless the import is ready.
	ConfirmImport(ctx context.Context, schoolID, importID, by string, opts roster.ConfirmOptions, total int, now time.Time) (roster.Import, error)
}

// ImportFiles is what the import routes need from object storage.
type ImportFiles interface {
	// PresignPut signs a PUT of exactly size bytes to key.
	PresignPut(ctx context.Context, key string, size int64, contentType string, expires time.Duration) (url string, headers map[string]string, err error)
	PresignGet(ctx context.Context, key, fileName string, expires time.Duration) (string, error)
	Exists(ctx context.Context, key string) (bool, error)
	Put(ctx context.Context, key string, body []byte, contentType string) error
}

// Object keys. Uploads land under uploads/, where the preview function is
// subscribed; what the service writes goes under artifacts/.
func uploadKey(schoolID, importID string) string { return "uploads/" + schoolID + "/" + importID }

func artifactKey(schoolID, importID string, a roster.Artifact) string {
	return "artifacts/" + schoolID + "/" + importID + "/" + artifactFiles[a]
}

// artifactFiles are the object names of the artifacts the service writes.
var artifactFiles = map[roster.Artifact]string{
	roster.ArtifactRows:    "rows.jsonl",
	roster.ArtifactErrors:  "errors.csv",
	roster.ArtifactResults: "results.csv",
}

// ParseUploadKey returns the school and import of an upload's object key.
func ParseUploadKey(key string) (schoolID, importID string, ok bool) {
	parts := strings.Split(key, "/")
	if len(parts) != 3 || parts[0] != "uploads" || !roster.ValidID(parts[1]) || !roster.ValidID(parts[2]) {
		return "", "", false
	}
	return parts[1], parts[2], true
}

// MaxPasteBytes is the most CSV text the API takes in a request body.
const MaxPasteBytes = 1 << 20

// Imports serves the import routes.
type Imports struct {
	Store          ImportStore
	Files          ImportFiles
	Now            func() time.Time
	NewID          func() string
	MaxUploadBytes int64
	UploadExpiry   time.Duration // presigned PUT; at most 15 minutes
	DownloadExpiry time.Duration // presigned GET of files
}

// StartImport is a request for a new import: a file to upload (FileName and
// Size) or pasted CSV text (CSV).
type StartImport struct {
	Kind     string  `json:"kind"`
	FileName string  `json:"fileName"`
	Size     int64   `json:"size"`
	CSV      *string `json:"csv"`
}

// ImportView is an import as the API shows it, with the upload to make when
// the client sends a file.
type ImportView struct {
	roster.Import
	Upload *UploadInstructions `json:"upload,omitempty"`
}

// UploadInstructions say how to send the file: a PUT of the file's bytes to
// URL with exactly these headers, before ExpiresAt.
type UploadInstructions struct {
	URL       string            `json:"url"`
	Method    string            `json:"method"`
	Headers   map[string]string `json:"headers"`
	ExpiresAt time.Time         `json:"expiresAt"`
}

// Start creates an import: it returns a presigned upload for a file, or
// stores pasted text at once (the preview follows either way).
// Errors: EUNAUTHORIZED, EFORBIDDEN; EINVALID for a missing or bad field;
// ETOOLARGE over the size limits; EINTERNAL.
func (im *Imports) Start(ctx context.Context, caller Caller, schoolID string, req StartImport) (ImportView, error) {
	admin, err := authorizeAdmin(ctx, im.Store, caller, schoolID)
	if err != nil {
		return ImportView{}, err
	}
	kind := roster.ImportKind(req.Kind)
	switch kind {
	case roster.KindUsers, roster.KindRelationships:
	case "":
		return ImportView{}, roster.Errorf(roster.EINVALID, `kind is required: "users" or "relationships".`)
	default:
		return ImportView{}, roster.Errorf(roster.EINVALID, `Unknown kind %q: use "users" or "relationships".`, roster.Clip(req.Kind, 40))
	}
	name := cleanFileName(req.FileName)
	var body []byte
	switch {
	case req.CSV != nil && req.Size != 0:
		return ImportView{}, roster.Errorf(roster.EINVALID, "Send either csv text or a file size, not both.")
	case req.CSV != nil:
		body = []byte(*req.CSV)
		if len(bytes.TrimSpace(body)) == 0 {
			return ImportView{}, roster.Errorf(roster.EINVALID, "The pasted text is empty.")
		}
		if len(body) > MaxPasteBytes {
			return ImportView{}, roster.Errorf(roster.ETOOLARGE, "Pasted text is limited to 1 MB. Upload the file instead.")
		}
		if name == "" {
			name = "pasted.csv"
		}
		req.Size = int64(len(body))
	case name == "":
		return ImportView{}, roster.Errorf(roster.EINVALID, "fileName is required.")
	case req.Size <= 0:
		return ImportView{}, roster.Errorf(roster.EINVALID, "size is required: the file's size in bytes.")
	case req.Size > im.MaxUploadBytes:
		return ImportView{}, roster.Errorf(roster.ETOOLARGE, "The file is %s; the most you can upload is %s. Split it into smaller files.",
			humanSize(req.Size), humanSize(im.MaxUploadBytes))
	}
	now := im.Now().UTC()
	imp := roster.Import{
		SchoolID: schoolID, ID: im.NewID(), Kind: kind, Status: roster.ImportAwaitingUpload,
		FileName: name, DeclaredSize: req.Size, UploadedBy: admin.Email, CreatedAt: now, UpdatedAt: now,
	}
	key := uploadKey(schoolID, imp.ID)
	if err := im.Store.CreateImport(ctx, imp, map[roster.Artifact]string{roster.ArtifactUploaded: key}); err != nil {
		return ImportView{}, err
	}
	if body != nil {
		if err := im.Files.Put(ctx, key, body, "text/csv"); err != nil {
			return ImportView{}, err
		}
		return ImportView{Import: imp}, nil
	}
	url, headers, err := im.Files.PresignPut(ctx, key, req.Size, UploadContentType(name), im.UploadExpiry)
	if err != nil {
		return ImportView{}, err
	}
	return ImportView{Import: imp, Upload: &UploadInstructions{URL: url, Method: "PUT", Headers: headers, ExpiresAt: now.Add(im.UploadExpiry)}}, nil
}

// cleanFileName keeps the base name of what the client sent, without
// control characters, at most 200 characters; it is shown back and used as
// a download name, never as a key.
func cleanFileName(s string) string {
	// A Windows path's separators become slashes first, so that only the
	// base name is kept.
	s = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) || r == '"' {
			return -1
		}
		return r
	}, strings.ReplaceAll(s, "\\", "/"))
	s = strings.TrimSpace(path.Base(s))
	if s == "." || s == "/" {
		return ""
	}
	return roster.Clip(s, 200)
}

func humanSize(n int64) string {
	switch {
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.1f KB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%d bytes", n)
}

// Get returns one of the school's imports.
// Errors: EUNAUTHORIZED, EFORBIDDEN; ENOTFOUND (also for another school's id); EINTERNAL.
func (im *Imports) Get(ctx context.Context, caller Caller, schoolID, importID string) (roster.Import, error) {
	if _, err := authorizeAdmin(ctx, im.Store, caller, schoolID); err != nil {
		return roster.Import{}, err
	}
	return im.Store.GetImport(ctx, schoolID, importID)
}

// ImportPage is a page of the import history.
type ImportPage struct {
	Imports    []roster.Import `json:"imports"`
	NextCursor string          `json:"nextCursor,omitempty"`
}

// List returns the school's imports, newest first, limit (1-100, default 20) at a time.
// Errors: EUNAUTHORIZED, EFORBIDDEN; EINVALID for a bad cursor or limit; EINTERNAL.
func (im *Imports) List(ctx context.Context, caller Caller, schoolID, cursor string, limit int) (ImportPage, error) {
	if _, err := authorizeAdmin(ctx, im.Store, caller, schoolID); err != nil {
		return ImportPage{}, err
	}
	if limit == 0 {
		limit = 20
	}
	if limit < 1 || limit > 100 {
		return ImportPage{}, roster.Errorf(roster.EINVALID, "limit must be between 1 and 100.")
	}
	imports, next, err := im.Store.ListImports(ctx, schoolID, cursor, limit)
	if err != nil {
		return ImportPage{}, err
	}
	return ImportPage{Imports: imports, NextCursor: next}, nil
}

// Confirm queues a ready import with the administrator's options (the
// caller's defaults: send invitations, do not update existing users).
// Confirming an import that is already confirmed changes nothing and
// returns it with changed false.
// Errors: EUNAUTHORIZED, EFORBIDDEN; ENOTFOUND; ECONFLICT, saying why, when
// the import is not ready; EINTERNAL.
func (im *Imports) Confirm(ctx context.Context, caller Caller, schoolID, importID string, opts roster.ConfirmOptions) (imp roster.Import, changed bool, err error) {
	admin, err := authorizeAdmin(ctx, im.Store, caller, schoolID)
	if err != nil {
		return roster.Import{}, false, err
	}
	for attempt := 0; attempt < 2; attempt++ {
		imp, err = im.Store.GetImport(ctx, schoolID, importID)
		if err != nil {
			return roster.Import{}, false, err
		}
		if imp.Status.Confirmed() {
			return imp, false, nil
		}
		if imp.Status != roster.ImportReady {
			return imp, false, notReady(imp)
		}
		if imp.Kind != roster.KindUsers {
			opts.UpdateExisting = false
		}
		imp, err = im.Store.ConfirmImport(ctx, schoolID, importID, admin.Email, opts, imp.Counts.ToImport(imp.Kind, opts), im.Now().UTC())
		if roster.ErrorCode(err) != roster.ECONFLICT {
			return imp, err == nil, err
		}
		// Someone else moved it in between: answer from its new state.
	}
	return roster.Import{}, false, roster.Errorf(roster.ECONFLICT, "The import changed while it was being confirmed. Try again.")
}

func notReady(imp roster.Import) error {
	switch imp.Status {
	case roster.ImportAwaitingUpload:
		return roster.Errorf(roster.ECONFLICT, "The file has not been uploaded yet.")
	case roster.ImportValidating:
		return roster.Errorf(roster.ECONFLICT, "The file is still being checked. Confirm once the preview is ready.")
	case roster.ImportFailed:
		return roster.Errorf(roster.ECONFLICT, "This import cannot be confirmed: %s Upload a corrected file as a new import.", imp.FailureReason)
	}
	return roster.Errorf(roster.ECONFLICT, "The import is %s and cannot be confirmed.", imp.Status)
}

// FileURL returns a short-lived download URL for one of an import's files:
// "uploaded" (the file as sent), "errors" (the rows with errors, to fix and
// upload again) or "results" (every row's outcome, after the import).
// Errors: EUNAUTHORIZED, EFORBIDDEN; ENOTFOUND for an unknown file or one not
// made yet, saying when it will be; EINTERNAL.
func (im *Imports) FileURL(ctx context.Context, caller Caller, schoolID, importID, file string) (string, error) {
	imp, err := im.Get(ctx, caller, schoolID, importID)
	if err != nil {
		return "", err
	}
	a := roster.Artifact(file)
	if !a.Downloadable() {
		return "", roster.Errorf(roster.ENOTFOUND, `No such file: use "uploaded", "errors" or "results".`)
	}
	key := imp.Artifacts[a]
	switch {
	case key == "" && a == roster.ArtifactErrors:
		return "", roster.Errorf(roster.ENOTFOUND, "The error file is made when the preview is ready.")
	case key == "" && a == roster.ArtifactResults:
		return "", roster.Errorf(roster.ENOTFOUND, "The results file is made when the import has completed.")
	}
	ok, err := im.Files.Exists(ctx, key)
	if err != nil {
		return "", err
	}
	if !ok {
		if a == roster.ArtifactUploaded {
			return "", roster.Errorf(roster.ENOTFOUND, "The file has not been uploaded, or has been deleted after the retention period.")
		}
		return "", roster.Errorf(roster.ENOTFOUND, "The file has been deleted after the retention period.")
	}
	return im.Files.PresignGet(ctx, key, downloadName(imp.FileName, a), im.DownloadExpiry)
}

// downloadName is the name a downloaded artifact is saved under: the
// uploaded file's own name, or that name with -errors.csv or -results.csv.
func downloadName(fileName string, a roster.Artifact) string {
	if a == roster.ArtifactUploaded {
		return fileName
	}
	return strings.TrimSuffix(fileName, path.Ext(fileName)) + "-" + string(a) + ".csv"
}

// Content types of the files the service takes and gives.
const (
	ContentTypeCSV  = "text/csv; charset=utf-8"
	ContentTypeXLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
)

// UploadContentType is the content type an upload named name is signed
// with and stored as: an Excel workbook's for a .xlsx, else text/csv (the
// preview reads what the file holds, whatever its name).
func UploadContentType(name string) string {
	if strings.EqualFold(path.Ext(name), ".xlsx") {
		return ContentTypeXLSX
	}
	return "text/csv"
}

// TemplateContentType is the content type of the template named name.
func TemplateContentType(name string) string {
	if strings.HasSuffix(name, ".xlsx") {
		return ContentTypeXLSX
	}
	return ContentTypeCSV
}

// Template returns a template: "users.csv" or "users.xlsx" with the
// school's group names as examples, "relationships.csv" or
// "relationships.xlsx"; TemplateContentType says which content type.
// Errors: EUNAUTHORIZED, EFORBIDDEN; ENOTFOUND for another name; EINTERNAL.
func (im *Imports) Template(ctx context.Context, caller Caller, schoolID, name string) ([]byte, error) {
	if _, err := authorizeAdmin(ctx, im.Store, caller, schoolID); err != nil {
		return nil, err
	}
	var b bytes.Buffer
	switch name {
	case "users.csv", "users.xlsx":
		groups, err := im.Store.ListGroups(ctx, schoolID)
		if err != nil {
			return nil, err
		}
		names := orderedGroupNames(groups)
		write := csvimport.UsersTemplate
		if name == "users.xlsx" {
			write = csvimport.UsersTemplateXLSX
		}
		if err := write(&b, names); err != nil {
			return nil, roster.Internal(err)
		}
	case "relationships.csv":
		if err := csvimport.RelationshipsTemplate(&b); err != nil {
			return nil, roster.Internal(err)
		}
	case "relationships.xlsx":
		if err := csvimport.RelationshipsTemplateXLSX(&b); err != nil {
			return nil, roster.Internal(err)
		}
	default:
		return nil, roster.Errorf(roster.ENOTFOUND, `No such template: use "users.csv", "users.xlsx", "relationships.csv" or "relationships.xlsx".`)
	}
	return b.Bytes(), nil
}

// orderedGroupNames lists the default groups first (Students, Staff,
// Parents), then the school's own, so examples show the common cases.
func orderedGroupNames(groups []roster.Group) []string {
	var names, rest []string
	have := map[string]string{}
	for _, g := range groups {
		have[roster.GroupKey(g.Name)] = g.Name
	}
	for _, d := range roster.DefaultGroups {
		if n, ok := have[roster.GroupKey(d.Name)]; ok {
			names = append(names, n)
			delete(have, roster.GroupKey(d.Name))
		}
	}
	for _, g := range groups {
		if _, ok := have[roster.GroupKey(g.Name)]; ok {
			rest = append(rest, g.Name)
		}
	}
	return append(names, rest...)
}
