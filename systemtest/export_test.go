package systemtest

import (
	"encoding/json"
	"mime"
	"testing"
	"time"

	"github.com/schoolroster/rosterimport/internal/app"
	"github.com/schoolroster/rosterimport/internal/roster"
)

// TestUsersExport exports a school's users through the HTTP API as an
// administrator's browser does: the request answers 202 with the export
// and where to follow it, the confirm function writes the file from the
// stream, and the done export's link downloads exactly the school's users
// (removed ones too, groups by name, formula-like cells neutralised).
// Nobody but the school's administrators may start or see one.
func TestUsersExport(t *testing.T) {
	tok := seedSchool(t, "export")
	s := "/schools/export"
	if st := apiJSON(t, "POST", s+"/groups", tok, map[string]any{"name": "Year 7"}, nil); st != 201 {
		t.Fatalf("create group = %d", st)
	}
	for _, u := range []map[string]any{
		{"email": "ann@export.school", "firstName": "Ann", "lastName": "Archer", "groups": []string{"Students", "Staff"}, "userId": "A-1"},
		{"email": "bob@export.school", "firstName": "=SUM(A1:A9)", "lastName": "Brown, Jr", "groups": []string{"Students"}},
		{"email": "cy@export.school", "firstName": "Cy", "lastName": "Cole", "groups": []string{"Parents"}},
		{"email": "dee@export.school", "firstName": "Dee", "lastName": "-Dash", "groups": []string{"year 7", "Parents"}, "userId": "+447"},
	} {
		u["send"] = false
		if st := apiJSON(t, "POST", s+"/users", tok, u, nil); st != 201 {
			t.Fatalf("invite %v = %d", u["email"], st)
		}
	}
	if st := apiJSON(t, "DELETE", s+"/users/cy@export.school", tok, nil, nil); st != 200 {
		t.Fatalf("remove Cy = %d", st)
	}
	// Another school's users never show.
	if st := apiJSON(t, "POST", "/schools/"+otherSchoolID+"/users", stack.Token(otherOwner),
		map[string]any{"email": "zed@other.school", "send": false}, nil); st != 201 {
		t.Fatalf("invite in the other school = %d", st)
	}

	status, header, body := callWithHeaders(t, "GET", s+"/users/export.csv", tok)
	var started app.ExportView
	if err := json.Unmarshal(body, &started); err != nil || status != 202 {
		t.Fatalf("start export = %d %s (%v)", status, body, err)
	}
	location := header.Get("Location")
	if location != s+"/users/exports/"+started.ID || started.Status != roster.ExportQueued || started.RequestedBy != "head@export.school" {
		t.Fatalf("started %+v at %q", started, location)
	}
	done := waitExport(t, tok, location, 60*time.Second)
	if done.Status != roster.ExportDone || done.Rows != 5 || done.DownloadURL == "" || done.ExpiresAt == nil ||
		done.ExpiresAt.Sub(done.UpdatedAt) != roster.ExportKeptFor {
		t.Fatalf("done export = %+v", done)
	}

	header, file := fetchURL(t, done.DownloadURL)
	_, params, err := mime.ParseMediaType(header.Get("Content-Disposition"))
	if want := "users-export-school-" + done.CreatedAt.UTC().Format(time.DateOnly) + ".csv"; err != nil || params["filename"] != want {
		t.Errorf("Content-Disposition = %q, want the file name %s", header.Get("Content-Disposition"), want)
	}
	want := "\uFEFFemail,first_name,last_name,group,user_id,status\r\n" +
		"ann@export.school,Ann,Archer,Staff; Students,A-1,invited\r\n" +
		"bob@export.school,'=SUM(A1:A9),\"Brown, Jr\",Students,,invited\r\n" +
		"cy@export.school,Cy,Cole,Parents,,removed\r\n" +
		"dee@export.school,Dee,'-Dash,Parents; Year 7,'+447,invited\r\n" +
		"head@export.school,,,Staff,,active\r\n"
	if string(file) != want {
		t.Errorf("file =\n%q\nwant\n%q", file, want)
	}

	// A later request while none is under way starts a new export.
	if status, _, body := callWithHeaders(t, "GET", s+"/users/export.csv", tok); status != 202 {
		t.Errorf("second export = %d %s", status, body)
	}

	// Nobody but the school's administrators: the other school's owner, and
	// a member of this school without a role.
	for _, who := range []string{otherOwner, "ann@export.school"} {
		for _, path := range []string{s + "/users/export.csv", location} {
			var refusal apiError
			if st := apiJSON(t, "GET", path, stack.Token(who), nil, &refusal); st != 403 || refusal.Error.Code != "forbidden" {
				t.Errorf("%s: GET %s = %d %+v, want 403", who, path, st, refusal)
			}
		}
	}
	// Another school's id for this export is not found, even for its owner.
	if st := apiJSON(t, "GET", "/schools/"+otherSchoolID+"/users/exports/"+started.ID, stack.Token(otherOwner), nil, nil); st != 404 {
		t.Errorf("the export through the other school = %d, want 404", st)
	}
}

// waitExport polls an export until it is done or failed.
func waitExport(t testing.TB, token, location string, timeout time.Duration) app.ExportView {
	t.Helper()
	deadline := time.Now().Add(timeout)
	var v app.ExportView
	for time.Now().Before(deadline) {
		if st := apiJSON(t, "GET", location, token, nil, &v); st != 200 {
			t.Fatalf("get export: %d", st)
		}
		if !v.Status.Waiting() {
			return v
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("timed out waiting for export %s; last seen %+v", location, v)
	return v
}
