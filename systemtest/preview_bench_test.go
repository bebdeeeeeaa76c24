package systemtest

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/schoolroster/rosterimport/internal/roster"
)

// BenchmarkPreview500k previews a 500,000-row users file (the most a file
// may hold) for a new school and for a school of 50,000 users, and reports
// for each the time from the upload's end to the preview being ready (the
// import's validatedAt) and the DynamoDB read requests the preview made.
// The 50,000 users are imported first with invitations held; the indexer's
// records are dropped meanwhile, so its backlog does not share the machine
// with the preview measured.
// Run: go test ./systemtest -run '^$' -bench Preview500k -benchtime 1x -timeout 60m
func BenchmarkPreview500k(b *testing.B) {
	const rows, existing = 500_000, 50_000
	for i := 0; i < b.N; i++ {
		stamp := time.Now().Format("150405")
		newSchool, bigSchool := "pnew"+stamp, "pbig"+stamp

		bigTok := seedSchool(b, bigSchool)
		if err := stack.LoseStreamRecords("IndexerFunction", true); err != nil {
			b.Fatal(err)
		}
		id := uploadFile(b, bigTok, bigSchool, "people.csv", peopleFile(bigSchool, existing))
		waitImport(b, bigTok, bigSchool, id, 10*time.Minute, statusIs(roster.ImportReady))
		apiJSON(b, "POST", "/schools/"+bigSchool+"/imports/"+id+"/confirm", bigTok, map[string]bool{"sendInvitations": false}, nil)
		if done := waitImport(b, bigTok, bigSchool, id, 30*time.Minute, finished); done.Results.Created != existing {
			b.Fatalf("setup: created %d of %d", done.Results.Created, existing)
		}
		if err := stack.LoseStreamRecords("IndexerFunction", false); err != nil {
			b.Fatal(err)
		}

		for _, s := range []struct {
			name, school, token string
			wantSkipped         int
		}{
			{"new-school", newSchool, seedSchool(b, newSchool), 0},
			{"school-of-50k", bigSchool, bigTok, existing},
		} {
			file := peopleFile(s.school, rows) // for the big school, its 50,000 users come first
			previewLog := logSize(b, "PreviewFunction")
			id, uploaded := uploadTimed(b, s.token, s.school, file)
			imp := waitImport(b, s.token, s.school, id, 10*time.Minute, statusIs(roster.ImportReady))
			if imp.Counts.Total != rows || imp.Counts.Skipped != s.wantSkipped || imp.Counts.Valid != rows-s.wantSkipped {
				b.Fatalf("%s: counts %+v", s.name, imp.Counts)
			}
			reads := 0.0
			for deadline := time.Now().Add(30 * time.Second); reads == 0 && time.Now().Before(deadline); time.Sleep(200 * time.Millisecond) {
				reads = sumLogField(b, "PreviewFunction", previewLog, "dynamodbReads")
			}
			b.ReportMetric(imp.ValidatedAt.Sub(uploaded).Seconds(), s.name+"-upload-to-ready-s")
			b.ReportMetric(reads, s.name+"-dynamodb-read-requests")
			b.ReportMetric(float64(len(file))/(1<<20), s.name+"-file-MiB")
		}
	}
}

// peopleFile is a users file of n rows for school, p0000000 first.
func peopleFile(school string, n int) []byte {
	var sb strings.Builder
	sb.WriteString("email,first_name,last_name,group\n")
	for i := range n {
		fmt.Fprintf(&sb, "p%07d@%s.school,First%d,Last%d,%s\n", i, school, i, i, []string{"Students", "Staff", "Parents"}[i%3])
	}
	return []byte(sb.String())
}

// uploadTimed uploads a file as an administrator would and returns the
// import and when the upload ended.
func uploadTimed(b *testing.B, token, school string, file []byte) (string, time.Time) {
	b.Helper()
	id := uploadFile(b, token, school, "people.csv", file)
	return id, time.Now()
}
