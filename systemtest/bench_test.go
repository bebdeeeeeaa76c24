package systemtest

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/schoolroster/rosterimport/internal/roster"
)

// sumLogField adds up a numeric field of the "invocation done" lines a
// function logged after offset.
func sumLogField(b *testing.B, function string, offset int64, field string) float64 {
	b.Helper()
	f, err := os.Open(stack.LogFile(function))
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	if _, err := f.Seek(offset, 0); err != nil {
		b.Fatal(err)
	}
	sum := 0.0
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		var line map[string]any
		if json.Unmarshal(sc.Bytes(), &line) != nil || line["msg"] != "invocation done" {
			continue
		}
		if v, ok := line[field].(float64); ok {
			sum += v
		}
	}
	return sum
}

func logSize(b *testing.B, function string) int64 {
	b.Helper()
	st, err := os.Stat(stack.LogFile(function))
	if err != nil {
		return 0
	}
	return st.Size()
}

// BenchmarkUsersImport10k imports a generated 10,000-row users file through
// the local stack, as an administrator would, and reports what issue 4 asks:
// upload-to-ready and confirm-to-completed times, DynamoDB write requests per
// imported row, SES calls per 1,000 invitations, and the peak RSS of the
// preview and confirm processes. Run: go test ./systemtest -run '^$' -bench Import10k -benchtime 1x
func BenchmarkUsersImport10k(b *testing.B) {
	const n = 10_000
	t := b
	for i := 0; i < b.N; i++ {
		school := "bench" + time.Now().Format("150405")
		tok := seedSchool(t, school)
		file := usersFile(school+".school", n)
		confirmLog, mailerLog := logSize(b, "ConfirmFunction"), logSize(b, "MailerFunction")

		id := uploadFile(t, tok, school, "big.csv", file)
		uploaded := time.Now()
		waitImport(t, tok, school, id, 5*time.Minute, statusIs(roster.ImportReady))
		ready := time.Since(uploaded)

		confirmed := time.Now()
		apiJSON(t, "POST", "/schools/"+school+"/imports/"+id+"/confirm", tok, nil, nil)
		done := waitImport(t, tok, school, id, 10*time.Minute, finished)
		completed := time.Since(confirmed)
		if done.Results.Created != n {
			b.Fatalf("created %d of %d", done.Results.Created, n)
		}
		waitMails(t, school+".school", n, 10*time.Minute)
		mailed := time.Since(confirmed)

		b.ReportMetric(ready.Seconds(), "upload-to-ready-s")
		b.ReportMetric(completed.Seconds(), "confirm-to-completed-s")
		b.ReportMetric(mailed.Seconds(), "confirm-to-all-mailed-s")
		b.ReportMetric(sumLogField(b, "ConfirmFunction", confirmLog, "dynamodbWrites")/n, "confirm-writes/row")
		b.ReportMetric(sumLogField(b, "MailerFunction", mailerLog, "dynamodbWrites")/n, "mailer-writes/row")
		b.ReportMetric(sumLogField(b, "MailerFunction", mailerLog, "sesCalls")*1000/n, "ses-calls/1000-invites")
		b.ReportMetric(float64(stack.PeakRSSKiB("PreviewFunction"))/1024, "preview-peak-RSS-MB")
		b.ReportMetric(float64(stack.PeakRSSKiB("ConfirmFunction"))/1024, "confirm-peak-RSS-MB")
	}
}

// BenchmarkRelationships20k imports a generated 20,000-row relationships
// file for a school of 30,000 users (imported first, with ids, invitations
// held) and reports upload-to-ready and confirm-to-completed times, DynamoDB
// write requests per relationship and read requests per preview row. Half
// the rows name the student by id, all name the parent by email.
// Run: go test ./systemtest -run '^$' -bench Relationships20k -benchtime 1x -timeout 60m
func BenchmarkRelationships20k(b *testing.B) {
	const users, links = 30_000, 20_000
	for i := 0; i < b.N; i++ {
		school := "rels" + time.Now().Format("150405")
		tok := seedSchool(b, school)
		var people strings.Builder
		people.WriteString("email,first_name,last_name,group,user_id\n")
		for u := 0; u < users; u++ {
			group := "Students"
			if u >= links {
				group = "Parents"
			}
			fmt.Fprintf(&people, "p%05d@%s.school,First%d,Last%d,%s,U%05d\n", u, school, u, u, group, u)
		}
		id := uploadFile(b, tok, school, "people.csv", []byte(people.String()))
		waitImport(b, tok, school, id, 10*time.Minute, statusIs(roster.ImportReady))
		apiJSON(b, "POST", "/schools/"+school+"/imports/"+id+"/confirm", tok, map[string]bool{"sendInvitations": false}, nil)
		if done := waitImport(b, tok, school, id, 30*time.Minute, finished); done.Results.Created != users {
			b.Fatalf("users created %d of %d", done.Results.Created, users)
		}

		// Each of the 20,000 students gets one of the 10,000 parents.
		var file strings.Builder
		file.WriteString("student_id,student_email,parent_email,relationship_type\n")
		types := []string{"Mother", "father", "guardian", "Mum", "grandparent", "carer"}
		for s := 0; s < links; s++ {
			sid, semail := fmt.Sprintf("U%05d", s), ""
			if s%2 == 1 {
				sid, semail = "", fmt.Sprintf("p%05d@%s.school", s, school)
			}
			fmt.Fprintf(&file, "%s,%s,p%05d@%s.school,%s\n", sid, semail, links+s%(users-links), school, types[s%len(types)])
		}
		previewLog, confirmLog := logSize(b, "PreviewFunction"), logSize(b, "ConfirmFunction")
		rid := uploadKind(b, tok, school, "relationships", "links.csv", []byte(file.String()))
		uploaded := time.Now()
		ready := waitImport(b, tok, school, rid, 10*time.Minute, statusIs(roster.ImportReady))
		toReady := time.Since(uploaded)
		if ready.Counts.Valid != links {
			b.Fatalf("preview: %+v", ready.Counts)
		}
		confirmed := time.Now()
		apiJSON(b, "POST", "/schools/"+school+"/imports/"+rid+"/confirm", tok, nil, nil)
		done := waitImport(b, tok, school, rid, 30*time.Minute, finished)
		toDone := time.Since(confirmed)
		if done.Results.Created != links {
			b.Fatalf("links created %d of %d (%+v)", done.Results.Created, links, done.Results)
		}
		b.ReportMetric(toReady.Seconds(), "upload-to-ready-s")
		b.ReportMetric(toDone.Seconds(), "confirm-to-completed-s")
		// The invocation logs its counters as it returns, just after the
		// import shows completed.
		writes := 0.0
		for deadline := time.Now().Add(30 * time.Second); writes == 0 && time.Now().Before(deadline); time.Sleep(200 * time.Millisecond) {
			writes = sumLogField(b, "ConfirmFunction", confirmLog, "dynamodbWrites")
		}
		b.ReportMetric(writes/links, "writes/relationship")
		b.ReportMetric(sumLogField(b, "PreviewFunction", previewLog, "dynamodbReads")/links, "reads/preview-row")
	}
}
