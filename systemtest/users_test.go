package systemtest

import (
	"net/url"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/schoolroster/rosterimport/internal/app"
	"github.com/schoolroster/rosterimport/internal/roster"
)

type userList struct {
	Users      []app.UserView
	NextCursor string
}

// waitList polls a users list until cond holds: the list follows changes
// through the table stream, a moment later.
func waitList(t *testing.T, token, path string, cond func(userList) bool) userList {
	t.Helper()
	var l userList
	for deadline := time.Now().Add(60 * time.Second); ; {
		l = userList{}
		if st := apiJSON(t, "GET", path, token, nil, &l); st != 200 {
			t.Fatalf("GET %s = %d", path, st)
		}
		if cond(l) || time.Now().After(deadline) {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	if !cond(l) {
		t.Fatalf("GET %s never held the expected users: %v", path, emails(l))
	}
	return l
}

func emails(l userList) []string {
	out := make([]string, 0, len(l.Users))
	for _, u := range l.Users {
		out = append(out, u.Email)
	}
	return out
}

func is(want ...string) func(userList) bool {
	sort.Strings(want)
	return func(l userList) bool {
		got := emails(l)
		sort.Strings(got)
		return strings.Join(got, ",") == strings.Join(want, ",")
	}
}

// mailFor waits for the n-th mail to email and returns its accept token.
func mailFor(t *testing.T, email string, n int) string {
	t.Helper()
	domain := email[strings.IndexByte(email, '@')+1:]
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		if m := mailsTo(t, domain)[email]; len(m) >= n {
			return tokenIn(t, m[n-1])
		}
	}
	t.Fatalf("mail #%d to %s never came", n, email)
	return ""
}

func accept(t *testing.T, token, invitation string) (int, app.Accepted) {
	t.Helper()
	var a app.Accepted
	st := apiJSON(t, "POST", "/invitations/accept", token, map[string]string{"token": invitation}, &a)
	return st, a
}

// TestManagersDay walks a manager's day over HTTP: invite three people (one
// held), search and filter, change groups, resend (the old link stops
// working, the new one works), cancel, send the held one, the invited accept
// with the tokens from their mail, remove, re-invite.
func TestManagersDay(t *testing.T) {
	owner := seedSchool(t, "day")
	u := "/schools/day/users"

	// The owner invites a manager, who accepts from the mail.
	var v app.UserView
	if st := apiJSON(t, "POST", u, owner, map[string]any{"email": "Mina.Park@Day.school", "firstName": "Mina", "lastName": "Park", "role": "manager"}, &v); st != 201 || v.Email != "mina.park@day.school" || v.Role != "manager" || v.Status != "invited" || v.MailStatus != "queued" {
		t.Fatalf("invite manager = %d %+v", st, v)
	}
	mgr := stack.Token("mina.park@day.school")
	if st, _ := apiJSON2(t, "GET", "/schools/day", mgr); st != 403 {
		t.Fatalf("an invited manager reached the school: %d", st)
	}
	if st, a := accept(t, mgr, mailFor(t, "mina.park@day.school", 1)); st != 200 || a.Status != "active" || a.SchoolName != "day School" || a.JoinedAt == nil {
		t.Fatalf("manager accepts = %d %+v", st, a)
	}

	// The manager invites three people, one held.
	for _, p := range []map[string]any{
		{"email": "zoe@day.school", "firstName": "Zoë", "lastName": "Brown", "groups": []string{"Students"}},
		{"email": "ali@day.school", "firstName": "Ali", "lastName": "McAllister", "groups": []string{"staff"}},
		{"email": "hana@day.school", "firstName": "Hana", "lastName": "Ito", "groups": []string{"Parents"}, "send": false},
	} {
		if st := apiJSON(t, "POST", u, mgr, p, &v); st != 201 {
			t.Fatalf("invite %v = %d", p["email"], st)
		}
	}
	var e apiError
	if st := apiJSON(t, "POST", u, mgr, map[string]any{"email": "ZOE@day.school"}, &e); st != 409 || e.Error.Message != "zoe@day.school already has a pending invitation." {
		t.Errorf("invite twice = %d %+v", st, e)
	}
	if st := apiJSON(t, "POST", u, mgr, map[string]any{"email": "head@day.school"}, &e); st != 409 || e.Error.Message != "head@day.school is already a member of this school." {
		t.Errorf("invite the owner = %d %+v", st, e)
	}
	if st := apiJSON(t, "POST", u, mgr, map[string]any{"email": "x@day.school", "role": "owner"}, &e); st != 403 {
		t.Errorf("a manager invited an owner: %d %+v", st, e)
	}
	if st := apiJSON(t, "POST", u, mgr, map[string]any{"email": "bad email@day.school"}, &e); st != 400 || e.Error.Message != "Email contains spaces." {
		t.Errorf("invite a bad address = %d %+v", st, e)
	}

	// Search and filter.
	waitList(t, mgr, u+"?q=zo", is("zoe@day.school"))
	waitList(t, mgr, u+"?q=ZOË", is("zoe@day.school"))
	waitList(t, mgr, u+"?q=mc", is("ali@day.school"))
	waitList(t, mgr, u+"?group=parents", is("hana@day.school"))
	waitList(t, mgr, u+"?status=invited", is("zoe@day.school", "ali@day.school", "hana@day.school"))
	all := waitList(t, mgr, u, is("head@day.school", "mina.park@day.school", "zoe@day.school", "ali@day.school", "hana@day.school"))
	var order []string
	for _, x := range all.Users {
		order = append(order, x.LastName)
	}
	if got := strings.Join(order, ","); got != ",Brown,Ito,McAllister,Park" {
		t.Errorf("list order by last name = %s", got)
	}
	page := waitList(t, mgr, u+"?limit=2", func(l userList) bool { return len(l.Users) == 2 && l.NextCursor != "" })
	next := waitList(t, mgr, u+"?limit=2&cursor="+url.QueryEscape(page.NextCursor), func(l userList) bool { return len(l.Users) == 2 })
	if emails(next)[0] == emails(page)[0] {
		t.Errorf("page 2 repeats page 1: %v %v", emails(page), emails(next))
	}
	if st := apiJSON(t, "GET", u+"?q=zo&cursor="+url.QueryEscape(page.NextCursor), mgr, nil, &e); st != 400 {
		t.Errorf("a cursor of another query = %d", st)
	}

	// Change groups: the counts follow.
	before := groupCounts(t, mgr, "day")
	if st := apiJSON(t, "PATCH", u+"/zoe@day.school", mgr, map[string]any{"groups": []string{"Parents", "Students"}}, &v); st != 200 || len(v.Groups) != 2 || v.UpdatedBy != "mina.park@day.school" {
		t.Fatalf("change groups = %d %+v", st, v)
	}
	after := groupCounts(t, mgr, "day")
	if after["Parents"] != before["Parents"]+1 || after["Students"] != before["Students"] {
		t.Errorf("counts %v -> %v", before, after)
	}
	waitList(t, mgr, u+"?group=parents", is("hana@day.school", "zoe@day.school"))
	if st := apiJSON(t, "PATCH", u+"/mina.park@day.school", mgr, map[string]any{"role": ""}, &e); st != 403 {
		t.Errorf("a manager changed their own role: %d", st)
	}

	// Resend: the old link stops working and the new one works; a second
	// resend straight after is refused.
	oldZoe := mailFor(t, "zoe@day.school", 1)
	time.Sleep(resendInterval)
	if st := apiJSON(t, "POST", "/schools/day/invitations/zoe@day.school/resend", mgr, nil, &v); st != 200 || v.SendCount != 2 {
		t.Fatalf("resend = %d %+v", st, v)
	}
	if st := apiJSON(t, "POST", "/schools/day/invitations/zoe@day.school/resend", mgr, nil, &e); st != 429 {
		t.Errorf("resend again at once = %d %+v", st, e)
	}
	newZoe := mailFor(t, "zoe@day.school", 2)
	zoe := stack.Token("zoe@day.school")
	if st, _ := accept(t, zoe, oldZoe); st != 404 {
		t.Errorf("the replaced token = %d, want 404", st)
	}
	aliToken := mailFor(t, "ali@day.school", 1)
	if st, _ := accept(t, zoe, aliToken); st != 403 {
		t.Errorf("Zoë accepting Ali's invitation = %d, want 403", st)
	}
	if st, a := accept(t, zoe, newZoe); st != 200 || a.Status != "active" {
		t.Fatalf("accept = %d %+v", st, a)
	}
	if st, a := accept(t, zoe, newZoe); st != 200 || a.Status != "active" {
		t.Errorf("accept again = %d %+v", st, a)
	}
	waitList(t, mgr, u+"?status=active&q=zo", is("zoe@day.school"))

	// Cancel: Ali's link stops working.
	if st := apiJSON(t, "DELETE", "/schools/day/invitations/ali@day.school", mgr, nil, &v); st != 200 || v.Status != "removed" {
		t.Fatalf("cancel = %d %+v", st, v)
	}
	if st, _ := accept(t, stack.Token("ali@day.school"), aliToken); st != 404 {
		t.Errorf("a cancelled invitation = %d, want 404", st)
	}

	// Send the held invitation; Hana accepts.
	var sent app.SendResult
	if st := apiJSON(t, "POST", "/schools/day/invitations/send", mgr, map[string]any{"emails": []string{"hana@day.school", "zoe@day.school"}}, &sent); st != 200 ||
		strings.Join(sent.Queued, ",") != "hana@day.school" || len(sent.Skipped) != 1 {
		t.Fatalf("send held = %d %+v", st, sent)
	}
	if st, a := accept(t, stack.Token("hana@day.school"), mailFor(t, "hana@day.school", 1)); st != 200 || a.Status != "active" {
		t.Fatalf("Hana accepts = %d %+v", st, a)
	}

	// Remove Zoë: access and counts go at once; her record stays.
	counts := groupCounts(t, mgr, "day")
	if st := apiJSON(t, "DELETE", u+"/zoe@day.school", mgr, nil, &v); st != 200 || v.Status != "removed" || v.RemovedBy != "mina.park@day.school" {
		t.Fatalf("remove = %d %+v", st, v)
	}
	if c := groupCounts(t, mgr, "day"); c["Parents"] != counts["Parents"]-1 || c["Students"] != counts["Students"]-1 {
		t.Errorf("counts after removal %v -> %v", counts, c)
	}
	var me app.Me
	if st := apiJSON(t, "GET", "/me", zoe, nil, &me); st != 200 || len(me.Schools) != 0 {
		t.Errorf("a removed user's /me = %d %+v", st, me)
	}
	waitList(t, mgr, u+"?status=removed", is("ali@day.school", "zoe@day.school"))

	// Re-invite Zoë: invited again, with no role and the new groups.
	if st := apiJSON(t, "POST", u, mgr, map[string]any{"email": "zoe@day.school", "groups": []string{"Students"}}, &v); st != 201 || v.Status != "invited" || v.Role != "" || len(v.Groups) != 1 || v.FirstName != "Zoë" {
		t.Fatalf("re-invite = %d %+v", st, v)
	}
	if st := apiJSON(t, "GET", "/me", stack.Token("hana@day.school"), nil, &me); st != 200 || len(me.Schools) != 1 || me.Schools[0].SchoolID != "day" || me.Schools[0].Status != "active" {
		t.Errorf("Hana's /me = %d %+v", st, me)
	}
}

func apiJSON2(t *testing.T, method, path, token string) (int, []byte) {
	t.Helper()
	return call(t, method, path, token, "")
}

// TestSendAllHeld imports 250 people with their invitations held, then asks
// for all held invitations to be sent: the request answers at once with a
// job, and the background job (through the table, in the confirm function)
// sends each exactly once.
func TestSendAllHeld(t *testing.T) {
	const n = 250
	tok := seedSchool(t, "sendall")
	id := uploadFile(t, tok, "sendall", "held.csv", usersFile("sendall.school", n))
	waitImport(t, tok, "sendall", id, 60*time.Second, statusIs(roster.ImportReady))
	if st := apiJSON(t, "POST", "/schools/sendall/imports/"+id+"/confirm", tok, map[string]bool{"sendInvitations": false}, nil); st != 202 {
		t.Fatalf("confirm = %d", st)
	}
	waitImport(t, tok, "sendall", id, 60*time.Second, finished)
	if got := len(mailsTo(t, "sendall.school")); got != 0 {
		t.Fatalf("%d mails before sending, want none", got)
	}
	var res app.SendResult
	if st := apiJSON(t, "POST", "/schools/sendall/invitations/send", tok, map[string]bool{"all": true}, &res); st != 202 || res.Job == nil || res.Job.Status != roster.JobQueued {
		t.Fatalf("send all = %d %+v", st, res)
	}
	mails := waitMails(t, "sendall.school", n, 60*time.Second)
	if len(mails) != n {
		t.Errorf("%d people mailed, want %d", len(mails), n)
	}
	// Asking again sends nothing more: none is held now.
	if st := apiJSON(t, "POST", "/schools/sendall/invitations/send", tok, map[string]bool{"all": true}, &res); st != 202 {
		t.Fatalf("send all again = %d", st)
	}
	waitMails(t, "sendall.school", n, 3*time.Second)
}
