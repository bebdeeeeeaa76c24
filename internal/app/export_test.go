package app

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"sort"
	"testing"
	"time"

	"github.com/schoolroster/rosterimport/internal/roster"
)

var exportT0 = time.Date(2026, 9, 1, 8, 0, 0, 0, time.UTC)

// exportStore is an ExportStore over memory, one school "s1", with the
// claim rules of the DynamoDB adapter; SchoolUsers pages as a DynamoDB
// Query does (a full page always says where to go on, even at the end).
type exportStore struct {
	members   map[string]roster.Member
	exports   map[string]roster.Export
	progress  []int
	failPage  int // SchoolUsers fails on this page (1-based); 0 never
	takenOver int // ExportProgress reports a conflict from this call on (1-based); 0 never
	pages     int
	created   int
}

var _ ExportStore = (*exportStore)(nil)

func newExportStore(exports ...roster.Export) *exportStore {
	s := &exportStore{members: map[string]roster.Member{}, exports: map[string]roster.Export{}}
	for _, m := range []roster.Member{
		{Email: "owner@hill.school", FirstName: "Olive", LastName: "Owner", Role: roster.RoleOwner, Groups: []string{"staff"}, Status: roster.StatusActive, Sub: "sub-owner"},
		{Email: "mgr@hill.school", Role: roster.RoleManager, Groups: []string{"staff"}, Status: roster.StatusActive, Sub: "sub-mgr"},
		{Email: "ann@hill.school", FirstName: "Ann", LastName: "Archer", Groups: []string{"students", "staff"}, UserID: "S-1", Status: roster.StatusActive},
		{Email: "bob@hill.school", FirstName: "=cmd|' /C calc'!A0", LastName: "Brown", Groups: []string{"students"}, Status: roster.StatusInvited},
		{Email: "cy@hill.school", Groups: []string{"deleted-group"}, Status: roster.StatusRemoved},
		{Email: "dee@hill.school", FirstName: "Dee", LastName: "@Dee", Groups: []string{"staff", "parents"}, UserID: "-7", Status: roster.StatusActive},
	} {
		m.SchoolID = "s1"
		s.members[m.Email] = m
	}
	for _, e := range exports {
		s.exports[e.ID] = e
	}
	return s
}

// wholeSchool is the file every export of newExportStore's school writes.
const wholeSchool = "\uFEFFemail,first_name,last_name,group,user_id,status\r\n" +
	"ann@hill.school,Ann,Archer,Staff; Students,S-1,active\r\n" +
	"bob@hill.school,'=cmd|' /C calc'!A0,Brown,Students,,invited\r\n" +
	"cy@hill.school,,,,,removed\r\n" +
	"dee@hill.school,Dee,'@Dee,Parents; Staff,'-7,active\r\n" +
	"mgr@hill.school,,,Staff,,active\r\n" +
	"owner@hill.school,Olive,Owner,Staff,,active\r\n"

func (s *exportStore) GetMember(_ context.Context, schoolID, email string) (roster.Member, error) {
	m, ok := s.members[email]
	if !ok || schoolID != "s1" {
		return roster.Member{}, roster.Errorf(roster.ENOTFOUND, "User not found.")
	}
	return m, nil
}
func (s *exportStore) BindSub(context.Context, string, string, string) error { return nil }
func (s *exportStore) GetSchool(context.Context, string) (roster.School, error) {
	return roster.School{ID: "s1", Name: "Hill School"}, nil
}
func (s *exportStore) ListGroups(context.Context, string) ([]roster.Group, error) {
	return []roster.Group{{ID: "parents", Name: "Parents"}, {ID: "staff", Name: "Staff"}, {ID: "students", Name: "Students"}}, nil
}
func (s *exportStore) CreateExport(_ context.Context, e roster.Export) error {
	s.exports[e.ID] = e
	s.created++
	return nil
}
func (s *exportStore) GetExport(_ context.Context, schoolID, id string) (roster.Export, error) {
	e, ok := s.exports[id]
	if !ok || schoolID != e.SchoolID {
		return roster.Export{}, roster.Errorf(roster.ENOTFOUND, "Export not found.")
	}
	return e, nil
}
func (s *exportStore) LatestExport(context.Context, string) (roster.Export, bool, error) {
	var latest roster.Export
	for _, e := range s.exports {
		if e.ID > latest.ID {
			latest = e
		}
	}
	return latest, latest.ID != "", nil
}
func (s *exportStore) held(id, claim string) (roster.Export, error) {
	e := s.exports[id]
	if e.Status != roster.ExportRunning || e.Claim != claim {
		return roster.Export{}, roster.Errorf(roster.ECONFLICT, "The export has moved on.")
	}
	return e, nil
}
func (s *exportStore) ClaimExport(_ context.Context, _, id, claim string, now time.Time) (roster.Export, error) {
	e, ok := s.exports[id]
	switch {
	case !ok:
		return roster.Export{}, roster.Errorf(roster.ENOTFOUND, "Export not found.")
	case e.Status != roster.ExportQueued && (e.Status != roster.ExportRunning || e.Claim != claim):
		return roster.Export{}, roster.Errorf(roster.ECONFLICT, "The export has moved on.")
	}
	e.Status, e.Claim, e.Rows, e.UpdatedAt = roster.ExportRunning, claim, 0, now
	e.Attempts++
	s.exports[id] = e
	return e, nil
}
func (s *exportStore) ExportProgress(_ context.Context, _, id, claim string, rows int, now time.Time) (roster.Export, error) {
	e, err := s.held(id, claim)
	if err != nil {
		return e, err
	}
	if s.takenOver > 0 && len(s.progress)+1 >= s.takenOver {
		return roster.Export{}, roster.Errorf(roster.ECONFLICT, "The export has moved on.")
	}
	s.progress = append(s.progress, rows)
	e.Rows, e.UpdatedAt = rows, now
	s.exports[id] = e
	return e, nil
}
func (s *exportStore) FinishExport(_ context.Context, _, id, claim string, rows int, key string, now time.Time) (roster.Export, error) {
	e, err := s.held(id, claim)
	if err != nil {
		return e, err
	}
	e.Status, e.Rows, e.ObjectKey, e.Claim, e.UpdatedAt = roster.ExportDone, rows, key, "", now
	s.exports[id] = e
	return e, nil
}
func (s *exportStore) FailExport(_ context.Context, _, id, claim, reason string, now time.Time) (roster.Export, error) {
	e, err := s.held(id, claim)
	if err != nil {
		return e, err
	}
	e.Status, e.FailureReason, e.Claim, e.UpdatedAt = roster.ExportFailed, reason, "", now
	s.exports[id] = e
	return e, nil
}
func (s *exportStore) SchoolUsers(_ context.Context, _, after string, limit int) ([]roster.Member, string, error) {
	s.pages++
	if s.pages == s.failPage {
		return nil, "", roster.Internal(errors.New("throttled"))
	}
	var emails []string
	for e := range s.members {
		if e > after {
			emails = append(emails, e)
		}
	}
	sort.Strings(emails)
	next := ""
	if len(emails) >= limit {
		emails, next = emails[:limit], emails[limit-1]
	}
	page := make([]roster.Member, len(emails))
	for i, e := range emails {
		page[i] = s.members[e]
	}
	return page, next, nil
}

// exportFiles is ExportFiles over memory.
type exportFiles struct {
	objects map[string][]byte
	aborted int
	signed  []string // key and file name of each link
}

type exportWriter struct {
	bytes.Buffer
	files *exportFiles
	key   string
}

func (w *exportWriter) Close() error { w.files.objects[w.key] = bytes.Clone(w.Bytes()); return nil }
func (w *exportWriter) Abort()       { w.files.aborted++ }

func (f *exportFiles) Create(_ context.Context, key, _ string) ArtifactWriter {
	return &exportWriter{files: f, key: key}
}
func (f *exportFiles) PresignGet(_ context.Context, key, fileName string, _ time.Duration) (string, error) {
	f.signed = append(f.signed, key+" as "+fileName)
	return "https://bucket.example/" + key + "?signed", nil
}

func testExports(s *exportStore, f *exportFiles, now time.Time) *Exports {
	return &Exports{Store: s, Files: f, Now: func() time.Time { return now }, NewID: func() string { return "EXP9" },
		Log: slog.New(slog.NewTextHandler(io.Discard, nil)), PageSize: 2}
}

const exportKeyS1 = "exports/s1/EXP1/users.csv"

func TestExportJob(t *testing.T) {
	queued := roster.Export{SchoolID: "s1", ID: "EXP1", Status: roster.ExportQueued, RequestedBy: "mgr@hill.school", CreatedAt: exportT0, UpdatedAt: exportT0,
		FileName: "users-hill-school-2026-09-01.csv"}
	with := func(e roster.Export, change func(*roster.Export)) roster.Export { change(&e); return e }
	for _, tt := range []struct {
		name         string
		export       roster.Export
		before       map[string][]byte // objects already stored
		setup        func(*exportStore)
		ctx          func() (context.Context, context.CancelFunc)
		claim        string
		wantErr      bool
		wantStatus   roster.ExportStatus
		wantRows     int
		wantReason   string
		wantFile     string // "" for no object
		wantProgress []int
		wantAborted  int
		wantAttempts int
	}{
		{name: "every user by email, a page at a time, to one object", export: queued, claim: "seq-1",
			wantStatus: roster.ExportDone, wantRows: 6, wantFile: wholeSchool, wantProgress: []int{2, 4, 6}, wantAttempts: 1},
		{name: "a duplicate record of a done export does nothing", claim: "seq-1",
			export: with(queued, func(e *roster.Export) {
				e.Status, e.Rows, e.ObjectKey, e.Attempts = roster.ExportDone, 6, exportKeyS1, 1
			}),
			wantStatus: roster.ExportDone, wantRows: 6, wantAttempts: 1},
		{name: "a redelivery after a crash writes the file again from the start", claim: "seq-1",
			export:     with(queued, func(e *roster.Export) { e.Status, e.Claim, e.Rows, e.Attempts = roster.ExportRunning, "seq-1", 4, 1 }),
			before:     map[string][]byte{exportKeyS1: []byte("half a file from the crashed attempt")},
			wantStatus: roster.ExportDone, wantRows: 6, wantFile: wholeSchool, wantProgress: []int{2, 4, 6}, wantAttempts: 2},
		{name: "another record's claim is ignored", claim: "seq-2",
			export:     with(queued, func(e *roster.Export) { e.Status, e.Claim, e.Rows, e.Attempts = roster.ExportRunning, "seq-1", 4, 1 }),
			wantStatus: roster.ExportRunning, wantRows: 4, wantAttempts: 1},
		{name: "a fault is retried and leaves no file", export: queued, claim: "seq-1", setup: func(s *exportStore) { s.failPage = 2 },
			wantErr: true, wantStatus: roster.ExportRunning, wantRows: 2, wantProgress: []int{2}, wantAborted: 1, wantAttempts: 1},
		{name: "given up after three attempts", claim: "seq-1",
			export:     with(queued, func(e *roster.Export) { e.Status, e.Claim, e.Attempts = roster.ExportRunning, "seq-1", 3 }),
			wantStatus: roster.ExportFailed, wantReason: msgExportGaveUp, wantAttempts: 4},
		{name: "out of time, it fails saying so", export: queued, claim: "seq-1",
			ctx: func() (context.Context, context.CancelFunc) {
				return context.WithDeadline(context.Background(), time.Now().Add(-time.Second))
			},
			wantStatus: roster.ExportFailed, wantReason: msgExportTooLong, wantAborted: 1, wantAttempts: 1},
		{name: "taken over mid-file, it stops without finishing", export: queued, claim: "seq-1", setup: func(s *exportStore) { s.takenOver = 2 },
			wantStatus: roster.ExportRunning, wantRows: 2, wantProgress: []int{2}, wantAborted: 1, wantAttempts: 1},
		{name: "an unknown export is ignored", export: with(queued, func(e *roster.Export) { e.ID = "OTHER" }), claim: "seq-1",
			wantStatus: roster.ExportQueued},
	} {
		t.Run(tt.name, func(t *testing.T) {
			s := newExportStore(tt.export)
			if tt.setup != nil {
				tt.setup(s)
			}
			files := &exportFiles{objects: map[string][]byte{}}
			for k, v := range tt.before {
				files.objects[k] = v
			}
			x := testExports(s, files, exportT0.Add(time.Minute))
			ctx, cancel := context.Background(), context.CancelFunc(func() {})
			if tt.ctx != nil {
				ctx, cancel = tt.ctx()
				x.Reserve = time.Hour // so the deadline is near from the start
			}
			defer cancel()
			err := x.Queued(ctx, "s1", "EXP1", tt.claim)
			if (err != nil) != tt.wantErr {
				t.Fatalf("Queued = %v, want an error: %v", err, tt.wantErr)
			}
			got := s.exports[tt.export.ID]
			if got.Status != tt.wantStatus || got.Rows != tt.wantRows || got.FailureReason != tt.wantReason || got.Attempts != tt.wantAttempts {
				t.Errorf("export = %+v, want %s with %d rows, reason %q, %d attempts", got, tt.wantStatus, tt.wantRows, tt.wantReason, tt.wantAttempts)
			}
			if tt.wantStatus == roster.ExportDone && tt.wantFile != "" && (got.ObjectKey != exportKeyS1 || got.Claim != "" || !got.UpdatedAt.Equal(exportT0.Add(time.Minute))) {
				t.Errorf("done export = %+v", got)
			}
			file, stored := files.objects[exportKeyS1]
			switch {
			case tt.wantFile != "" && string(file) != tt.wantFile:
				t.Errorf("file =\n%q\nwant\n%q", file, tt.wantFile)
			case tt.wantFile == "" && stored && tt.before == nil:
				t.Errorf("a file was stored: %q", file)
			}
			if !equalInts(s.progress, tt.wantProgress) || files.aborted != tt.wantAborted {
				t.Errorf("progress %v, aborted %d; want %v, %d", s.progress, files.aborted, tt.wantProgress, tt.wantAborted)
			}
		})
	}
}

func equalInts(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func TestExportStart(t *testing.T) {
	mgr := Caller{Email: "mgr@hill.school", EmailVerified: true, Sub: "sub-mgr"}
	at := func(d time.Duration, status roster.ExportStatus) roster.Export {
		return roster.Export{SchoolID: "s1", ID: "EXP1", Status: status, CreatedAt: exportT0.Add(d), UpdatedAt: exportT0.Add(d)}
	}
	for _, tt := range []struct {
		name    string
		caller  Caller
		before  []roster.Export
		code    string
		wantID  string
		created int
	}{
		{name: "a manager starts one", caller: mgr, wantID: "EXP9", created: 1},
		{name: "a member without a role may not", caller: Caller{Email: "ann@hill.school", EmailVerified: true, Sub: "s"}, code: roster.EFORBIDDEN},
		{name: "someone of another school may not", caller: Caller{Email: "head@other.school", EmailVerified: true, Sub: "s"}, code: roster.EFORBIDDEN},
		{name: "an export under way is answered again", caller: mgr, before: []roster.Export{at(-5*time.Minute, roster.ExportRunning)}, wantID: "EXP1"},
		{name: "a queued one too", caller: mgr, before: []roster.Export{at(-time.Minute, roster.ExportQueued)}, wantID: "EXP1"},
		{name: "one stuck for longer starts a new one", caller: mgr, before: []roster.Export{at(-20*time.Minute, roster.ExportRunning)}, wantID: "EXP9", created: 1},
		{name: "after a finished one, a new one", caller: mgr, before: []roster.Export{at(-time.Minute, roster.ExportDone)}, wantID: "EXP9", created: 1},
	} {
		t.Run(tt.name, func(t *testing.T) {
			s := newExportStore(tt.before...)
			x := testExports(s, &exportFiles{objects: map[string][]byte{}}, exportT0)
			v, err := x.Start(context.Background(), tt.caller, "s1")
			if roster.ErrorCode(err) != tt.code || s.created != tt.created {
				t.Fatalf("Start = %+v, %v (created %d); want code %q, created %d", v, err, s.created, tt.code, tt.created)
			}
			if tt.code != "" {
				return
			}
			if v.ID != tt.wantID || v.DownloadURL != "" {
				t.Errorf("export = %+v, want %s", v, tt.wantID)
			}
			if tt.created == 1 {
				want := roster.Export{SchoolID: "s1", ID: "EXP9", Status: roster.ExportQueued, RequestedBy: "mgr@hill.school", CreatedAt: exportT0, UpdatedAt: exportT0,
					FileName: "users-hill-school-2026-09-01.csv"}
				if s.exports["EXP9"] != want || v.Export != want {
					t.Errorf("stored %+v, answered %+v; want %+v", s.exports["EXP9"], v.Export, want)
				}
			}
		})
	}
}

func TestExportGet(t *testing.T) {
	mgr := Caller{Email: "mgr@hill.school", EmailVerified: true, Sub: "sub-mgr"}
	done := roster.Export{SchoolID: "s1", ID: "EXP1", Status: roster.ExportDone, Rows: 6, CreatedAt: exportT0, UpdatedAt: exportT0.Add(time.Minute),
		FileName: "users-hill-school-2026-09-01.csv", ObjectKey: exportKeyS1}
	with := func(change func(*roster.Export)) roster.Export { e := done; change(&e); return e }
	kept := exportT0.Add(time.Minute + roster.ExportKeptFor)
	for _, tt := range []struct {
		name       string
		caller     Caller
		id         string
		export     roster.Export
		now        time.Time
		code       string
		wantURL    bool
		wantExpiry *time.Time
	}{
		{name: "done: a link to the school's file", caller: mgr, id: "EXP1", export: done, now: exportT0.Add(time.Hour), wantURL: true, wantExpiry: &kept},
		{name: "still running: no link", caller: mgr, id: "EXP1", now: exportT0.Add(time.Minute),
			export: with(func(e *roster.Export) { e.Status, e.ObjectKey, e.Rows = roster.ExportRunning, "", 2 })},
		{name: "past the day it is kept: no link", caller: mgr, id: "EXP1", export: done, now: kept, wantExpiry: &kept},
		{name: "a file outside the school's prefix is never signed", caller: mgr, id: "EXP1", now: exportT0.Add(time.Hour), code: roster.EINTERNAL,
			export: with(func(e *roster.Export) { e.ObjectKey = "exports/other/EXP1/users.csv" })},
		{name: "another school's export is not found", caller: mgr, id: "EXP1", now: exportT0.Add(time.Hour), code: roster.ENOTFOUND,
			export: with(func(e *roster.Export) { e.SchoolID = "other" })},
		{name: "an id that cannot be one is not found", caller: mgr, id: "../EXP1", export: done, now: exportT0, code: roster.ENOTFOUND},
		{name: "a member without a role may not", caller: Caller{Email: "ann@hill.school", EmailVerified: true, Sub: "s"}, id: "EXP1", export: done,
			now: exportT0, code: roster.EFORBIDDEN},
	} {
		t.Run(tt.name, func(t *testing.T) {
			files := &exportFiles{objects: map[string][]byte{}}
			x := testExports(newExportStore(tt.export), files, tt.now)
			v, err := x.Get(context.Background(), tt.caller, "s1", tt.id)
			if roster.ErrorCode(err) != tt.code {
				t.Fatalf("Get = %+v, %v; want code %q", v, err, tt.code)
			}
			if tt.code != "" {
				if len(files.signed) != 0 {
					t.Errorf("signed %v", files.signed)
				}
				return
			}
			if (v.DownloadURL != "") != tt.wantURL || (v.ExpiresAt == nil) != (tt.wantExpiry == nil) || (v.ExpiresAt != nil && !v.ExpiresAt.Equal(*tt.wantExpiry)) {
				t.Errorf("view = %+v (expires %v)", v, v.ExpiresAt)
			}
			if tt.wantURL && (len(files.signed) != 1 || files.signed[0] != exportKeyS1+" as users-hill-school-2026-09-01.csv") {
				t.Errorf("signed %v", files.signed)
			}
		})
	}
}
