// Package api holds the OpenAPI 3.1 description of the HTTP API
// (openapi.yaml): every route of template.yaml, its request and response
// bodies per status, and the error shape. Its tests hold the document to
// template.yaml; the system tests hold the service's answers to the
// document, and the console generates its TypeScript types from it.
package api

import _ "embed"

// openAPI is the document, as YAML.
//
//go:embed openapi.yaml
var openAPI []byte

// Document returns a copy of the OpenAPI document (YAML).
func Document() []byte { return append([]byte(nil), openAPI...) }
