// Package fault is Sirocco's error vocabulary: an error with a code that
// callers branch on and a message fit for users. Every layer may import
// it — the engine, the account service, the stores, the HTTP sides —
// without importing each other; mapping codes to HTTP statuses is the HTTP
// side's (package httpstatus).
package fault

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"
)

// Codes. Callers branch on them through Code.
const (
	EINVALID      = "invalid"      // bad input
	ENOTFOUND     = "not_found"    // unknown id or name
	ECONFLICT     = "conflict"     // the state changed underneath, or a duplicate
	EFORBIDDEN    = "forbidden"    // not allowed (to this caller, or in this state)
	ETOOLARGE     = "too_large"    // a body or value over a limit
	EUNAUTHORIZED = "unauthorized" // no or bad credentials
	EINTERNAL     = "internal"     // a bug or an I/O failure
	EUNAVAILABLE  = "unavailable"  // busy now, retry later
)

// Error is an error with a code and a message fit for users.
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

// Wrap returns an *Error with the given code and message that keeps cause
// for errors.Is and errors.As; the cause is never shown to users.
func Wrap(cause error, code, message string) *Error {
	return &Error{Code: code, Message: message, cause: cause}
}

// ErrConflict is what a store returns when a guarded update matched no row:
// another writer moved the record first.
var ErrConflict = &Error{Code: ECONFLICT, Message: "the record was changed concurrently"}

// ErrNotFound is a store's "no such row".
var ErrNotFound = &Error{Code: ENOTFOUND, Message: "not found"}

// Code returns the code of the first *Error in err's chain, EINTERNAL for
// any other non-nil error, and "" for nil.
func Code(err error) string {
	if err == nil {
		return ""
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return EINTERNAL
}

// Message returns the user-facing message of err: the message of its
// *Error when it has one, else a generic text (internal details stay in
// logs).
func Message(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Message
	}
	if errors.Is(err, context.Canceled) {
		return "The client closed the request."
	}
	return "Internal server error"
}

// CheckText refuses text a person or client gave that Sirocco does not
// store: a NUL character (PostgreSQL's text cannot hold it, so SQLite
// must not either: two stores, one behaviour) or bytes that are not
// UTF-8. field names the text in the EINVALID error (a 400 naming the
// field). Text the server makes itself is cleaned instead (see
// engine.CleanText).
func CheckText(field, s string) error {
	if strings.IndexByte(s, 0) >= 0 {
		return Errorf(EINVALID, "%s holds a NUL character (U+0000), which Sirocco does not store", field)
	}
	if !utf8.ValidString(s) {
		return Errorf(EINVALID, "%s holds bytes that are not UTF-8, which Sirocco does not store", field)
	}
	return nil
}
