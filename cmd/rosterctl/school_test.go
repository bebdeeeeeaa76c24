package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/schoolroster/rosterimport/infra/local"
	"github.com/schoolroster/rosterimport/internal/app"
	"github.com/schoolroster/rosterimport/internal/dynamo"
	"github.com/schoolroster/rosterimport/internal/roster"
)

// The emulators: DynamoDB Local (with S3 and SES) holding the table as
// template.yaml declares it, started by the first test that needs them, so
// that the unit tests run without.
var (
	emulatorsOnce sync.Once
	emuStack      *local.Stack
	emulatorsDir  string
	emulatorsErr  error
)

func startEmulators(t *testing.T) *local.Stack {
	t.Helper()
	emulatorsOnce.Do(func() {
		if emulatorsDir, emulatorsErr = os.MkdirTemp("", "rosterctl-"); emulatorsErr != nil {
			return
		}
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
		defer cancel()
		emuStack, emulatorsErr = local.Start(ctx, local.Options{EmulatorsOnly: true, StateDir: emulatorsDir})
	})
	if emulatorsErr != nil {
		t.Fatal("the emulators did not start: ", emulatorsErr)
	}
	return emuStack
}

func TestMain(m *testing.M) {
	code := m.Run()
	if emuStack != nil {
		emuStack.Close()
	}
	if emulatorsDir != "" {
		os.RemoveAll(emulatorsDir)
	}
	os.Exit(code)
}

// cli runs rosterctl against the emulators as `--local` would against make
// run, with stateDir as the local stack's state folder.
type cli struct {
	t        *testing.T
	stack    *local.Stack
	stateDir string
}

func (c cli) run(args ...string) (status int, stdout, stderr string) {
	c.t.Helper()
	var out, errOut bytes.Buffer
	status = run(context.Background(), args, env{Stdout: &out, Stderr: &errOut, Getenv: func(string) string { return "" },
		Connect: func(_ context.Context, o createOptions) (clients, error) {
			if !o.Local || o.Table != c.stack.Tables["RosterTable"] {
				c.t.Fatalf("options %+v: not the local stack's table %s", o, c.stack.Tables["RosterTable"])
			}
			return clients{DynamoDB: c.stack.DynamoDB, Where: c.stack.DynamoDBURL, StateDir: c.stateDir}, nil
		}})
	return status, out.String(), errOut.String()
}

// localSecret gives stateDir a sealing secret, as make run does, and
// returns its sealer.
func localSecret(t *testing.T, stateDir string) *roster.Sealer {
	t.Helper()
	const value = "4f1c0d9e8b7a6f5e4d3c2b1a0f9e8d7c6b5a4f3e2d1c0b9a8f7e6d5c4b3a2f1e"
	if err := os.MkdirAll(filepath.Join(stateDir, "secrets"), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(localSecretPath(stateDir), []byte(value), 0o600); err != nil {
		t.Fatal(err)
	}
	s, err := roster.NewSealer(value)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestSchoolCreateOnDynamoDBLocal(t *testing.T) {
	ctx := context.Background()
	stack := startEmulators(t)
	if stack.Tables["RosterTable"] != localTable {
		t.Fatalf("the local stack's table is %q; --local uses %q", stack.Tables["RosterTable"], localTable)
	}
	store := dynamo.NewStore(stack.DynamoDB, localTable)
	stateDir := t.TempDir()
	sealer := localSecret(t, stateDir)
	c := cli{t: t, stack: stack, stateDir: stateDir}
	create := []string{"school", "create", "--id", "hill", "--name", "Hill School", "--owner", "Head@Hill.School", "--local"}

	status, stdout, stderr := c.run(create...)
	if status != 0 {
		t.Fatalf("create: status %d\n%s%s", status, stdout, stderr)
	}
	wantOut := `Created school hill ("Hill School") with the groups Students, Staff and Parents.
Invited head@hill.school as its owner (group Staff).
The invitation email is queued: the mailer sends it to head@hill.school with a link to accept.
Locally it appears on the SES page make run printed (http://127.0.0.1:8005 by default).
`
	if stdout != wantOut {
		t.Errorf("stdout =\n%s\nwant\n%s", stdout, wantOut)
	}
	if want := "rosterctl: table RosterTable in " + stack.DynamoDBURL + "; the local stack's token sealing secret\n"; stderr != want {
		t.Errorf("stderr = %q, want %q", stderr, want)
	}

	school, err := store.GetSchool(ctx, "hill")
	if err != nil || school.Name != "Hill School" || time.Since(school.CreatedAt) > time.Minute {
		t.Errorf("school = %+v, %v", school, err)
	}
	groups, err := store.ListGroups(ctx, "hill")
	if err != nil {
		t.Fatal(err)
	}
	counts := map[string]int{}
	for _, g := range groups {
		counts[g.ID+" "+g.Name] = g.MemberCount
	}
	if want := map[string]int{"parents Parents": 0, "staff Staff": 1, "students Students": 0}; !reflect.DeepEqual(counts, want) {
		t.Errorf("groups and member counts = %v, want %v", counts, want)
	}
	owner, err := store.GetMember(ctx, "hill", "head@hill.school")
	if err != nil {
		t.Fatal(err)
	}
	if owner.Role != roster.RoleOwner || owner.Status != roster.StatusInvited || !reflect.DeepEqual(owner.Groups, []string{"staff"}) ||
		owner.MailStatus != roster.MailQueued || owner.SendCount != 1 || owner.MailQueuedAt == nil || owner.InvitedBy != Operator ||
		owner.JoinedAt != nil || owner.Version != 1 {
		t.Errorf("owner = %+v, want an invited owner in Staff, mail queued once", owner)
	}
	// The mailer opens the sealed token with the stack's secret; it is the
	// token whose hash the accept route looks up.
	token, err := sealer.Open(owner.SealedToken, "hill", "head@hill.school")
	if err != nil {
		t.Fatal("the sealed token does not open with the local stack's secret: ", err)
	}
	if roster.HashToken(token) != owner.TokenHash {
		t.Error("the sealed token is not the one whose hash is stored")
	}
	if strings.Contains(stdout+stderr, token) {
		t.Error("the token was printed")
	}
	if schoolID, email, err := store.TokenHolder(ctx, owner.TokenHash); err != nil || schoolID != "hill" || email != "head@hill.school" {
		t.Errorf("TokenHolder = %s %s %v", schoolID, email, err)
	}

	// Again: nothing changes, and it says so.
	status, stdout, stderr = c.run(create...)
	wantOut = `School hill ("Hill School") exists already, with owner head@hill.school (invited, invitation queued). Nothing was changed.
If head@hill.school did not get it, run the same command again with --send to send a new one.
`
	if status != 0 || stdout != wantOut {
		t.Errorf("again: status %d, stdout\n%s\nwant 0,\n%s%s", status, stdout, wantOut, stderr)
	}
	unchanged := func(when string) {
		t.Helper()
		if again, _ := store.GetSchool(ctx, "hill"); again != school {
			t.Errorf("%s: school = %+v, was %+v", when, again, school)
		}
		if again, _ := store.GetMember(ctx, "hill", "head@hill.school"); !reflect.DeepEqual(again, owner) {
			t.Errorf("%s: owner = %+v, was %+v", when, again, owner)
		}
		if again, _ := store.ListGroups(ctx, "hill"); !reflect.DeepEqual(again, groups) {
			t.Errorf("%s: groups = %+v, were %+v", when, again, groups)
		}
	}
	unchanged("run again")

	// Another name or owner for the id is refused.
	refused := []struct {
		name, owner, want string
	}{
		{"Hill Academy", "head@hill.school",
			`rosterctl: School hill exists already with the name "Hill School", not "Hill Academy". Nothing was changed; a new school needs another --id.`},
		{"Hill School", "other@hill.school",
			`rosterctl: School hill ("Hill School") exists already, and other@hill.school is not one of its owners (not a member). Nothing was changed; a new school needs another --id.`},
		{"Hill Academy", "other@hill.school",
			`rosterctl: School hill exists already with the name "Hill School", not "Hill Academy", and other@hill.school is not one of its owners (not a member). Nothing was changed; a new school needs another --id.`},
	}
	for _, r := range refused {
		status, stdout, stderr := c.run("school", "create", "--id", "hill", "--name", r.name, "--owner", r.owner, "--local", "--send")
		if status != 1 || stdout != "" || !strings.HasSuffix(stderr, r.want+"\n") {
			t.Errorf("%s, %s: status %d, stdout %q, stderr\n%s\nwant status 1 and\n%s", r.name, r.owner, status, stdout, stderr, r.want)
		}
	}
	unchanged("refused")

	// --send at once is too soon.
	status, _, stderr = c.run(append(create, "--send")...)
	if want := "rosterctl: The invitation to head@hill.school was sent less than a minute ago. Nothing was changed; try again in a minute.\n"; status != 1 || !strings.HasSuffix(stderr, want) {
		t.Errorf("--send at once: status %d, stderr %q, want 1 and %q", status, stderr, want)
	}
	unchanged("--send too soon")
}

func TestSchoolCreateHeldThenSent(t *testing.T) {
	ctx := context.Background()
	stack := startEmulators(t)
	store := dynamo.NewStore(stack.DynamoDB, localTable)
	before := cli{t: t, stack: stack, stateDir: t.TempDir()} // make run never started: no secret
	create := []string{"school", "create", "--id", "dale", "--name", "Dale School", "--owner", "head@dale.school", "--local"}

	status, stdout, stderr := before.run(create...)
	wantOut := `Created school dale ("Dale School") with the groups Students, Staff and Parents.
Invited head@dale.school as its owner (group Staff).
The invitation is HELD: no email was sent, because no token sealing secret was given.
To send it, start make run once (it makes the local stack's secret), then run the same command again with --send.
`
	if status != 0 || stdout != wantOut {
		t.Fatalf("create: status %d, stdout\n%s\nwant\n%s%s", status, stdout, wantOut, stderr)
	}
	held, err := store.GetMember(ctx, "dale", "head@dale.school")
	if err != nil || held.Status != roster.StatusInvited || held.Role != roster.RoleOwner || held.MailStatus != roster.MailHeld ||
		held.SendCount != 0 || held.TokenHash != "" || held.SealedToken != "" {
		t.Fatalf("owner = %+v, %v; want invited, held, no token", held, err)
	}
	if status, _, stderr := before.run(append(create, "--send")...); status != 1 || !strings.Contains(stderr, "--send needs the local stack's token sealing secret") {
		t.Errorf("--send without a secret: status %d, %s", status, stderr)
	}

	// Once make run has made its secret, --send sends the held invitation.
	after := cli{t: t, stack: stack, stateDir: t.TempDir()}
	sealer := localSecret(t, after.stateDir)
	status, stdout, stderr = after.run(append(create, "--send")...)
	wantOut = `School dale ("Dale School") exists already, with owner head@dale.school (invited).
The invitation email is queued: the mailer sends it to head@dale.school with a link to accept.
Locally it appears on the SES page make run printed (http://127.0.0.1:8005 by default).
`
	if status != 0 || stdout != wantOut {
		t.Fatalf("--send: status %d, stdout\n%s\nwant\n%s%s", status, stdout, wantOut, stderr)
	}
	sent, err := store.GetMember(ctx, "dale", "head@dale.school")
	if err != nil || sent.MailStatus != roster.MailQueued || sent.SendCount != 1 || sent.UpdatedBy != Operator || sent.Version != 2 {
		t.Fatalf("owner = %+v, %v; want mail queued once", sent, err)
	}
	if token, err := sealer.Open(sent.SealedToken, "dale", "head@dale.school"); err != nil || roster.HashToken(token) != sent.TokenHash {
		t.Errorf("sealed token: %v", err)
	}

	// A minute later, --send sends a new invitation; the old token is dead.
	creator := &SchoolCreator{Store: store, Sealer: sealer, Now: func() time.Time { return time.Now().Add(2 * time.Minute) }}
	req := CreateRequest{ID: "dale", Name: "Dale School", Owner: "head@dale.school", Send: true}
	res, err := creator.Create(ctx, req)
	if err != nil || res.Outcome != Resent || res.Owner.SendCount != 2 || res.Owner.TokenHash == sent.TokenHash {
		t.Fatalf("resend = %+v, %v", res, err)
	}
	if _, _, err := store.TokenHolder(ctx, sent.TokenHash); roster.ErrorCode(err) != roster.ENOTFOUND {
		t.Errorf("the old token is still live: %v", err)
	}
	if got := report(res, createOptions{Local: true, Send: true}, true); !strings.Contains(got, "A new invitation replaces the earlier one, whose link no longer works.") {
		t.Errorf("report:\n%s", got)
	}

	// Once the owner has accepted there is nothing to send.
	now := time.Now().UTC()
	joined := res.Owner
	joined.Status, joined.JoinedAt, joined.Sub, joined.SealedToken = roster.StatusActive, &now, "sub-1", ""
	if _, err := store.SaveMember(ctx, app.MemberChange{Before: &res.Owner, After: joined}); err != nil {
		t.Fatal(err)
	}
	status, stdout, _ = after.run(append(create, "--send")...)
	wantOut = `School dale ("Dale School") exists already, with owner head@dale.school (active since ` + now.Format(time.DateOnly) + `). Nothing was changed.
head@dale.school is an active owner: there is no invitation to send.
`
	if status != 0 || stdout != wantOut {
		t.Errorf("--send after accepting: status %d, stdout\n%s\nwant\n%s", status, stdout, wantOut)
	}
}

// Runs at once: one creates the school, the others find it.
func TestSchoolCreateConcurrently(t *testing.T) {
	ctx := context.Background()
	stack := startEmulators(t)
	store := dynamo.NewStore(stack.DynamoDB, localTable)
	creator := &SchoolCreator{Store: store, Now: time.Now}
	req := CreateRequest{ID: "vale", Name: "Vale School", Owner: "head@vale.school"}
	const n = 5
	outcomes := make([]Outcome, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			res, err := creator.Create(ctx, req)
			outcomes[i], errs[i] = res.Outcome, err
		})
	}
	wg.Wait()
	created := 0
	for i := range n {
		if errs[i] != nil {
			t.Errorf("run %d: %v", i, errs[i])
		}
		if outcomes[i] == Created {
			created++
		}
	}
	if created != 1 {
		t.Errorf("outcomes %v: want one created, the others exists", outcomes)
	}
	groups, err := store.ListGroups(ctx, "vale")
	if err != nil || len(groups) != 3 {
		t.Errorf("groups = %+v, %v", groups, err)
	}
}
