package api

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"

	"github.com/labstack/echo/v4"
	"github.com/sirocco-project/sirocco/internal/auth"
	"github.com/sirocco-project/sirocco/internal/engine"
	"github.com/sirocco-project/sirocco/internal/guard"
	"github.com/sirocco-project/sirocco/internal/jsonvalue"
)

// IdempotencyKeyHeader lets a client that got no answer to a callback send
// it again and hear the first answer, instead of voting or completing
// twice. ReplayedHeader marks such a replayed answer.
const (
	IdempotencyKeyHeader = "Idempotency-Key"
	ReplayedHeader       = "Idempotent-Replayed"
)

// maxIdempotencyKey bounds a key, as Stripe does.
const maxIdempotencyKey = 255

// maxKeptAnswer bounds the body of an answer kept for a key. A larger
// answer (a callback whose output is that large) is not kept: its retry
// runs again, and the engine answers a repeated completion with the one it
// recorded.
const maxKeptAnswer = 64 << 10

// idempotent is the middleware of the callback routes. Without an
// Idempotency-Key it does nothing. With one, the first request runs and
// its answer is kept for engine.IdempotencyTTL under (credential, route,
// action, key); a retry with the same body gets that answer again
// without running, another body 422, and a retry while the first still
// runs 409.
func (a *API) idempotent(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		values := c.Request().Header.Values(IdempotencyKeyHeader)
		if len(values) == 0 {
			return next(c)
		}
		key, err := idempotencyKey(values)
		if err != nil {
			return a.fault(c, err)
		}
		body, err := a.readBody(c)
		if err != nil {
			return a.fault(c, err)
		}
		c.Request().Body = io.NopCloser(bytes.NewReader(body)) // for the handler
		scope := engine.IdempotencyScope{
			Credential: credential(guard.FromContext(c)),
			Route:      c.Request().Method + " " + c.Path(),
			Resource:   c.Param("id"),
			Key:        key,
		}
		ctx := c.Request().Context()
		kept, err := a.engine.ClaimIdempotencyKey(ctx, scope, requestHash(body))
		switch {
		case errors.Is(err, engine.ErrIdempotencyMismatch):
			return Fault(c, http.StatusUnprocessableEntity, fmt.Sprintf(
				"%s %q was already used with a different request body for this action execution; send a new key with a new request.", IdempotencyKeyHeader, key))
		case errors.Is(err, engine.ErrIdempotencyInProgress):
			c.Response().Header().Set("Retry-After", "1")
			return Fault(c, http.StatusConflict, fmt.Sprintf(
				"A request with %s %q is in progress; retry once it has been answered.", IdempotencyKeyHeader, key))
		case err != nil:
			return a.fault(c, err)
		case kept != nil:
			return replay(c, kept)
		}
		if a.claimed != nil {
			a.claimed()
		}
		return a.runAndKeep(c, next, scope)
	}
}

// runAndKeep runs the handler of a request that holds its key, and keeps
// the answer if a retry should get it again; otherwise it frees the key.
func (a *API) runAndKeep(c echo.Context, next echo.HandlerFunc, scope engine.IdempotencyScope) error {
	// The key must be settled even if the client has gone (a retry is
	// likely then) or the handler panics.
	ctx := context.WithoutCancel(c.Request().Context())
	settled := false
	defer func() {
		if !settled {
			if err := a.engine.ForgetIdempotencyKey(ctx, scope); err != nil {
				a.log.Error("freeing an idempotency key", "route", scope.Route, "id", scope.Resource, "err", err)
			}
		}
	}()
	res := c.Response()
	rec := &answerRecorder{ResponseWriter: res.Writer}
	res.Writer = rec
	err := next(c)
	res.Writer = rec.ResponseWriter
	if err != nil || !res.Committed || !final(res.Status) || rec.over {
		return err
	}
	if err := a.engine.RememberAnswer(ctx, scope, res.Status, res.Header().Get(echo.HeaderContentType), rec.body.Bytes()); err != nil {
		a.log.Error("keeping an idempotent answer", "route", scope.Route, "id", scope.Resource, "err", err)
		return nil
	}
	settled = true
	return nil
}

// final reports whether an answer is what a retry of the same request
// should get: a success, or a refusal of the request itself that the same
// request would meet again (bad body, a decision already taken otherwise,
// too large). Not kept, so that a retry runs again: server failures
// (5xx), refusals that may lift without the request changing (401, 403:
// a person may be added to an approvers' group; 404; 408; 429), and a
// client that left (499).
func final(status int) bool {
	switch {
	case status >= 200 && status < 300:
		return true
	case status == http.StatusBadRequest, status == http.StatusConflict,
		status == http.StatusRequestEntityTooLarge, status == http.StatusUnprocessableEntity:
		return true
	}
	return false
}

// replay answers with a kept answer.
func replay(c echo.Context, kept *engine.IdempotentAnswer) error {
	h := c.Response().Header()
	h.Set(ReplayedHeader, "true")
	if kept.Status >= 200 && kept.Status < 300 {
		// The completion is not delivered again: metrics count it as a repeat.
		h.Set(RepeatedHeader, "true")
	}
	if len(kept.Body) == 0 {
		return c.NoContent(kept.Status)
	}
	return c.Blob(kept.Status, kept.ContentType, kept.Body)
}

// idempotencyKey checks the header: one value of 1 to 255 visible ASCII
// characters.
func idempotencyKey(values []string) (string, error) {
	if len(values) != 1 {
		return "", invalid("Send one %s header, not %d.", IdempotencyKeyHeader, len(values))
	}
	key := values[0]
	if key == "" || len(key) > maxIdempotencyKey {
		return "", invalid("%s must be 1 to %d characters long; it has %d.", IdempotencyKeyHeader, maxIdempotencyKey, len(key))
	}
	for i := 0; i < len(key); i++ {
		if key[i] <= ' ' || key[i] > '~' {
			return "", invalid("%s must be visible ASCII characters (no spaces); character %d is not.", IdempotencyKeyHeader, i+1)
		}
	}
	return key, nil
}

// credential names the caller for an idempotency scope, never by a secret.
func credential(p *auth.Principal) string {
	switch {
	case p == nil:
		return "anonymous"
	case p.Method == auth.MethodToken:
		return "token:" + p.TokenID
	case p.Method == auth.MethodSession:
		return "session:" + p.Session // a hash of the session id
	case p.Method == auth.MethodCallback:
		return "callback:" + p.ActionID
	}
	return p.Method // "off": everyone is one local admin
}

// requestHash digests a request body: SHA-256 of its canonical JSON, so
// that spacing and key order do not make a retry another request; of its
// bytes when it is not JSON (it then gets the same 400 again).
func requestHash(body []byte) string {
	text := body
	if v, err := jsonvalue.DecodeInput(body); err == nil {
		if canon, err := jsonvalue.Canonical(v); err == nil {
			text = canon
		}
	}
	sum := sha256.Sum256(text)
	return hex.EncodeToString(sum[:])
}

// answerRecorder copies what a handler writes, up to maxKeptAnswer.
type answerRecorder struct {
	http.ResponseWriter
	body bytes.Buffer
	over bool
}

func (r *answerRecorder) Write(b []byte) (int, error) {
	if !r.over {
		if r.body.Len()+len(b) > maxKeptAnswer {
			r.over = true
			r.body = bytes.Buffer{}
		} else {
			r.body.Write(b)
		}
	}
	return r.ResponseWriter.Write(b)
}

// Unwrap lets http.ResponseController reach the connection's writer.
func (r *answerRecorder) Unwrap() http.ResponseWriter { return r.ResponseWriter }
