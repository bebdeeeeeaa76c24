package blobs_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/schoolroster/rosterimport/infra/local"
	"github.com/schoolroster/rosterimport/infra/local/localtest"
	"github.com/schoolroster/rosterimport/internal/blobs"
	"github.com/schoolroster/rosterimport/internal/roster"
)

var emulators *local.Stack

func TestMain(m *testing.M) {
	os.Exit(localtest.Main(m, local.Options{EmulatorsOnly: true}, &emulators))
}

func newStore() *blobs.Store {
	client := s3.NewFromConfig(emulators.AWS, func(o *s3.Options) { o.BaseEndpoint = &emulators.S3URL; o.UsePathStyle = true })
	return blobs.New(client, emulators.Buckets["ImportsBucket"])
}

func read(t *testing.T, s *blobs.Store, key string) []byte {
	t.Helper()
	body, _, err := s.Open(context.Background(), key)
	if err != nil {
		t.Fatal(err)
	}
	defer body.Close()
	b, err := io.ReadAll(body)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestPresignedUploadAndDownload(t *testing.T) {
	ctx := context.Background()
	s := newStore()
	body := []byte("email\nann@hill.school\n")
	url, headers, err := s.PresignPut(ctx, "uploads/hill/IMP1", int64(len(body)), "text/csv", 10*time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	if headers["Content-Length"] != fmt.Sprint(len(body)) || headers["Content-Type"] != "text/csv" {
		t.Fatalf("headers to send = %v", headers)
	}
	put := func(b []byte) int {
		req, _ := http.NewRequest(http.MethodPut, url, bytes.NewReader(b))
		for k, v := range headers {
			if k != "Content-Length" {
				req.Header.Set(k, v)
			}
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	if got := put(append(body, body...)); got != http.StatusForbidden {
		t.Errorf("a longer body got %d, want 403", got)
	}
	if got := put(body); got != http.StatusOK {
		t.Fatalf("the declared body got %d, want 200", got)
	}
	if got := read(t, s, "uploads/hill/IMP1"); !bytes.Equal(got, body) {
		t.Errorf("stored %q", got)
	}
	get, err := s.PresignGet(ctx, "uploads/hill/IMP1", `my "users".csv`, time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.Get(get)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 || !bytes.Equal(b, body) || !strings.HasPrefix(resp.Header.Get("Content-Disposition"), "attachment;") {
		t.Errorf("download: %d %q disposition %q", resp.StatusCode, b, resp.Header.Get("Content-Disposition"))
	}
}

func TestWriterStreamsInParts(t *testing.T) {
	ctx := context.Background()
	s := newStore()
	// 11 MiB: two full 5 MiB parts and a last short one.
	want := bytes.Repeat([]byte("0123456789abcdef"), 11<<16)
	w := s.Create(ctx, "artifacts/hill/IMP1/big.csv", "text/csv")
	for chunk := want; len(chunk) > 0; {
		n := min(len(chunk), 100_000)
		if _, err := w.Write(chunk[:n]); err != nil {
			t.Fatal(err)
		}
		chunk = chunk[n:]
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if got := read(t, s, "artifacts/hill/IMP1/big.csv"); !bytes.Equal(got, want) {
		t.Fatalf("read back %d bytes, want %d identical", len(got), len(want))
	}

	small := s.Create(ctx, "artifacts/hill/IMP1/small.csv", "text/csv")
	_, _ = small.Write([]byte("a,b\r\n"))
	if err := small.Close(); err != nil {
		t.Fatal(err)
	}
	if got := read(t, s, "artifacts/hill/IMP1/small.csv"); string(got) != "a,b\r\n" {
		t.Errorf("small = %q", got)
	}
}

func TestAbortLeavesNothing(t *testing.T) {
	ctx := context.Background()
	s := newStore()
	for _, size := range []int{10, 6 << 20} { // before and after the first part is uploaded
		key := fmt.Sprintf("artifacts/hill/IMP2/aborted-%d.csv", size)
		w := s.Create(ctx, key, "text/csv")
		if _, err := w.Write(bytes.Repeat([]byte("x"), size)); err != nil {
			t.Fatal(err)
		}
		w.Abort()
		ok, err := s.Exists(ctx, key)
		if err != nil || ok {
			t.Errorf("size %d: exists = %v %v after abort", size, ok, err)
		}
	}
	_, _, err := s.Open(ctx, "artifacts/hill/none")
	if roster.ErrorCode(err) != roster.ENOTFOUND {
		t.Errorf("open a missing object: %v", err)
	}
	if errors.Is(err, io.EOF) {
		t.Error("unexpected EOF")
	}
}
