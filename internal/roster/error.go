// Package roster is the domain of the roster import service: schools, groups,
// users, relationships and imports, and the error type every layer returns.
// It imports no AWS package.
package roster

import (
	"errors"
	"fmt"
)

// Error codes. Each maps to one HTTP status in internal/httpapi; the message
// that goes with a code is safe to show to the client.
const (
	ECONFLICT        = "conflict"          // the request clashes with the current state
	EINTERNAL        = "internal"          // a fault of ours; details only in the log
	EINVALID         = "invalid"           // bad input
	ENOTFOUND        = "not_found"         // no such thing, or not visible to the caller
	EFORBIDDEN       = "forbidden"         // authenticated, but not allowed here
	EUNAUTHORIZED    = "unauthorized"      // no usable identity
	ENOTIMPLEMENTED  = "not_implemented"   // the route exists but its behaviour is not built yet
	ETOOLARGE        = "too_large"         // the request or file is over a limit
	ETOOMANYREQUESTS = "too_many_requests" // the same thing asked for again too soon
)

// Error is an error with a machine-readable Code and a Message safe to show to
// a client. Internal details travel in Err and are only logged.
type Error struct {
	Code    string
	Message string
	Err     error // the underlying cause, for logs; never shown to clients
}

func (e *Error) Error() string {
	if e.Err != nil {
		return fmt.Sprintf("%s: %s: %v", e.Code, e.Message, e.Err)
	}
	return fmt.Sprintf("%s: %s", e.Code, e.Message)
}

func (e *Error) Unwrap() error { return e.Err }

// Errorf returns an *Error with the given code and formatted client-safe message.
func Errorf(code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// Internal wraps a cause as an EINTERNAL error; the cause is only logged.
func Internal(err error) *Error {
	return &Error{Code: EINTERNAL, Message: "An internal error has occurred.", Err: err}
}

// ErrorCode returns the code of the first *Error in err's chain, EINTERNAL for
// any other non-nil error and "" for nil.
func ErrorCode(err error) string {
	var e *Error
	switch {
	case err == nil:
		return ""
	case errors.As(err, &e):
		return e.Code
	default:
		return EINTERNAL
	}
}

// ErrorMessage returns the client-safe message of err: the message of the first
// *Error in its chain unless that is internal, and a generic text otherwise.
func ErrorMessage(err error) string {
	var e *Error
	if errors.As(err, &e) && e.Code != EINTERNAL {
		return e.Message
	}
	return "An internal error has occurred."
}
