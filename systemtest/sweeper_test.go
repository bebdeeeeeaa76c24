package systemtest

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/schoolroster/rosterimport/infra/local"
	"github.com/schoolroster/rosterimport/internal/roster"
)

// Fault tests of waiting work: each ends with exact counts and one mail per
// invitation.

// mailStatuses counts a school's users by stored mail status (read straight
// from the table, so claimed and deferred mail shows as such).
func mailStatuses(t *testing.T, school string, emails []string) map[roster.MailStatus]int {
	t.Helper()
	out := map[roster.MailStatus]int{}
	for _, e := range emails {
		m, err := store().GetMember(context.Background(), school, e)
		if err != nil {
			t.Fatal(err)
		}
		out[m.MailStatus]++
	}
	return out
}

func emailsOf(domain string, n int) []string {
	out := make([]string, n)
	for i := range n {
		out[i] = fmt.Sprintf("p%05d@%s", i, domain) // as usersFile writes them
	}
	return out
}

// waitStatuses polls until the school's mail statuses are want.
func waitStatuses(t *testing.T, school string, emails []string, want map[roster.MailStatus]int, timeout time.Duration) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	var got map[roster.MailStatus]int
	for time.Now().Before(deadline) {
		if got = mailStatuses(t, school, emails); equalCounts(got, want) {
			return
		}
		time.Sleep(200 * time.Millisecond)
	}
	t.Fatalf("mail statuses %v, want %v", got, want)
}

// equalCounts compares counts, a missing status counting as 0.
func equalCounts(a, b map[roster.MailStatus]int) bool {
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	for k, v := range b {
		if a[k] != v {
			return false
		}
	}
	return true
}

// sweep runs the sweeper as its schedule would at the given time.
func sweep(t *testing.T, at time.Time) map[string]int {
	t.Helper()
	res, err := stack.RunSchedule(context.Background(), "SweeperFunction", at)
	if err != nil || res.FunctionError != "" {
		t.Fatalf("sweeper at %s: %v %s %s", at, err, res.FunctionError, res.Payload)
	}
	var rep map[string]int
	if err := json.Unmarshal(res.Payload, &rep); err != nil {
		t.Fatalf("sweeper report %s: %v", res.Payload, err)
	}
	return rep
}

// waitLost waits until function's lost record reaches the dead-letter queue
// (it held before entries), then stops losing records.
func waitLost(t *testing.T, function string, before int) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		if dl, _ := stack.DeadLetters(function); len(dl) > before {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the %s record never reached the dead-letter queue", function)
		}
		time.Sleep(100 * time.Millisecond)
	}
	if err := stack.LoseStreamRecords(function, false); err != nil {
		t.Fatal(err)
	}
}

func oneMailEach(t *testing.T, mails map[string][]storedMail) {
	t.Helper()
	for email, m := range mails {
		if len(m) != 1 {
			t.Fatalf("%s got %d mails", email, len(m))
		}
	}
}

// TestDailyQuota: SES's daily quota of 100 with 300 invitations. 100 are
// sent; the other 200 wait, deferred with a note the administrator reads;
// each time the quota resets (a new SES day, and the sweeper an hour on, its
// clock the scheduled event's time) the next 100 go. None is lost, none twice.
func TestDailyQuota(t *testing.T) {
	const n, quota = 300, 100
	tok := seedSchool(t, "quota")
	stack.SetSESLimits(local.SESLimits{DailyQuota: quota})
	stack.SESNewDay()
	defer stack.SetSESLimits(local.SESLimits{})
	id := uploadFile(t, tok, "quota", "q.csv", usersFile("quota.school", n))
	waitImport(t, tok, "quota", id, 60*time.Second, statusIs(roster.ImportReady))
	apiJSON(t, "POST", "/schools/quota/imports/"+id+"/confirm", tok, nil, nil)
	done := waitImport(t, tok, "quota", id, 60*time.Second, finished)
	if done.Results.Created != n {
		t.Fatalf("import %+v", done.Results)
	}
	emails := emailsOf("quota.school", n)
	waitStatuses(t, "quota", emails, map[roster.MailStatus]int{roster.MailSent: quota, roster.MailDeferred: n - quota}, 60*time.Second)
	if got := len(mailsTo(t, "quota.school")); got != quota {
		t.Fatalf("%d mails before the quota reset, want %d", got, quota)
	}

	// The administrator sees why the mail waits.
	var waiting *struct {
		MailStatus string
		MailNote   string
	}
	for _, e := range emails {
		var u struct{ MailStatus, MailNote string }
		apiJSON(t, "GET", "/schools/quota/users/"+e, tok, nil, &u)
		if u.MailNote != "" {
			waiting = &struct{ MailStatus, MailNote string }{u.MailStatus, u.MailNote}
			break
		}
	}
	if waiting == nil || waiting.MailStatus != "queued" || !strings.HasPrefix(waiting.MailNote, "Daily sending quota reached; sending resumes at ") {
		t.Fatalf("a waiting invitation shows %+v", waiting)
	}

	// Before its time the sweeper leaves it; when the quota has reset and the
	// time has come, it queues it again.
	if rep := sweep(t, time.Now()); rep["mailResumed"] != 0 {
		t.Fatalf("sweep before the due time = %v", rep)
	}
	// Day two: the next 100; day three: the last 100.
	for day := 2; day <= 3; day++ {
		stack.SESNewDay()
		if rep := sweep(t, time.Now().Add(time.Duration(day-1)*61*time.Minute)); rep["mailResumed"] != n-quota*(day-1) {
			t.Fatalf("sweep on day %d = %v, want %d resumed", day, rep, n-quota*(day-1))
		}
		waitStatuses(t, "quota", emails, map[roster.MailStatus]int{roster.MailSent: quota * day, roster.MailDeferred: n - quota*day}, 60*time.Second)
	}
	oneMailEach(t, waitMails(t, "quota.school", n, 60*time.Second))
	waitStatuses(t, "quota", emails, map[roster.MailStatus]int{roster.MailSent: n}, 30*time.Second)
	if st := stack.SESStats(); st.QuotaExceeded == 0 {
		t.Errorf("SES stats %+v: the quota never refused anything", st)
	}
}

// TestOneUndeliverable: 1,000 invitations, SES refuses one address for good.
// 999 are sent, that one fails with our reason, and nothing else waits.
func TestOneUndeliverable(t *testing.T) {
	const n = 1000
	tok := seedSchool(t, "bounce")
	bad := emailsOf("bounce.school", n)[417]
	stack.SetSESLimits(local.SESLimits{Reject: []string{bad}})
	defer stack.SetSESLimits(local.SESLimits{})
	rejected0 := stack.SESStats().Rejected
	id := uploadFile(t, tok, "bounce", "b.csv", usersFile("bounce.school", n))
	waitImport(t, tok, "bounce", id, 60*time.Second, statusIs(roster.ImportReady))
	apiJSON(t, "POST", "/schools/bounce/imports/"+id+"/confirm", tok, nil, nil)
	waitImport(t, tok, "bounce", id, 60*time.Second, finished)
	mails := waitMails(t, "bounce.school", n-1, 120*time.Second)
	oneMailEach(t, mails)
	if _, got := mails[bad]; got {
		t.Fatalf("the refused address got mail")
	}
	waitStatuses(t, "bounce", emailsOf("bounce.school", n), map[roster.MailStatus]int{roster.MailSent: n - 1, roster.MailFailed: 1}, 30*time.Second)
	var u struct{ MailStatus, MailError string }
	apiJSON(t, "GET", "/schools/bounce/users/"+bad, tok, nil, &u)
	if u.MailStatus != "failed" || u.MailError != "The mail service refused to send this invitation. Check the address, then resend it." {
		t.Errorf("the refused invitation shows %+v", u)
	}
	if got := stack.SESStats().Rejected - rejected0; got != 1 {
		t.Errorf("SES refused %d entries, want 1", got)
	}
	if dl, _ := stack.DeadLetters("MailerFunction"); len(dl) != 0 {
		t.Errorf("%d mailer batches dead-lettered", len(dl))
	}
}

// TestThrottledConfirm: a third of the functions' DynamoDB writes are
// throttled for a minute while a school imports; the import completes with
// exact counts and every invitation is mailed once.
func TestThrottledConfirm(t *testing.T) {
	const n = 600
	tok := seedSchool(t, "throttledb")
	id := uploadFile(t, tok, "throttledb", "t.csv", usersFile("throttledb.school", n))
	waitImport(t, tok, "throttledb", id, 60*time.Second, statusIs(roster.ImportReady))
	throttled0, _ := stack.DynamoDBThrottled()
	stack.ThrottleDynamoDB(1.0/3, time.Minute)
	defer stack.ThrottleDynamoDB(0, 0)
	apiJSON(t, "POST", "/schools/throttledb/imports/"+id+"/confirm", tok, nil, nil)
	done := waitImport(t, tok, "throttledb", id, 180*time.Second, finished)
	if done.Status != roster.ImportCompleted || done.Results != (roster.ImportResults{Created: n}) || done.Progress.Done != n {
		t.Fatalf("throttled import: %s %+v %+v", done.Status, done.Results, done.Progress)
	}
	if g := groupCounts(t, tok, "throttledb"); g["Students"] != n/3 || g["Staff"] != n/3+1 || g["Parents"] != n/3 {
		t.Errorf("group counts %v", g)
	}
	oneMailEach(t, waitMails(t, "throttledb.school", n, 180*time.Second))
	throttled, _ := stack.DynamoDBThrottled()
	if throttled-throttled0 == 0 {
		t.Fatal("no write was throttled")
	}
	if dl, _ := stack.DeadLetters("ConfirmFunction"); len(dl) != 0 {
		t.Errorf("%d confirm batches dead-lettered", len(dl))
	}
	t.Logf("%d writes throttled during the import", throttled-throttled0)
}

// TestSweeperRedrivesLostInvitation: the mailer's stream record is lost (as
// after every retry failed: its position goes to the dead-letter queue). The
// invitation stays queued until the sweeper, an hour on, queues it again.
func TestSweeperRedrivesLostInvitation(t *testing.T) {
	tok := seedSchool(t, "lostmail")
	dead0, _ := stack.DeadLetters("MailerFunction")
	if err := stack.LoseStreamRecords("MailerFunction", true); err != nil {
		t.Fatal(err)
	}
	var u struct{ Email, MailStatus string }
	st := apiJSON(t, "POST", "/schools/lostmail/users", tok, map[string]any{"email": "lina@lostmail.school", "firstName": "Lina", "groups": []string{"Staff"}}, &u)
	if st != 201 || u.MailStatus != "queued" {
		t.Fatalf("invite = %d %+v", st, u)
	}
	waitLost(t, "MailerFunction", len(dead0))
	time.Sleep(time.Second)
	if got := len(mailsTo(t, "lostmail.school")); got != 0 {
		t.Fatalf("%d mails although the record was lost", got)
	}
	// Other tests' mail may be due too; this school's is what counts.
	sweep(t, time.Now().Add(30*time.Minute))
	if m, err := store().GetMember(context.Background(), "lostmail", "lina@lostmail.school"); err != nil || m.MailStatus != roster.MailQueued {
		t.Fatalf("before the bound: %+v %v, want still queued", m, err)
	}
	if rep := sweep(t, time.Now().Add(roster.MailRedriveAfter+time.Minute)); rep["mailRequeued"] < 1 {
		t.Fatalf("sweep after the bound = %v, want it re-queued", rep)
	}
	oneMailEach(t, waitMails(t, "lostmail.school", 1, 30*time.Second))
	m, err := store().GetMember(context.Background(), "lostmail", "lina@lostmail.school")
	if err != nil || m.MailStatus != roster.MailSent || m.SealedToken != "" {
		t.Fatalf("after the re-drive: %+v %v", m, err)
	}
}

// TestSweeperStuckImports: a confirmed import whose stream record is lost
// resumes when the sweeper finds it stalled, and ends with exact counts; a
// preview that claimed its import and died fails with a reason.
func TestSweeperStuckImports(t *testing.T) {
	const n = 250
	tok := seedSchool(t, "stuck")
	id := uploadFile(t, tok, "stuck", "s.csv", usersFile("stuck.school", n))
	waitImport(t, tok, "stuck", id, 60*time.Second, statusIs(roster.ImportReady))
	dead0, _ := stack.DeadLetters("ConfirmFunction")
	if err := stack.LoseStreamRecords("ConfirmFunction", true); err != nil {
		t.Fatal(err)
	}
	apiJSON(t, "POST", "/schools/stuck/imports/"+id+"/confirm", tok, nil, nil)
	waitLost(t, "ConfirmFunction", len(dead0))
	if imp := waitImport(t, tok, "stuck", id, 5*time.Second, statusIs(roster.ImportQueued)); imp.Progress.Done != 0 {
		t.Fatalf("lost import %+v", imp)
	}

	// A preview that claimed its import and died.
	var created struct{ ID string }
	apiJSON(t, "POST", "/schools/stuck/imports", tok, map[string]any{"kind": "users", "fileName": "never.csv", "size": 10}, &created)
	if _, err := store().ClaimValidation(context.Background(), "stuck", created.ID, "dead-preview", time.Now()); err != nil {
		t.Fatal(err)
	}

	rep := sweep(t, time.Now().Add(roster.ImportStallAfter+time.Minute))
	if rep["importsResumed"] != 1 || rep["importsFailed"] != 1 {
		t.Fatalf("sweep = %v, want one import resumed and one failed", rep)
	}
	done := waitImport(t, tok, "stuck", id, 60*time.Second, finished)
	if done.Status != roster.ImportCompleted || done.Results != (roster.ImportResults{Created: n}) || done.Progress.Done != n {
		t.Fatalf("resumed import: %s %+v %+v", done.Status, done.Results, done.Progress)
	}
	oneMailEach(t, waitMails(t, "stuck.school", n, 60*time.Second))
	failed := waitImport(t, tok, "stuck", created.ID, 5*time.Second, finished)
	if failed.Status != roster.ImportFailed || failed.FailureReason != "Checking the file did not finish; upload it again." {
		t.Fatalf("stuck preview: %s %q", failed.Status, failed.FailureReason)
	}
}

// TestExpiredArtifacts: files the bucket's lifecycle rule deleted give clear
// answers: a download is 404 with the reason, and confirming an import whose
// checked rows are gone fails it with a reason, never a 500 or a stuck import.
func TestExpiredArtifacts(t *testing.T) {
	tok := seedSchool(t, "expired")
	id := uploadFile(t, tok, "expired", "e.csv", []byte("email,first_name\nok@expired.school,Ok\nbad-address,Bad\n"))
	waitImport(t, tok, "expired", id, 60*time.Second, statusIs(roster.ImportReady))
	imp, err := store().GetImport(context.Background(), "expired", id)
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range []roster.Artifact{roster.ArtifactErrors, roster.ArtifactRows} {
		if _, err := stack.S3.DeleteObject(context.Background(), &s3.DeleteObjectInput{Bucket: aws.String(stack.Buckets["ImportsBucket"]), Key: aws.String(imp.Artifacts[a])}); err != nil {
			t.Fatal(err)
		}
	}
	var e apiError
	if st := apiJSON(t, "GET", "/schools/expired/imports/"+id+"/files/errors", tok, nil, &e); st != 404 || e.Error.Message != "The file has been deleted after the retention period." {
		t.Fatalf("download of a deleted file = %d %+v", st, e)
	}
	apiJSON(t, "POST", "/schools/expired/imports/"+id+"/confirm", tok, nil, nil)
	done := waitImport(t, tok, "expired", id, 60*time.Second, finished)
	if done.Status != roster.ImportFailed || done.FailureReason != "The checked rows of this import are no longer available; upload the file again." {
		t.Fatalf("confirm without its rows: %s %q", done.Status, done.FailureReason)
	}
}
