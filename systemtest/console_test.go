package systemtest

import (
	"bufio"
	"context"
	"encoding/json"
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
	chromium := "/usr/bin/chromium"
	if _, err := os.Stat(chromium); err != nil {
		t.Fatalf("Debian's Chromium is required for the console tests: sudo apt-get install chromium (%v)", err)
	}
	node, err := exec.LookPath("node")
	if err != nil {
		t.Fatalf("Node 20+ is required for the console tests: apt-get install nodejs npm (%v)", err)
	}
	root := stack.Root()
	if _, err := os.Stat(filepath.Join(root, "console", "node_modules", "playwright-core")); err != nil {
		t.Fatalf("the console's npm packages are missing: run make console (%v)", err)
	}
	seedSchool(t, "console")
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, node, filepath.Join("e2e", "journey.mjs"))
	cmd.Dir = filepath.Join(root, "console")
	cmd.Env = append(os.Environ(),
		"CONSOLE_URL="+stack.APIURL,
		"SES_URL="+stack.SESURL,
		"SCREENSHOT_DIR="+filepath.Join(root, ".local", "screenshots"),
		"SCHOOL_NAME=console School",
		"OWNER_EMAIL=head@console.school",
		"MAIL_DOMAIN=console.school",
		"CHROMIUM="+chromium,
	)
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
		t.Fatalf("the console journey failed (%v); its output is above", err)
	}
	t.Logf("console journey took %d ms: %v", summary.TotalMs, summary.Timings)
}
