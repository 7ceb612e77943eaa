// Package httpstatus maps fault codes to HTTP statuses, once for every
// HTTP surface: the v2 API, the dashboard and the Keystone subset each
// write their own error body with the status given here.
package httpstatus

import (
	"context"
	"errors"
	"net/http"

	"github.com/sirocco-project/sirocco/internal/fault"
)

// ClientClosedRequest is the status of a request whose client went away
// before the answer (nginx's 499): nobody reads it, and it is no server
// error to log or count as one.
const ClientClosedRequest = 499

// statusOf is the status of each code. Like Mistral's exceptions, which
// carry their HTTP code, an error class has one status.
var statusOf = map[string]int{
	fault.EINVALID:      http.StatusBadRequest,
	fault.ENOTFOUND:     http.StatusNotFound,
	fault.ECONFLICT:     http.StatusConflict,
	fault.EFORBIDDEN:    http.StatusForbidden,
	fault.ETOOLARGE:     http.StatusRequestEntityTooLarge,
	fault.EUNAVAILABLE:  http.StatusServiceUnavailable,
	fault.EUNAUTHORIZED: http.StatusUnauthorized,
	fault.EINTERNAL:     http.StatusInternalServerError,
}

// Of returns the HTTP status for err: its code's, 499 when the request's
// context ended with its connection, and 500 for errors without a code.
func Of(err error) int {
	if errors.Is(err, context.Canceled) {
		return ClientClosedRequest
	}
	if s, ok := statusOf[fault.Code(err)]; ok {
		return s
	}
	return http.StatusInternalServerError
}
