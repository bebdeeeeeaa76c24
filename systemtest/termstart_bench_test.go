package systemtest

import (
	"context"
	"fmt"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/schoolroster/rosterimport/infra/local"
	"github.com/schoolroster/rosterimport/internal/roster"
)

// termStart is one school of BenchmarkTermStart.
type termStart struct {
	id, token, importID string
	users               int
	confirmed           time.Time // as the import item records it
	completed           time.Time
	lastMail            time.Time
}

// BenchmarkTermStart is the first week of term: 100 schools of 2,000 users
// each upload and confirm within 10 s, with invitations on, and a school of
// 20 users confirms in the middle of them. SES is held to an account rate
// (TERMSTART_SES_RATE emails a second, default 1,000). It reports, over the
// big schools, p50/p95/max of confirm-to-completed and confirm-to-last-mail;
// the small school's confirm-to-last-mail; users and mails lost or sent
// twice; the most emails and SES calls in any one second; and calls SES
// refused for the rate. TERMSTART_SCHOOLS and TERMSTART_USERS scale it down.
// Run: go test ./systemtest -run '^$' -bench TermStart -benchtime 1x -timeout 90m
func BenchmarkTermStart(b *testing.B) {
	nSchools, nUsers := envInt(b, "TERMSTART_SCHOOLS", 100), envInt(b, "TERMSTART_USERS", 2000)
	rate := float64(envInt(b, "TERMSTART_SES_RATE", 1000))
	for i := 0; i < b.N; i++ {
		stack.SetSESLimits(local.SESLimits{MaxSendRate: rate})
		prefix := "ts" + time.Now().Format("150405")
		schools := make([]*termStart, nSchools)
		for s := range schools {
			schools[s] = &termStart{id: fmt.Sprintf("%s%03d", prefix, s), users: nUsers}
		}
		small := &termStart{id: prefix + "small", users: 20}
		all := append(slices.Clone(schools), small)

		// Seed and upload, eight at a time, and wait until every preview is ready.
		var wg sync.WaitGroup
		sem := make(chan struct{}, 8)
		confirmers := make(chan struct{}, 10)
		for _, s := range all {
			wg.Add(1)
			go func() {
				defer wg.Done()
				sem <- struct{}{}
				defer func() { <-sem }()
				s.token = seedSchool(b, s.id)
				s.importID = uploadFile(b, s.token, s.id, "users.csv", usersFile(s.id+".school", s.users))
				waitImport(b, s.token, s.id, s.importID, 20*time.Minute, statusIs(roster.ImportReady))
			}()
		}
		wg.Wait()
		thrown := stack.SESStats().Throttled
		from := len(stack.SESDeliveries(0))

		// Confirm them all, ten administrators at a time, the small school
		// half way through.
		order := slices.Insert(slices.Clone(schools), len(schools)/2, small)
		began := time.Now()
		for _, s := range order {
			wg.Add(1)
			confirmers <- struct{}{}
			go func() {
				defer func() { <-confirmers; wg.Done() }()
				confirmTermStart(b, s)
			}()
		}
		wg.Wait()
		report(b, time.Since(began).Seconds(), "confirm-all-s")

		done := waitTermStart(b, all, from, time.Duration(envInt(b, "TERMSTART_MINUTES", 60))*time.Minute)
		if done {
			time.Sleep(5 * time.Second) // a mail sent twice would come within the mailers' next polls
		}
		reportTermStart(b, schools, small, from, rate, thrown, done)
	}
}

func confirmTermStart(b *testing.B, s *termStart) {
	b.Helper()
	if st := apiJSON(b, "POST", "/schools/"+s.id+"/imports/"+s.importID+"/confirm", s.token, map[string]bool{"sendInvitations": true}, nil); st != 202 {
		b.Fatalf("confirm %s: %d", s.id, st)
	}
}

// waitTermStart waits until every school's import finished and every user
// got a mail, reading each import's confirm and completion times and each
// school's last mail, or until timeout; it reports whether all was done.
func waitTermStart(b *testing.B, all []*termStart, from int, timeout time.Duration) bool {
	b.Helper()
	deadline := time.Now().Add(timeout)
	bySchool := map[string]*termStart{}
	want := 0
	for _, s := range all {
		bySchool[s.id] = s
		want += s.users
	}
	// Every five seconds: the times come from the import items and SES
	// local's records, so polling more often would only load the stack.
	for ; ; time.Sleep(5 * time.Second) {
		timedOut := time.Now().After(deadline)
		for _, s := range all {
			if !s.completed.IsZero() {
				continue
			}
			var imp roster.Import
			apiJSON(b, "GET", "/schools/"+s.id+"/imports/"+s.importID, s.token, nil, &imp)
			if finished(imp) {
				if imp.Status != roster.ImportCompleted || imp.Results.Created != s.users {
					b.Fatalf("%s: %s, created %d of %d", s.id, imp.Status, imp.Results.Created, s.users)
				}
				s.confirmed, s.completed = *imp.ConfirmedAt, *imp.CompletedAt
			}
		}
		ds := stack.SESDeliveries(from)
		done := len(ds) >= want
		for _, s := range all {
			done = done && !s.completed.IsZero()
		}
		if !done && !timedOut {
			continue
		}
		mailed := map[string]int{}
		for _, d := range ds {
			_, domain, _ := strings.Cut(d.To, "@")
			if s := bySchool[strings.TrimSuffix(domain, ".school")]; s != nil {
				if mailed[s.id]++; d.At.After(s.lastMail) {
					s.lastMail = d.At
				}
			}
		}
		for _, s := range all {
			if mailed[s.id] < s.users {
				s.lastMail = time.Time{} // not all mailed yet
			}
		}
		if !done {
			b.Errorf("not done after %v: %d of %d mails", timeout, len(ds), want)
		}
		return done
	}
}

func reportTermStart(b *testing.B, schools []*termStart, small *termStart, from int, rate float64, thrownBefore int64, done bool) {
	b.Helper()
	// Over the schools that got there; a run that timed out says how many.
	var toDone, toMail []float64
	for _, s := range schools {
		if !s.completed.IsZero() {
			toDone = append(toDone, s.completed.Sub(s.confirmed).Seconds())
		}
		if !s.lastMail.IsZero() && !s.confirmed.IsZero() {
			toMail = append(toMail, s.lastMail.Sub(s.confirmed).Seconds())
		}
	}
	report(b, float64(len(toDone)), "schools-completed")
	report(b, float64(len(toMail)), "schools-all-mailed")
	for _, m := range []struct {
		name string
		v    []float64
	}{{"confirm-to-completed", toDone}, {"confirm-to-last-mail", toMail}} {
		if len(m.v) == 0 {
			continue
		}
		slices.Sort(m.v)
		report(b, percentile(m.v, 50), m.name+"-p50-s")
		report(b, percentile(m.v, 95), m.name+"-p95-s")
		report(b, m.v[len(m.v)-1], m.name+"-max-s")
	}
	if !small.lastMail.IsZero() && !small.confirmed.IsZero() {
		report(b, small.lastMail.Sub(small.confirmed).Seconds(), "small-school-confirm-to-last-mail-s")
	}

	// Lost or twice: every user of every school exactly once, in the
	// table and in SES local.
	ds := stack.SESDeliveries(from)
	perAddress := map[string]int{}
	emailsPerSecond, callsPerSecond := map[int64]int{}, map[int64]map[int64]bool{}
	for _, d := range ds {
		perAddress[d.To]++
		sec := d.At.Unix()
		emailsPerSecond[sec]++
		if callsPerSecond[sec] == nil {
			callsPerSecond[sec] = map[int64]bool{}
		}
		callsPerSecond[sec][d.Call] = true
	}
	report(b, float64(len(ds)), "mails-delivered")
	lostMail, twice, lostUsers := 0, 0, 0
	for _, s := range append(slices.Clone(schools), small) {
		for u := 0; u < s.users; u++ {
			switch n := perAddress[fmt.Sprintf("p%05d@%s.school", u, s.id)]; {
			case n == 0:
				lostMail++
			case n > 1:
				twice += n - 1
			}
		}
		if s.completed.IsZero() {
			continue // still importing when the run timed out
		}
		if n := countUsers(b, s.id); n != s.users+1 { // and the owner
			lostUsers += s.users + 1 - n
		}
	}
	peakEmails, peakCalls := 0, 0
	for sec, n := range emailsPerSecond {
		peakEmails, peakCalls = max(peakEmails, n), max(peakCalls, len(callsPerSecond[sec]))
	}
	report(b, float64(lostUsers), "users-lost")
	if done {
		report(b, float64(lostMail), "mails-lost")
	} else {
		report(b, float64(lostMail), "mails-not-sent-by-deadline")
		lostMail = 0
	}
	report(b, float64(twice), "mails-twice")
	report(b, rate, "ses-rate-emails/s")
	report(b, float64(peakEmails), "peak-emails/s")
	report(b, float64(peakCalls), "peak-ses-calls/s")
	report(b, float64(stack.SESStats().Throttled-thrownBefore), "ses-calls-refused-for-rate")
	if lostUsers != 0 || lostMail != 0 || twice != 0 || float64(peakEmails) > rate {
		b.Errorf("lost users %d, lost mails %d, mails twice %d, peak %d emails/s over %v", lostUsers, lostMail, twice, peakEmails, rate)
	}
}

// countUsers counts the user items of a school with a consistent Query.
func countUsers(b *testing.B, school string) int {
	b.Helper()
	in := &dynamodb.QueryInput{
		TableName:              aws.String(stack.Tables["RosterTable"]),
		KeyConditionExpression: aws.String("PK = :pk AND begins_with(SK, :sk)"),
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":pk": &types.AttributeValueMemberS{Value: "SCHOOL#" + school}, ":sk": &types.AttributeValueMemberS{Value: "USER#"},
		},
		Select: types.SelectCount, ConsistentRead: aws.Bool(true),
	}
	n := 0
	p := dynamodb.NewQueryPaginator(stack.DynamoDB, in)
	for p.HasMorePages() {
		out, err := p.NextPage(context.Background())
		if err != nil {
			b.Fatal(err)
		}
		n += int(out.Count)
	}
	return n
}

// percentile returns the p-th percentile of sorted values (nearest rank).
func percentile(sorted []float64, p int) float64 {
	k := (p*len(sorted) + 99) / 100
	return sorted[max(k-1, 0)]
}

func envInt(b *testing.B, name string, def int) int {
	b.Helper()
	v := os.Getenv(name)
	if v == "" {
		return def
	}
	n, err := strconv.Atoi(v)
	if err != nil || n <= 0 {
		b.Fatalf("%s=%q: want a positive whole number", name, v)
	}
	return n
}

// report reports a metric and logs it too, so a run that fails still
// shows what it measured.
func report(b *testing.B, v float64, unit string) {
	b.Helper()
	b.ReportMetric(v, unit)
	b.Logf("%s: %.2f", unit, v)
}
