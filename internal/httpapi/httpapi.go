// Package httpapi adapts API Gateway HTTP API (payload format 2.0) requests to
// the use cases: routing by route key, the caller from the JWT claims, JSON
// bodies, and the one table that maps error codes to HTTP statuses.
package httpapi

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"strings"

	"github.com/aws/aws-lambda-go/events"

	"github.com/schoolroster/rosterimport/internal/app"
	"github.com/schoolroster/rosterimport/internal/roster"
)

// statusOf maps error codes to HTTP statuses; anything unknown is a 500.
var statusOf = map[string]int{
	roster.EINVALID:         http.StatusBadRequest,
	roster.EUNAUTHORIZED:    http.StatusUnauthorized,
	roster.EFORBIDDEN:       http.StatusForbidden,
	roster.ENOTFOUND:        http.StatusNotFound,
	roster.ECONFLICT:        http.StatusConflict,
	roster.ETOOLARGE:        http.StatusRequestEntityTooLarge,
	roster.ETOOMANYREQUESTS: http.StatusTooManyRequests,
	roster.EINTERNAL:        http.StatusInternalServerError,
	roster.ENOTIMPLEMENTED:  http.StatusNotImplemented,
}

// Request is one API call as a handler sees it.
type Request struct {
	Caller app.Caller
	Path   map[string]string // path parameters
	Query  map[string]string
	Body   []byte
	raw    *events.APIGatewayV2HTTPRequest
}

// Header returns a request header (API Gateway lower-cases their names).
func (r *Request) Header(name string) string { return r.raw.Headers[name] }

// Response is what a handler answers: a status and a value sent as JSON.
type Response struct {
	Status  int
	Body    any
	Raw     *RawBody          // sent as it is instead of Body as JSON
	Headers map[string]string // more headers of a JSON answer, lower-case names
}

// OK is a 200 response with body as JSON.
func OK(body any) Response { return Response{Status: http.StatusOK, Body: body} }

// HandlerFunc serves one route.
type HandlerFunc func(ctx context.Context, r *Request) (Response, error)

// Router dispatches by API Gateway route key, e.g. "GET /schools/{schoolId}".
type Router struct {
	routes map[string]HandlerFunc
	log    *slog.Logger
}

// NewRouter returns an empty router that logs to log.
func NewRouter(log *slog.Logger) *Router {
	return &Router{routes: map[string]HandlerFunc{}, log: log}
}

// Handle registers h for a route key, exactly as it is declared in template.yaml.
func (rt *Router) Handle(routeKey string, h HandlerFunc) { rt.routes[routeKey] = h }

// Serve is the Lambda handler. It never returns an error: every failure is an
// HTTP response, and internal details go to the log with the request id.
func (rt *Router) Serve(ctx context.Context, ev events.APIGatewayV2HTTPRequest) (events.APIGatewayV2HTTPResponse, error) {
	log := rt.log.With("requestId", ev.RequestContext.RequestID, "route", ev.RouteKey)
	if id := ev.PathParameters["schoolId"]; id != "" {
		log = log.With("schoolId", id)
	}
	if id := ev.PathParameters["importId"]; id != "" {
		log = log.With("importId", id)
	}
	h, ok := rt.routes[ev.RouteKey]
	if !ok {
		// API Gateway only sends routes template.yaml declares for this
		// function, so a route without a handler is one not built yet.
		return rt.fail(log, roster.Errorf(roster.ENOTIMPLEMENTED, "This operation is not available yet."))
	}
	req := &Request{Path: ev.PathParameters, Query: ev.QueryStringParameters, raw: &ev}
	if ev.RequestContext.Authorizer != nil && ev.RequestContext.Authorizer.JWT != nil {
		req.Caller = callerOf(ev.RequestContext.Authorizer.JWT.Claims)
	}
	body, err := decodeBody(ev)
	if err != nil {
		return rt.fail(log, roster.Errorf(roster.EINVALID, "The request body is not valid base64."))
	}
	req.Body = body
	resp, err := h(ctx, req)
	if err != nil {
		return rt.fail(log, err)
	}
	log.Info("request served", "status", resp.Status)
	if resp.Raw != nil {
		return rawResponse(resp.Status, resp.Raw), nil
	}
	out := jsonResponse(resp.Status, resp.Body)
	for k, v := range resp.Headers {
		out.Headers[k] = v
	}
	return out, nil
}

// callerOf reads the caller from the JWT claims API Gateway passes on, all
// as strings: email_verified is "true" only for a verified address.
func callerOf(claims map[string]string) app.Caller {
	return app.Caller{Email: claims["email"], EmailVerified: strings.EqualFold(claims["email_verified"], "true"), Sub: claims["sub"]}
}

func (rt *Router) fail(log *slog.Logger, err error) (events.APIGatewayV2HTTPResponse, error) {
	code := roster.ErrorCode(err)
	status, ok := statusOf[code]
	if !ok {
		status = http.StatusInternalServerError
	}
	if status >= 500 {
		log.Error("request failed", "status", status, "code", code, "err", err)
	} else {
		log.Info("request refused", "status", status, "code", code)
	}
	type errBody struct {
		Code    string `json:"code"`
		Message string `json:"message"`
	}
	return jsonResponse(status, map[string]errBody{"error": {Code: code, Message: roster.ErrorMessage(err)}}), nil
}

func jsonResponse(status int, body any) events.APIGatewayV2HTTPResponse {
	if status == http.StatusNoContent {
		return events.APIGatewayV2HTTPResponse{StatusCode: status, Headers: map[string]string{"cache-control": "no-store"}}
	}
	b, err := json.Marshal(body)
	if err != nil {
		status, b = http.StatusInternalServerError, []byte(`{"error":{"code":"internal","message":"An internal error has occurred."}}`)
	}
	return events.APIGatewayV2HTTPResponse{
		StatusCode: status,
		Headers:    map[string]string{"content-type": "application/json", "cache-control": "no-store"},
		Body:       string(b),
	}
}

// DecodeJSON decodes a request body into v, refusing unknown fields.
// Errors: EINVALID with a message naming the problem.
func DecodeJSON(r *Request, v any) error {
	if len(r.Body) == 0 {
		return roster.Errorf(roster.EINVALID, "A JSON request body is required.")
	}
	dec := json.NewDecoder(bytesReader(r.Body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return roster.Errorf(roster.EINVALID, "The request body is not valid JSON for this route.")
	}
	return nil
}
