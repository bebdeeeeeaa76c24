package dynamo_test

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"log/slog"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/schoolroster/rosterimport/internal/app"
	"github.com/schoolroster/rosterimport/internal/blobs"
	"github.com/schoolroster/rosterimport/internal/dynamo"
	"github.com/schoolroster/rosterimport/internal/roster"
)

// A users export of a large school on DynamoDB Local and the S3 emulator,
// with the confirm function's own code (app.Exports over the store and the
// blobs writer): seconds an export, bytes allocated, and the peak of the
// heap while it runs. Run the sizes side by side to see that memory does not
// grow with the school: what is held is one page of users (1,000) and one
// multipart part (5 MiB, about 65,000 users' rows), so the peak grows until
// the file fills a part (50k) and then stays (200k, a file of three parts):
//
//	go test ./internal/dynamo -run '^$' -bench 'Export' -benchtime 3x -timeout 30m
//
// Each school is seeded once per test process, with BatchWriteItem, before
// the timer starts (200,000 users take a few minutes on DynamoDB Local).

func BenchmarkExport5k(b *testing.B)   { benchExport(b, 5000) }
func BenchmarkExport50k(b *testing.B)  { benchExport(b, 50000) }
func BenchmarkExport200k(b *testing.B) { benchExport(b, 200000) }

var exportSeeded sync.Map // school id -> error (nil once seeded)

func benchExport(b *testing.B, users int) {
	ctx := context.Background()
	s := dynamo.NewStore(emulators.DynamoDB, emulators.Tables["RosterTable"])
	school := fmt.Sprintf("exp-bench-%d", users)
	seed, _ := exportSeeded.LoadOrStore(school, &sync.Once{})
	var seedErr error
	seed.(*sync.Once).Do(func() {
		start := time.Now()
		seedErr = seedExportSchool(ctx, s, school, users)
		b.Logf("seeded %d users in %v", users, time.Since(start).Round(time.Second))
	})
	if seedErr != nil {
		b.Fatal(seedErr)
	}
	files := blobs.New(emulators.S3, emulators.Buckets["ImportsBucket"])
	x := &app.Exports{Store: s, Files: files, Now: time.Now, Log: slog.New(slog.NewTextHandler(io.Discard, nil))}

	var peak, base uint64
	var lastID string
	b.ReportAllocs()
	b.ResetTimer()
	for i := range b.N {
		b.StopTimer()
		lastID = fmt.Sprintf("BENCH%d%06d", time.Now().UnixNano(), i)
		if err := s.CreateExport(ctx, roster.Export{SchoolID: school, ID: lastID, CreatedAt: time.Now().UTC()}); err != nil {
			b.Fatal(err)
		}
		runtime.GC()
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		base = max(base, ms.HeapInuse)
		stop := sampleHeap(&peak)
		b.StartTimer()
		if err := x.Queued(ctx, school, lastID, "bench-claim"); err != nil {
			b.Fatal(err)
		}
		b.StopTimer()
		stop()
		b.StartTimer()
	}
	b.StopTimer()
	b.ReportMetric(b.Elapsed().Seconds()/float64(b.N), "s/export")
	b.ReportMetric(float64(peak)/(1<<20), "peak-heap-MB")
	b.ReportMetric(float64(peak-min(peak, base))/(1<<20), "heap-growth-MB")

	// The last file holds every user once, the owner too.
	e, err := s.GetExport(ctx, school, lastID)
	if err != nil || e.Status != roster.ExportDone || e.Rows != users+1 {
		b.Fatalf("export = %+v, %v; want done with %d rows", e, err, users+1)
	}
	body, size, err := files.Open(ctx, e.ObjectKey)
	if err != nil {
		b.Fatal(err)
	}
	defer body.Close()
	sc := bufio.NewScanner(body)
	lines := 0
	for sc.Scan() {
		if lines == 0 && sc.Text() != "\uFEFFemail,first_name,last_name,group,user_id,status" {
			b.Fatalf("header = %q", sc.Text())
		}
		lines++
	}
	if err := sc.Err(); err != nil || lines != users+2 {
		b.Fatalf("file has %d lines (%v), want %d", lines, err, users+2)
	}
	b.ReportMetric(float64(size)/(1<<20), "file-MB")
}

// sampleHeap records the highest HeapInuse in peak, every 5 ms, until stop.
func sampleHeap(peak *uint64) (stop func()) {
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		t := time.NewTicker(5 * time.Millisecond)
		defer t.Stop()
		var ms runtime.MemStats
		for {
			runtime.ReadMemStats(&ms)
			*peak = max(*peak, ms.HeapInuse)
			select {
			case <-done:
				return
			case <-t.C:
			}
		}
	}()
	return func() { close(done); wg.Wait() }
}

// seedExportSchool writes a school of n users (and its owner): one user is
// saved through the store, and its item is the template of the others, which
// go in with BatchWriteItem, 25 a call, 8 calls at once.
func seedExportSchool(ctx context.Context, s *dynamo.Store, school string, n int) error {
	now := time.Now().UTC()
	if err := s.CreateSchool(ctx, roster.School{ID: school, Name: "Bench School", CreatedAt: now}, roster.ActiveOwner("head@"+school+".school", now)); err != nil {
		return err
	}
	const tmpl = "template@bench.school"
	if _, err := s.SaveMember(ctx, app.MemberChange{After: roster.Member{SchoolID: school, Email: tmpl, FirstName: "Tess", LastName: "Template",
		Groups: []string{"students", "staff"}, UserID: "T-0", Status: roster.StatusActive, InvitedAt: now}}); err != nil {
		return err
	}
	table := emulators.Tables["RosterTable"]
	out, err := emulators.DynamoDB.GetItem(ctx, &dynamodb.GetItemInput{TableName: &table, Key: map[string]types.AttributeValue{
		"PK": &types.AttributeValueMemberS{Value: "SCHOOL#" + school}, "SK": &types.AttributeValueMemberS{Value: "USER#" + tmpl},
	}})
	if err != nil || len(out.Item) == 0 {
		return fmt.Errorf("read the template user: %v", err)
	}
	user := func(i int) map[string]types.AttributeValue {
		email := fmt.Sprintf("user%06d@bench.school", i)
		it := make(map[string]types.AttributeValue, len(out.Item))
		for k, v := range out.Item {
			if sv, ok := v.(*types.AttributeValueMemberS); ok {
				v = &types.AttributeValueMemberS{Value: strings.ReplaceAll(sv.Value, tmpl, email)}
			}
			it[k] = v
		}
		it["firstName"] = &types.AttributeValueMemberS{Value: fmt.Sprintf("First%d", i)}
		it["lastName"] = &types.AttributeValueMemberS{Value: fmt.Sprintf("O'Last-%d", i)}
		it["userId"] = &types.AttributeValueMemberS{Value: fmt.Sprintf("U-%06d", i)}
		return it
	}
	var next atomic.Int64
	var firstErr error
	var mu sync.Mutex
	var wg sync.WaitGroup
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				start := int(next.Add(25)) - 25
				if start >= n {
					return
				}
				var reqs []types.WriteRequest
				for i := start; i < min(start+25, n); i++ {
					reqs = append(reqs, types.WriteRequest{PutRequest: &types.PutRequest{Item: user(i)}})
				}
				if err := batchWrite(ctx, table, reqs); err != nil {
					mu.Lock()
					firstErr = err
					mu.Unlock()
					return
				}
			}
		}()
	}
	wg.Wait()
	if firstErr != nil {
		return firstErr
	}
	// The template goes, so the school has exactly n users and its owner.
	_, err = emulators.DynamoDB.DeleteItem(ctx, &dynamodb.DeleteItemInput{TableName: &table, Key: map[string]types.AttributeValue{
		"PK": &types.AttributeValueMemberS{Value: "SCHOOL#" + school}, "SK": &types.AttributeValueMemberS{Value: "USER#" + tmpl},
	}})
	return err
}

// batchWrite puts reqs, retrying unprocessed items.
func batchWrite(ctx context.Context, table string, reqs []types.WriteRequest) error {
	for attempt := 0; len(reqs) > 0; attempt++ {
		if attempt > 20 {
			return fmt.Errorf("%d items still unprocessed", len(reqs))
		}
		out, err := emulators.DynamoDB.BatchWriteItem(ctx, &dynamodb.BatchWriteItemInput{RequestItems: map[string][]types.WriteRequest{table: reqs}})
		if err != nil {
			return err
		}
		reqs = out.UnprocessedItems[table]
		if len(reqs) > 0 {
			time.Sleep(time.Duration(attempt+1) * 50 * time.Millisecond)
		}
	}
	return nil
}
