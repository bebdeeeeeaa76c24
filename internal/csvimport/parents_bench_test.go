package csvimport

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"runtime"
	"testing"
)

// familyFile is a users file of n students, each naming two parents, and
// then the n parents: every link waits for the end of the file, the worst
// case for the links' memory.
func familyFile(n int) []byte {
	var b bytes.Buffer
	b.WriteString("email,first_name,group,Parent 1 Email,Parent 1 Relationship,Parent 2 Email\r\n")
	for i := range n {
		fmt.Fprintf(&b, "pupil%d@hill-school.org,Kid,Students,mum%d@home-mail.org,Mum,dad%d@home-mail.org\r\n", i, i, i)
	}
	for i := range n {
		fmt.Fprintf(&b, "mum%d@home-mail.org,Mum,Parents,,,\r\ndad%d@home-mail.org,Dad,Parents,,,\r\n", i, i)
	}
	return b.Bytes()
}

// BenchmarkValidateUsersWithParents validates 100,000 rows (a third of them
// students naming two parents who come later in the file) and reports the
// rows a second and the peak live heap (sampled after a GC every 10,000
// rows), against the same number of rows without parent columns.
func BenchmarkValidateUsersWithParents(b *testing.B) {
	const students = benchRows / 3
	for _, tc := range []struct {
		name string
		data []byte
	}{{"parents", familyFile(students)}, {"noParents", generate(3 * students)}} {
		b.Run(tc.name, func(b *testing.B) {
			opts := Options{Kind: KindUsers, Groups: []string{"Students", "Staff", "Parents"}, SizeHint: int64(len(tc.data))}
			var peak uint64
			var links int
			b.SetBytes(int64(len(tc.data)))
			reportRows(b, 3*students, func() {
				runtime.GC()
				h := &heapSampler{forceGC: true}
				sum, err := Validate(context.Background(), bytes.NewReader(tc.data), opts, Sinks(h, NewErrorFile(io.Discard)))
				if err != nil {
					b.Fatal(err)
				}
				peak, links = max(peak, h.peak), sum.Links
			})
			if tc.name == "parents" && links != 2*students {
				b.Fatalf("links = %d, want %d", links, 2*students)
			}
			b.ReportMetric(float64(peak)/(1<<20), "peak-live-heap-MB")
		})
	}
}
