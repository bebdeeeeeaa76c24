// Package blobs is the S3 adapter: presigned upload and download URLs,
// streaming reads, and streaming writes of artifacts with multipart uploads,
// so no file is ever held whole in memory.
package blobs

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"mime"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/smithy-go"

	"github.com/schoolroster/rosterimport/internal/app"
	"github.com/schoolroster/rosterimport/internal/roster"
)

// API is the part of the S3 client the store uses.
type API interface {
	GetObject(context.Context, *s3.GetObjectInput, ...func(*s3.Options)) (*s3.GetObjectOutput, error)
	PutObject(context.Context, *s3.PutObjectInput, ...func(*s3.Options)) (*s3.PutObjectOutput, error)
	HeadObject(context.Context, *s3.HeadObjectInput, ...func(*s3.Options)) (*s3.HeadObjectOutput, error)
	CreateMultipartUpload(context.Context, *s3.CreateMultipartUploadInput, ...func(*s3.Options)) (*s3.CreateMultipartUploadOutput, error)
	UploadPart(context.Context, *s3.UploadPartInput, ...func(*s3.Options)) (*s3.UploadPartOutput, error)
	CompleteMultipartUpload(context.Context, *s3.CompleteMultipartUploadInput, ...func(*s3.Options)) (*s3.CompleteMultipartUploadOutput, error)
	AbortMultipartUpload(context.Context, *s3.AbortMultipartUploadInput, ...func(*s3.Options)) (*s3.AbortMultipartUploadOutput, error)
}

// Presigner is the part of the presign client the store uses.
type Presigner interface {
	PresignPutObject(context.Context, *s3.PutObjectInput, ...func(*s3.PresignOptions)) (*v4.PresignedHTTPRequest, error)
	PresignGetObject(context.Context, *s3.GetObjectInput, ...func(*s3.PresignOptions)) (*v4.PresignedHTTPRequest, error)
}

var (
	_ API               = (*s3.Client)(nil)
	_ Presigner         = (*s3.PresignClient)(nil)
	_ app.ImportFiles   = (*Store)(nil)
	_ app.ArtifactFiles = (*Store)(nil)
	_ app.ExportFiles   = (*Store)(nil)
)

// Store reads and writes one bucket.
type Store struct {
	s3      API
	presign Presigner
	bucket  string
	// PartSize is the multipart part size of writers (S3's minimum is 5 MiB).
	PartSize int
}

// New returns a Store over bucket.
func New(client *s3.Client, bucket string) *Store {
	return &Store{s3: client, presign: s3.NewPresignClient(client), bucket: bucket, PartSize: 5 << 20}
}

// PresignPut returns a PUT URL for exactly one object key and exactly size
// bytes: the Content-Length is signed, so S3 refuses any other length.
// Errors: EINTERNAL.
func (s *Store) PresignPut(ctx context.Context, key string, size int64, contentType string, expires time.Duration) (string, map[string]string, error) {
	req, err := s.presign.PresignPutObject(ctx, &s3.PutObjectInput{
		Bucket: &s.bucket, Key: &key, ContentLength: &size, ContentType: &contentType,
	}, s3.WithPresignExpires(expires))
	if err != nil {
		return "", nil, roster.Internal(fmt.Errorf("presign put: %w", err))
	}
	headers := map[string]string{}
	for k, vs := range req.SignedHeader {
		if !strings.EqualFold(k, "host") {
			headers[k] = strings.Join(vs, ",")
		}
	}
	return req.URL, headers, nil
}

// PresignGet returns a short-lived download URL that saves as fileName.
// Errors: EINTERNAL.
func (s *Store) PresignGet(ctx context.Context, key, fileName string, expires time.Duration) (string, error) {
	disposition := mime.FormatMediaType("attachment", map[string]string{"filename": fileName})
	req, err := s.presign.PresignGetObject(ctx, &s3.GetObjectInput{
		Bucket: &s.bucket, Key: &key, ResponseContentDisposition: &disposition,
	}, s3.WithPresignExpires(expires))
	if err != nil {
		return "", roster.Internal(fmt.Errorf("presign get: %w", err))
	}
	return req.URL, nil
}

// Exists reports whether an object is there.
// Errors: EINTERNAL.
func (s *Store) Exists(ctx context.Context, key string) (bool, error) {
	_, err := s.s3.HeadObject(ctx, &s3.HeadObjectInput{Bucket: &s.bucket, Key: &key})
	if isNotFound(err) {
		return false, nil
	}
	if err != nil {
		return false, roster.Internal(fmt.Errorf("head %s: %w", key, err))
	}
	return true, nil
}

// Open streams an object. The caller closes the reader.
// Errors: ENOTFOUND; EINTERNAL.
func (s *Store) Open(ctx context.Context, key string) (io.ReadCloser, int64, error) {
	out, err := s.s3.GetObject(ctx, &s3.GetObjectInput{Bucket: &s.bucket, Key: &key})
	if isNotFound(err) {
		return nil, 0, roster.Errorf(roster.ENOTFOUND, "File not found.")
	}
	if err != nil {
		return nil, 0, roster.Internal(fmt.Errorf("get %s: %w", key, err))
	}
	return out.Body, aws.ToInt64(out.ContentLength), nil
}

// Put stores a small object in one request.
// Errors: EINTERNAL.
func (s *Store) Put(ctx context.Context, key string, body []byte, contentType string) error {
	_, err := s.s3.PutObject(ctx, &s3.PutObjectInput{
		Bucket: &s.bucket, Key: &key, Body: bytes.NewReader(body), ContentLength: aws.Int64(int64(len(body))), ContentType: &contentType,
	})
	if err != nil {
		return roster.Internal(fmt.Errorf("put %s: %w", key, err))
	}
	return nil
}

func isNotFound(err error) bool {
	var nsk *types.NoSuchKey
	var nf *types.NotFound
	var api smithy.APIError
	return errors.As(err, &nsk) || errors.As(err, &nf) || (errors.As(err, &api) && (api.ErrorCode() == "NotFound" || api.ErrorCode() == "NoSuchKey"))
}

// Writer streams an object to S3: parts are uploaded as they fill, so memory
// stays at one part whatever the object's size. Close finishes the object;
// Abort (or a failed Close) leaves nothing behind.
type Writer struct {
	s           *Store
	ctx         context.Context
	key         string
	contentType string
	buf         []byte
	uploadID    *string
	parts       []types.CompletedPart
	err         error
	done        bool
}

// Create returns a Writer for key.
func (s *Store) Create(ctx context.Context, key, contentType string) app.ArtifactWriter {
	return &Writer{s: s, ctx: ctx, key: key, contentType: contentType, buf: make([]byte, 0, 64<<10)}
}

func (w *Writer) Write(p []byte) (int, error) {
	if w.err != nil {
		return 0, w.err
	}
	n := len(p)
	for len(p) > 0 {
		room := w.s.PartSize - len(w.buf)
		take := min(room, len(p))
		w.buf = append(w.buf, p[:take]...)
		p = p[take:]
		if len(w.buf) == w.s.PartSize {
			if w.err = w.uploadPart(); w.err != nil {
				return 0, w.err
			}
		}
	}
	return n, nil
}

func (w *Writer) uploadPart() error {
	if w.uploadID == nil {
		out, err := w.s.s3.CreateMultipartUpload(w.ctx, &s3.CreateMultipartUploadInput{Bucket: &w.s.bucket, Key: &w.key, ContentType: &w.contentType})
		if err != nil {
			return roster.Internal(fmt.Errorf("start upload of %s: %w", w.key, err))
		}
		w.uploadID = out.UploadId
	}
	num := int32(len(w.parts) + 1)
	out, err := w.s.s3.UploadPart(w.ctx, &s3.UploadPartInput{
		Bucket: &w.s.bucket, Key: &w.key, UploadId: w.uploadID, PartNumber: &num,
		Body: bytes.NewReader(w.buf), ContentLength: aws.Int64(int64(len(w.buf))),
	})
	if err != nil {
		return roster.Internal(fmt.Errorf("upload part %d of %s: %w", num, w.key, err))
	}
	w.parts = append(w.parts, types.CompletedPart{ETag: out.ETag, PartNumber: &num})
	w.buf = w.buf[:0]
	return nil
}

// Close uploads what is left and completes the object.
// Errors: EINTERNAL (the upload is aborted).
func (w *Writer) Close() error {
	if w.done {
		return w.err
	}
	w.done = true
	if w.err != nil {
		w.abort()
		return w.err
	}
	if w.uploadID == nil {
		// Small enough for one request.
		w.err = w.s.Put(w.ctx, w.key, w.buf, w.contentType)
		return w.err
	}
	if len(w.buf) > 0 {
		if w.err = w.uploadPart(); w.err != nil {
			w.abort()
			return w.err
		}
	}
	_, err := w.s.s3.CompleteMultipartUpload(w.ctx, &s3.CompleteMultipartUploadInput{
		Bucket: &w.s.bucket, Key: &w.key, UploadId: w.uploadID, MultipartUpload: &types.CompletedMultipartUpload{Parts: w.parts},
	})
	if err != nil {
		w.err = roster.Internal(fmt.Errorf("complete upload of %s: %w", w.key, err))
		w.abort()
	}
	return w.err
}

// Abort gives up the object: nothing is stored.
func (w *Writer) Abort() {
	if !w.done {
		w.done = true
		w.abort()
	}
}

func (w *Writer) abort() {
	if w.uploadID != nil {
		// A fresh context: the writer's may be what was cancelled.
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_, _ = w.s.s3.AbortMultipartUpload(ctx, &s3.AbortMultipartUploadInput{Bucket: &w.s.bucket, Key: &w.key, UploadId: w.uploadID})
	}
}
