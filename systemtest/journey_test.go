package systemtest

import (
	"strings"
	"testing"
	"time"

	"github.com/schoolroster/rosterimport/internal/roster"
)

// The file of the journey: each of the five user errors of docs/product.md, an
// existing member, and two people to invite (one with markup in a name).
const journeyFile = "email,first_name,last_name,group\r\n" +
	"ada@journey.school,Ada,Lovelace,Staff\r\n" + // 2 valid
	",No,Email,Students\r\n" + // 3 Email is required
	"not-an-email,Bad,Format,\r\n" + // 4 Invalid email format
	"has space@journey.school,Space,Person,\r\n" + // 5 Email contains spaces
	"ADA@journey.school,Ada,Again,\r\n" + // 6 Duplicate email (same as row 2)
	"eve@journey.school,Eve,Unknown,Wizards\r\n" + // 7 Unknown group: Wizards
	"head@journey.school,Head,Teacher,Staff\r\n" + // 8 already a member
	"bob@journey.school,Bob,<b>Bold</b>,\r\n" // 9 valid, Students

func TestUsersImportJourney(t *testing.T) {
	tok := seedSchool(t, "journey")

	// Upload and preview.
	id := uploadFile(t, tok, "journey", "class list.csv", []byte(journeyFile))
	imp := waitImport(t, tok, "journey", id, 30*time.Second, func(i roster.Import) bool {
		return i.Status != roster.ImportAwaitingUpload && i.Status != roster.ImportValidating
	})
	if imp.Status != roster.ImportReady {
		t.Fatalf("preview ended %s: %s", imp.Status, imp.FailureReason)
	}
	// The head teacher (row 8) is skipped; were existing users updated, their
	// names (none until now) would change.
	wantCounts := roster.PreviewCounts{Total: 8, Valid: 2, Invalid: 5, Skipped: 1, UpdateChanges: 1}
	if imp.Counts != wantCounts {
		t.Errorf("counts = %+v, want %+v", imp.Counts, wantCounts)
	}
	wantRows := map[int]string{
		3: "Email is required", 4: "Invalid email format", 5: "Email contains spaces",
		6: "Duplicate email (same as row 2)", 7: "Unknown group: Wizards",
	}
	seen := map[int]bool{}
	for i, r := range imp.Preview {
		seen[r.Row] = true
		if msg, bad := wantRows[r.Row]; bad && (r.Status != "invalid" || r.Error != msg) {
			t.Errorf("row %d = %s %q, want invalid %q", r.Row, r.Status, r.Error, msg)
		}
		if i < 5 && r.Status != "invalid" {
			t.Errorf("preview row %d is %s: invalid rows come first", i, r.Status)
		}
		if r.Row == 8 && (r.Status != "skipped" || r.Reason != "Already a member") {
			t.Errorf("row 8 = %s %q, want skipped: Already a member", r.Status, r.Reason)
		}
	}
	if len(imp.Preview) != 8 || !seen[2] || !seen[9] {
		t.Errorf("preview rows = %+v", imp.Preview)
	}
	errorsFile := download(t, tok, "journey", id, "errors")
	if lines := strings.Split(strings.TrimSpace(errorsFile), "\r\n"); len(lines) != 6 || lines[0] != "email,first_name,last_name,group,error" ||
		lines[5] != "eve@journey.school,Eve,Unknown,Wizards,Unknown group: Wizards" {
		t.Errorf("error file:\n%s", errorsFile)
	}
	if got := download(t, tok, "journey", id, "uploaded"); got != journeyFile {
		t.Errorf("uploaded file differs: %q", got)
	}

	// Confirm (invitations on by default); confirming twice imports once.
	var q roster.Import
	if st := apiJSON(t, "POST", "/schools/journey/imports/"+id+"/confirm", tok, map[string]any{}, &q); st != 202 || q.Status != roster.ImportQueued || !q.SendInvitations {
		t.Fatalf("confirm: %d %+v", st, q)
	}
	var again roster.Import
	if st := apiJSON(t, "POST", "/schools/journey/imports/"+id+"/confirm", tok, nil, &again); st != 202 || !again.Status.Confirmed() {
		t.Fatalf("second confirm: %d %+v", st, again)
	}
	done := waitImport(t, tok, "journey", id, 60*time.Second, finished)
	want := roster.ImportResults{Created: 2}
	if done.Status != roster.ImportCompleted || done.Results != want || done.Progress.Done != 2 || done.Progress.Total != 2 {
		t.Fatalf("completed %s with %+v progress %+v, want %+v", done.Status, done.Results, done.Progress, want)
	}
	results := download(t, tok, "journey", id, "results")
	for _, line := range []string{
		"2,ada@journey.school,Ada,Lovelace,Staff,,created,Invitation created and queued for sending",
		"9,bob@journey.school,Bob,<b>Bold</b>,Students,,created,Invitation created and queued for sending",
		"8,head@journey.school,Head,Teacher,Staff,,skipped,Already a member",
		"6,ada@journey.school,Ada,Again,,,invalid,Duplicate email (same as row 2)",
	} {
		if !strings.Contains(results, line+"\r\n") {
			t.Errorf("results file lacks %q:\n%s", line, results)
		}
	}

	// Exactly one invitation per created user, to the right address, with a
	// token that opens that user's invitation.
	mails := waitMails(t, "journey.school", 2, 30*time.Second)
	for _, email := range []string{"ada@journey.school", "bob@journey.school"} {
		if len(mails[email]) != 1 {
			t.Fatalf("%s got %d mails", email, len(mails[email]))
		}
		m := mails[email][0]
		if m.Subject != "You are invited to join journey School" {
			t.Errorf("subject = %q", m.Subject)
		}
		if u := userByToken(t, tokenIn(t, m)); u["email"] != email || u["mailStatus"] != "sent" || u["sealedToken"] != nil {
			t.Errorf("the token of %s opens %v", email, u)
		}
	}
	if !strings.Contains(mails["bob@journey.school"][0].Body.HTML, "Hello Bob,") {
		t.Errorf("bob's mail: %s", mails["bob@journey.school"][0].Body.HTML)
	}
	groups := map[string]int{}
	var school struct{ Groups []roster.Group }
	apiJSON(t, "GET", "/schools/journey", tok, nil, &school)
	for _, g := range school.Groups {
		groups[g.Name] = g.MemberCount
	}
	if groups["Staff"] != 2 || groups["Students"] != 1 {
		t.Errorf("member counts = %v, want Staff 2 (owner and Ada), Students 1 (Bob)", groups)
	}

	// The same file again: every row is skipped or invalid, no mail is sent.
	id2 := uploadFile(t, tok, "journey", "class list.csv", []byte(journeyFile))
	imp2 := waitImport(t, tok, "journey", id2, 30*time.Second, statusIs(roster.ImportReady))
	if imp2.Counts.Valid != 0 || imp2.Counts.Skipped != 3 || imp2.SkipReasons["Already invited"] != 2 {
		t.Errorf("re-import preview counts %+v reasons %v", imp2.Counts, imp2.SkipReasons)
	}
	apiJSON(t, "POST", "/schools/journey/imports/"+id2+"/confirm", tok, nil, nil)
	done2 := waitImport(t, tok, "journey", id2, 60*time.Second, finished)
	if done2.Status != roster.ImportCompleted || done2.Results != (roster.ImportResults{}) {
		t.Errorf("re-import ended %s %+v", done2.Status, done2.Results)
	}
	waitMails(t, "journey.school", 2, 5*time.Second)

	// Invitations off: created, held, not sent.
	id3 := uploadFile(t, tok, "journey", "later.csv", []byte("email,first_name\ncarl@journey.school,Carl\n"))
	waitImport(t, tok, "journey", id3, 30*time.Second, statusIs(roster.ImportReady))
	var held roster.Import
	if st := apiJSON(t, "POST", "/schools/journey/imports/"+id3+"/confirm", tok, map[string]bool{"sendInvitations": false}, &held); st != 202 || held.SendInvitations {
		t.Fatalf("confirm without invitations: %d %+v", st, held)
	}
	if done3 := waitImport(t, tok, "journey", id3, 60*time.Second, finished); done3.Results.Created != 1 {
		t.Errorf("held import: %+v", done3.Results)
	}
	if u := userItem(t, "journey", "carl@journey.school"); u["mailStatus"] != "held" || u["status"] != "invited" || u["sealedToken"] != nil {
		t.Errorf("carl = %v, want an invited user with mail held and no sealed token", u)
	}
	waitMails(t, "journey.school", 2, 5*time.Second)

	// History, newest first.
	var page struct {
		Imports []roster.Import
	}
	apiJSON(t, "GET", "/schools/journey/imports?limit=2", tok, nil, &page)
	if len(page.Imports) != 2 || page.Imports[0].ID != id3 || page.Imports[1].ID != id2 {
		t.Errorf("history = %+v", page.Imports)
	}
}

func TestImportRoutesRefuseBadRequests(t *testing.T) {
	tok := seedSchool(t, "strict")
	other := seedSchool(t, "strictother")
	id := uploadFile(t, tok, "strict", "a.csv", []byte("email\nann@strict.school\n"))
	waitImport(t, tok, "strict", id, 30*time.Second, statusIs(roster.ImportReady))
	notReady := uploadFileNoPut(t, tok, "strict")

	tests := []struct {
		name, method, path, token string
		body                      any
		wantStatus                int
		wantCode                  string
	}{
		{"too large", "POST", "/schools/strict/imports", tok, map[string]any{"kind": "users", "fileName": "a.csv", "size": 60 << 20}, 413, "too_large"},
		{"unknown kind", "POST", "/schools/strict/imports", tok, map[string]any{"kind": "teachers", "fileName": "a.csv", "size": 10}, 400, "invalid"},
		{"missing file name", "POST", "/schools/strict/imports", tok, map[string]any{"kind": "users", "size": 10}, 400, "invalid"},
		{"missing size", "POST", "/schools/strict/imports", tok, map[string]any{"kind": "users", "fileName": "a.csv"}, 400, "invalid"},
		{"unknown field", "POST", "/schools/strict/imports", tok, map[string]any{"kind": "users", "fileName": "a.csv", "size": 1, "x": 1}, 400, "invalid"},
		{"another school's admin", "GET", "/schools/strict/imports/" + id, other, nil, 403, "forbidden"},
		{"another school's import id", "GET", "/schools/strictother/imports/" + id, other, nil, 404, "not_found"},
		{"confirm before upload", "POST", "/schools/strict/imports/" + notReady + "/confirm", tok, nil, 409, "conflict"},
		{"no such file", "GET", "/schools/strict/imports/" + id + "/files/secret", tok, nil, 404, "not_found"},
		{"results before completion", "GET", "/schools/strict/imports/" + id + "/files/results", tok, nil, 404, "not_found"},
		{"bad limit", "GET", "/schools/strict/imports?limit=500", tok, nil, 400, "invalid"},
		{"no token", "GET", "/schools/strict/imports", "", nil, 401, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var e apiError
			st := apiJSON(t, tt.method, tt.path, tt.token, tt.body, &e)
			if st != tt.wantStatus || (tt.wantCode != "" && (e.Error.Code != tt.wantCode || e.Error.Message == "")) {
				t.Errorf("got %d %+v, want %d %s", st, e, tt.wantStatus, tt.wantCode)
			}
		})
	}

	// Pasted text takes the same path as a file.
	csv := "email,first_name\npaste@strict.school,Pat\n"
	var v uploadView
	if st := apiJSON(t, "POST", "/schools/strict/imports", tok, map[string]any{"kind": "users", "csv": csv}, &v); st != 201 || v.Upload != nil {
		t.Fatalf("paste: %d %+v", st, v)
	}
	if p := waitImport(t, tok, "strict", v.ID, 30*time.Second, statusIs(roster.ImportReady)); p.Counts.Valid != 1 || p.FileName != "pasted.csv" {
		t.Errorf("pasted import: %+v", p)
	}

	// Templates.
	status, body := call(t, "GET", "/schools/strict/templates/users.csv", tok, "")
	if status != 200 || !strings.Contains(string(body), "email,first_name,last_name,group") || !strings.Contains(string(body), ",Students\r\n") {
		t.Errorf("users template: %d %q", status, body)
	}
}

// uploadFileNoPut creates an import and never uploads its file.
func uploadFileNoPut(t *testing.T, token, school string) string {
	t.Helper()
	var v uploadView
	if st := apiJSON(t, "POST", "/schools/"+school+"/imports", token, map[string]any{"kind": "users", "fileName": "later.csv", "size": 100}, &v); st != 201 {
		t.Fatalf("create: %d", st)
	}
	return v.ID
}
