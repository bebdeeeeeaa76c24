package systemtest

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/schoolroster/rosterimport/internal/app"
	"github.com/schoolroster/rosterimport/internal/roster"
)

// TestConsoleJourney runs the console's end-to-end journey
// (console/e2e/journey.mjs) in Debian's Chromium against this stack: sign in,
// template, a file with every user error, preview, error file, import with
// invitations, progress to 100 %, completion, history, and the invited
// person accepting from the mail. Screenshots go to .local/screenshots/.
func TestConsoleJourney(t *testing.T) {
	node, root, chromium := browserTools(t)
	seedSchool(t, "console")
	runBrowserTest(t, node, root, chromium, "journey.mjs",
		"SCHOOL_NAME=console School", "OWNER_EMAIL=head@console.school", "MAIL_DOMAIN=console.school")
}

// TestConsoleUsers runs the people pages' browser test (console/e2e/users.mjs)
// as a manager, on a school of 122 people: 60 invited to Staff, 59 to
// Students, Zoë, her parent Pat (linked to her), and the manager.
func TestConsoleUsers(t *testing.T) {
	node, root, chromium := browserTools(t)
	tok := seedSchool(t, "people")
	for i := range 119 {
		group := []string{"Staff", "Students"}[i%2]
		if st := apiJSON(t, "POST", "/schools/people/users", tok, map[string]any{
			"email": fmt.Sprintf("p%02d@people.school", i), "firstName": fmt.Sprintf("Person%02d", i), "lastName": "Test",
			"groups": []string{group}, "send": false,
		}, nil); st != 201 {
			t.Fatalf("invite %d = %d", i, st)
		}
	}
	if st := apiJSON(t, "POST", "/schools/people/users", tok, map[string]any{
		"email": "zoe@people.school", "firstName": "Zoë", "lastName": "Zimmer", "groups": []string{"Students"}, "send": false,
	}, nil); st != 201 {
		t.Fatalf("invite Zoë = %d", st)
	}
	// A manager, whose day the test is, and Zoë's parent, linked to her.
	if _, err := store().SaveMember(context.Background(), app.MemberChange{After: roster.Member{SchoolID: "people", Email: "manager@people.school",
		FirstName: "Mia", LastName: "Manager", Role: roster.RoleManager, Groups: []string{"staff"}, Status: roster.StatusActive, InvitedAt: time.Now()}}); err != nil {
		t.Fatal(err)
	}
	if st := apiJSON(t, "POST", "/schools/people/users", tok, map[string]any{
		"email": "pat@people.school", "firstName": "Pat", "lastName": "Zimmer", "groups": []string{"Parents"}, "send": false,
	}, nil); st != 201 {
		t.Fatalf("invite Pat = %d", st)
	}
	id := uploadKind(t, tok, "people", "relationships", "links.csv", []byte("student_email,parent_email,relationship_type\nzoe@people.school,pat@people.school,Mother\n"))
	waitImport(t, tok, "people", id, 60*time.Second, statusIs(roster.ImportReady))
	if done := confirmImport(t, tok, "people", id); done.Results.Created != 1 {
		t.Fatalf("link Zoë to Pat: %+v", done.Results)
	}
	runBrowserTest(t, node, root, chromium, "users.mjs", "SCHOOL_ID=people", "OWNER_EMAIL=manager@people.school",
		"RESEND_INTERVAL_MS="+strconv.Itoa(int(resendInterval.Milliseconds())))
}

// browserTools finds what the browser tests need, or fails saying how to get it.
func browserTools(t testing.TB) (node, root, chromium string) {
	t.Helper()
	chromium = "/usr/bin/chromium"
	if _, err := os.Stat(chromium); err != nil {
		t.Fatalf("Debian's Chromium is required for the console tests: sudo apt-get install chromium (%v)", err)
	}
	node, err := exec.LookPath("node")
	if err != nil {
		t.Fatalf("Node 20+ is required for the console tests: apt-get install nodejs npm (%v)", err)
	}
	root = stack.Root()
	if _, err := os.Stat(filepath.Join(root, "console", "node_modules", "playwright-core")); err != nil {
		t.Fatalf("the console's npm packages are missing: run make console (%v)", err)
	}
	return node, root, chromium
}

// runBrowserTest runs one script of console/e2e against this stack, logging
// its output, and fails when it does.
func runBrowserTest(t testing.TB, node, root, chromium, script string, env ...string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, node, filepath.Join("e2e", script))
	cmd.Dir = filepath.Join(root, "console")
	cmd.Env = append(append(os.Environ(),
		"CONSOLE_URL="+stack.APIURL,
		"SES_URL="+stack.SESURL,
		"SCREENSHOT_DIR="+filepath.Join(root, ".local", "screenshots"),
		"CHROMIUM="+chromium,
	), env...)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = cmd.Stdout
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	var summary struct {
		OK      bool
		TotalMs int64
		Timings map[string]int64
	}
	sc := bufio.NewScanner(out)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		t.Log(line)
		if strings.HasPrefix(line, "{") {
			_ = json.Unmarshal([]byte(line), &summary)
		}
	}
	if err := cmd.Wait(); err != nil || !summary.OK {
		t.Fatalf("%s failed (%v); its output is above", script, err)
	}
	t.Logf("%s took %d ms: %v", script, summary.TotalMs, summary.Timings)
}
