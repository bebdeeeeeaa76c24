package systemtest

import "testing"

// TestConsoleUpdateExisting runs console/e2e/update.mjs: a users file that
// updates people already in the school and links a parent, previewed with
// the update switch off and on, then imported.
func TestConsoleUpdateExisting(t *testing.T) {
	node, root, chromium := browserTools(t)
	tok := seedSchool(t, "upd")
	seed := importFile(t, tok, "upd", "users", "seed.csv", []byte("email,first_name,last_name,group\nann@upd.school,Ann,Lee,Students\nbob@upd.school,Bob,Stone,Parents\n"))
	if done := confirmImport(t, tok, "upd", seed.ID); done.Results.Created != 2 {
		t.Fatalf("seed: %+v", done.Results)
	}
	runBrowserTest(t, node, root, chromium, "update.mjs", "SCHOOL_ID=upd", "OWNER_EMAIL=head@upd.school", "MAIL_DOMAIN=upd.school")
}
