package csvimport

import (
	"bytes"
	"context"
	"encoding/csv"
	"fmt"
	"io"
	"runtime"
	"testing"
	"time"
)

var (
	firstNames = []string{"Amelia", "Oliver", "Zoë", "Siân", "Łukasz", "Ngọc", "José", "Aoife", "Mohammed", "Isla"}
	lastNames  = []string{"Smith", "Jones", "O'Brien", "Nowak", "Trần", "García", "Williams", "Brown", "Patel", "Wilson"}
	benchGroup = []string{"Students", "Staff", "Parents", ""}
)

// usersFile generates a users CSV row by row, never holding the whole file.
type usersFile struct {
	rows, next int
	buf        bytes.Buffer
}

func newUsersFile(rows int) *usersFile {
	g := &usersFile{rows: rows}
	g.buf.WriteString("email,first_name,last_name,group\r\n")
	return g
}

func (g *usersFile) Read(p []byte) (int, error) {
	for g.buf.Len() < len(p) && g.next < g.rows {
		i := g.next
		f, l := firstNames[i%10], lastNames[(i/10)%10]
		fmt.Fprintf(&g.buf, "pupil%d.%d@hill-school.example.org,%s,%s,%s\r\n", i, i%97, f, l, benchGroup[i%4])
		g.next++
	}
	if g.buf.Len() == 0 {
		return 0, io.EOF
	}
	return g.buf.Read(p)
}

func generate(rows int) []byte {
	b, _ := io.ReadAll(newUsersFile(rows))
	return b
}

type discard struct{}

func (discard) Start([]string) error { return nil }
func (discard) Row(*RowResult) error { return nil }

const benchRows = 100_000

// reportRows adds rows/s and allocs/row to a benchmark.
func reportRows(b *testing.B, rowsPerOp int, run func()) {
	b.Helper()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		run()
	}
	b.StopTimer()
	runtime.ReadMemStats(&after)
	rows := float64(rowsPerOp) * float64(b.N)
	b.ReportMetric(rows/b.Elapsed().Seconds(), "rows/s")
	b.ReportMetric(float64(after.Mallocs-before.Mallocs)/rows, "allocs/row")
}

// BenchmarkRawEncodingCSV is the yardstick: encoding/csv reading the same bytes.
func BenchmarkRawEncodingCSV(b *testing.B) {
	data := generate(benchRows)
	b.SetBytes(int64(len(data)))
	reportRows(b, benchRows, func() {
		r := csv.NewReader(bytes.NewReader(data))
		r.FieldsPerRecord = -1
		for {
			if _, err := r.Read(); err == io.EOF {
				break
			} else if err != nil {
				b.Fatal(err)
			}
		}
	})
}

// BenchmarkReader is this package's reader alone (decoding, line endings,
// quotes, row numbers).
func BenchmarkReader(b *testing.B) {
	data := generate(benchRows)
	b.SetBytes(int64(len(data)))
	reportRows(b, benchRows, func() {
		rd, err := NewReader(bytes.NewReader(data), Limits{})
		if err != nil {
			b.Fatal(err)
		}
		for {
			if _, err := rd.Next(); err == io.EOF {
				break
			} else if err != nil {
				b.Fatal(err)
			}
		}
	})
}

// BenchmarkValidateUsers is the whole preview engine on 100k rows: reading,
// every rule, duplicate index, preview, with and without the error file.
func BenchmarkValidateUsers(b *testing.B) {
	data := generate(benchRows)
	opts := Options{Kind: KindUsers, Groups: []string{"Students", "Staff", "Parents"}}
	b.Run("validate", func(b *testing.B) {
		b.SetBytes(int64(len(data)))
		reportRows(b, benchRows, func() {
			if _, err := Validate(context.Background(), bytes.NewReader(data), opts, discard{}); err != nil {
				b.Fatal(err)
			}
		})
	})
	b.Run("validate+errorfile", func(b *testing.B) {
		b.SetBytes(int64(len(data)))
		reportRows(b, benchRows, func() {
			ef := NewErrorFile(io.Discard)
			if _, err := Validate(context.Background(), bytes.NewReader(data), opts, ef); err != nil {
				b.Fatal(err)
			}
		})
	})
}

// heapSampler is a sink that samples the heap every 10,000 rows: the heap
// in use (live data and garbage not yet collected), or with forceGC the live
// heap alone, measured right after a collection.
type heapSampler struct {
	n       int
	forceGC bool
	peak    uint64
}

func (h *heapSampler) Start([]string) error { return nil }
func (h *heapSampler) Row(*RowResult) error {
	if h.n++; h.n%10_000 == 0 {
		if h.forceGC {
			runtime.GC()
		}
		var m runtime.MemStats
		runtime.ReadMemStats(&m)
		h.peak = max(h.peak, m.HeapInuse)
	}
	return nil
}

// BenchmarkValidateMemory streams 10k and 1M generated rows through the
// engine (with the error file) and reports the peak heap: "inuse" as the
// runtime sees it, "live" sampled after a GC. With the file's size known, as
// the preview Lambda knows the object's, the duplicate index is allocated
// once; only that index grows with the file (12 bytes a slot).
func BenchmarkValidateMemory(b *testing.B) {
	for _, rows := range []int{10_000, 1_000_000} {
		size, _ := io.Copy(io.Discard, newUsersFile(rows))
		for _, hint := range []bool{true, false} {
			for _, live := range []bool{false, true} {
				name := fmt.Sprintf("rows=%d/sizeHint=%v/%s", rows, hint, map[bool]string{false: "inuse", true: "live"}[live])
				b.Run(name, func(b *testing.B) {
					var peak uint64
					for i := 0; i < b.N; i++ {
						runtime.GC()
						h := &heapSampler{forceGC: live}
						opts := Options{Kind: KindUsers, Groups: []string{"Students", "Staff", "Parents"}, Limits: Limits{MaxRows: rows, MaxBytes: 1 << 30}}
						if hint {
							opts.SizeHint = size
						}
						if _, err := Validate(context.Background(), newUsersFile(rows), opts, Sinks(h, NewErrorFile(io.Discard))); err != nil {
							b.Fatal(err)
						}
						peak = max(peak, h.peak)
					}
					b.ReportMetric(float64(peak)/(1<<20), "peak-heap-MB")
				})
			}
		}
	}
}

// BenchmarkValidateVsRaw alternates encoding/csv and the whole validation on
// the same 100k rows in every iteration, so both see the same machine, and
// reports validation throughput as a share of the raw read.
func BenchmarkValidateVsRaw(b *testing.B) {
	data := generate(benchRows)
	opts := Options{Kind: KindUsers, Groups: []string{"Students", "Staff", "Parents"}}
	var raw, val time.Duration
	for i := 0; i < b.N; i++ {
		t0 := time.Now()
		r := csv.NewReader(bytes.NewReader(data))
		r.FieldsPerRecord = -1
		for {
			if _, err := r.Read(); err == io.EOF {
				break
			} else if err != nil {
				b.Fatal(err)
			}
		}
		t1 := time.Now()
		if _, err := Validate(context.Background(), bytes.NewReader(data), opts, discard{}); err != nil {
			b.Fatal(err)
		}
		raw, val = raw+t1.Sub(t0), val+time.Since(t1)
	}
	b.ReportMetric(float64(benchRows*b.N)/raw.Seconds(), "raw-rows/s")
	b.ReportMetric(float64(benchRows*b.N)/val.Seconds(), "validate-rows/s")
	b.ReportMetric(raw.Seconds()/val.Seconds(), "validate/raw")
}
