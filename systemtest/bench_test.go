package systemtest

import (
	"bufio"
	"encoding/json"
	"os"
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
		file := usersFile(school+".test", n)
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
		waitMails(t, school+".test", n, 10*time.Minute)
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
