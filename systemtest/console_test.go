package systemtest

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
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

// TestConsoleUsers runs the users pages' browser test (console/e2e/users.mjs)
// on a school of 60 people: 30 invited to Staff, 29 to Students, and Zoë.
func TestConsoleUsers(t *testing.T) {
	node, root, chromium := browserTools(t)
	tok := seedSchool(t, "people")
	for i := range 59 {
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
	runBrowserTest(t, node, root, chromium, "users.mjs", "SCHOOL_ID=people", "OWNER_EMAIL=head@people.school")
}

// browserTools finds what the browser tests need, or fails saying how to get it.
func browserTools(t *testing.T) (node, root, chromium string) {
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
func runBrowserTest(t *testing.T, node, root, chromium, script string, env ...string) {
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
