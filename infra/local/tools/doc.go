// Package tools pins the Versity S3 Gateway the local stack runs. It is its
// own module so that the gateway's many dependencies stay out of the
// service's go.mod: `make deps` builds it with `go build -C infra/local/tools`.
package tools
