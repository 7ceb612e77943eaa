package engine

import (
	"context"
	"errors"
	"fmt"
	"net/http"
)

// Error codes. Callers branch on them through ErrorCode; the HTTP layers map
// each to a status in one table.
const (
	EINVALID      = "invalid"      // bad input: 400
	ENOTFOUND     = "not_found"    // unknown id or name: 404
	ECONFLICT     = "conflict"     // the state changed underneath, or a duplicate: 409
	EFORBIDDEN    = "forbidden"    // not allowed in this state: 403
	ETOOLARGE     = "too_large"    // a body or value over a limit: 413
	EUNAUTHORIZED = "unauthorized" // no or bad credentials: 401
	EINTERNAL     = "internal"     // a bug or an I/O failure: 500
	EUNAVAILABLE  = "unavailable"  // busy now, retry later: 503
)

// Error is an engine error with a code and a message fit for users.
type Error struct {
	Code    string
	Message string
	cause   error // for errors.Is, never shown
}

func (e *Error) Error() string { return e.Message }

// Unwrap returns the error this one was made from, if it kept it.
func (e *Error) Unwrap() error { return e.cause }

// Errorf returns an *Error with the given code and a formatted message.
func Errorf(code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// ErrConflict is what a store returns when a guarded update matched no row:
// another writer moved the record first.
var ErrConflict = &Error{Code: ECONFLICT, Message: "the record was changed concurrently"}

// ErrNotFound is the store's "no such row".
var ErrNotFound = &Error{Code: ENOTFOUND, Message: "not found"}

// ErrorCode returns the code of the first *Error in err's chain, EINTERNAL
// for any other non-nil error, and "" for nil.
func ErrorCode(err error) string {
	if err == nil {
		return ""
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return EINTERNAL
}

// ErrorMessage returns the user-facing message of err: the message of its
// *Error when it has one, else a generic text (internal details stay in logs).
func ErrorMessage(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Message
	}
	if errors.Is(err, context.Canceled) {
		return "The client closed the request."
	}
	return "Internal server error"
}

// statusOf is the HTTP status of each code. Like Mistral's exceptions,
// which carry their http code, an error class has one status; both HTTP
// layers (the v2 API and the dashboard) answer with it.
var statusOf = map[string]int{
	EINVALID:      http.StatusBadRequest,
	ENOTFOUND:     http.StatusNotFound,
	ECONFLICT:     http.StatusConflict,
	EFORBIDDEN:    http.StatusForbidden,
	ETOOLARGE:     http.StatusRequestEntityTooLarge,
	EUNAVAILABLE:  http.StatusServiceUnavailable,
	EUNAUTHORIZED: http.StatusUnauthorized,
	EINTERNAL:     http.StatusInternalServerError,
}

// StatusClientClosedRequest is the status of a request whose client went
// away before the answer (nginx's 499): nobody reads it, and it is no
// server error to log or count as one.
const StatusClientClosedRequest = 499

// HTTPStatus returns the HTTP status for err (500 for errors without a code).
func HTTPStatus(err error) int {
	if errors.Is(err, context.Canceled) {
		return StatusClientClosedRequest // the request's context ends with its connection
	}
	if s, ok := statusOf[ErrorCode(err)]; ok {
		return s
	}
	return http.StatusInternalServerError
}
