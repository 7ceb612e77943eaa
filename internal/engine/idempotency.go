package engine

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/sirocco-project/sirocco/internal/fault"
)

// Idempotency keys let a client that got no answer send a request again
// and hear the first answer instead of acting twice (the API's
// Idempotency-Key header on the callback routes). The engine keeps the
// answers; the API decides which answers are worth keeping.

// IdempotencyTTL is how long an answer is kept for retries.
const IdempotencyTTL = 24 * time.Hour

// IdempotencyLease is how long a first request holds its key while it
// runs. A retry meanwhile is told to wait; after the lease, the holder is
// presumed dead (the server stopped mid-request) and the retry runs. That
// is safe: the engine itself answers a repeated completion with the one
// it recorded.
const IdempotencyLease = time.Minute

// purgeBatch bounds the expired answers one claim deletes: each claim adds
// at most one row and removes up to this many, so the table stays near the
// number of keys used in a day without a sweep of its own.
const purgeBatch = 32

// IdempotencyScope is one key as one caller used it on one route of one
// record. The same key in another scope is another key.
type IdempotencyScope struct {
	// Credential names who sent it, never by a secret: an API token's id,
	// a session's hash, a callback token's action id.
	Credential string
	// Route is the method and route pattern ("PUT /v2/action_executions/:id").
	Route string
	// Resource is the record the route acts on (the action execution id).
	Resource string
	// Key is the client's Idempotency-Key.
	Key string
}

// IdempotentAnswer is the answer kept for a key.
type IdempotentAnswer struct {
	Scope IdempotencyScope
	// RequestHash is the digest of the request that used the key first; a
	// retry must carry the same request.
	RequestHash string
	// Status is the answer's status code; 0 while the first request runs.
	Status      int
	ContentType string
	Body        []byte
	CreatedAt   time.Time
}

// IdempotencyTx is what a store keeps for idempotency keys: one row per
// scope. Expiry is the engine's: rows older than IdempotencyTTL may still
// be returned until they are deleted.
type IdempotencyTx interface {
	// GetIdempotentAnswer returns the row of scope; fault.ENOTFOUND if none.
	GetIdempotentAnswer(ctx context.Context, scope IdempotencyScope) (*IdempotentAnswer, error)
	// PutIdempotentAnswer writes a, replacing the row of its scope if any.
	PutIdempotentAnswer(ctx context.Context, a *IdempotentAnswer) error
	// DeleteIdempotentAnswer deletes the row of scope; none is no error.
	DeleteIdempotentAnswer(ctx context.Context, scope IdempotencyScope) error
	// DeleteIdempotentAnswers deletes up to limit rows created at or before
	// before, oldest first, and returns how many it deleted.
	DeleteIdempotentAnswers(ctx context.Context, before time.Time, limit int) (int, error)
}

// Sentinel errors of ClaimIdempotencyKey.
var (
	// ErrIdempotencyInProgress: the first request with this key has not
	// been answered yet.
	ErrIdempotencyInProgress = errors.New("a request with this idempotency key is in progress")
	// ErrIdempotencyMismatch: the key was used with another request.
	ErrIdempotencyMismatch = errors.New("the idempotency key was used with another request")
)

// ClaimIdempotencyKey looks scope's key up. If no live answer holds it,
// the caller now holds it: ClaimIdempotencyKey returns nil, and the caller
// must end with RememberAnswer or ForgetIdempotencyKey. Otherwise it
// returns the answer kept for the same request, or
// ErrIdempotencyInProgress, or ErrIdempotencyMismatch when requestHash is
// not the first request's.
func (e *Engine) ClaimIdempotencyKey(ctx context.Context, scope IdempotencyScope, requestHash string) (*IdempotentAnswer, error) {
	now := e.now()
	var found *IdempotentAnswer
	err := e.store.Update(ctx, func(tx Tx) error {
		found = nil
		if _, err := tx.DeleteIdempotentAnswers(ctx, now.Add(-IdempotencyTTL), purgeBatch); err != nil {
			return err
		}
		old, err := tx.GetIdempotentAnswer(ctx, scope)
		switch {
		case fault.Code(err) == fault.ENOTFOUND:
		case err != nil:
			return err
		case live(old, now):
			found = old
			return nil
		}
		return tx.PutIdempotentAnswer(ctx, &IdempotentAnswer{Scope: scope, RequestHash: requestHash, CreatedAt: now})
	})
	switch {
	case err != nil:
		return nil, fmt.Errorf("claim idempotency key: %w", err)
	case found == nil:
		return nil, nil
	case found.RequestHash != requestHash:
		return nil, ErrIdempotencyMismatch
	case found.Status == 0:
		return nil, ErrIdempotencyInProgress
	}
	return found, nil
}

// live reports whether a holds its key at now: an answer younger than
// IdempotencyTTL, or a first request still within its lease.
func live(a *IdempotentAnswer, now time.Time) bool {
	if a.Status == 0 {
		return now.Before(a.CreatedAt.Add(IdempotencyLease))
	}
	return now.Before(a.CreatedAt.Add(IdempotencyTTL))
}

// RememberAnswer keeps the answer to the request that claimed scope's key,
// for IdempotencyTTL from the claim.
func (e *Engine) RememberAnswer(ctx context.Context, scope IdempotencyScope, status int, contentType string, body []byte) error {
	if status <= 0 {
		return fmt.Errorf("remember answer: bad status %d", status)
	}
	err := e.store.Update(ctx, func(tx Tx) error {
		a, err := tx.GetIdempotentAnswer(ctx, scope)
		if err != nil {
			return err // gone (purged after a very long request): nothing to keep
		}
		if a.Status != 0 {
			return nil // a retry took the lease over and answered first
		}
		a.Status, a.ContentType, a.Body = status, contentType, body
		return tx.PutIdempotentAnswer(ctx, a)
	})
	if err != nil && fault.Code(err) != fault.ENOTFOUND {
		return fmt.Errorf("remember answer: %w", err)
	}
	return nil
}

// ForgetIdempotencyKey releases a key claimed by a request whose answer is
// not worth keeping (a failure worth retrying): the next request with it
// runs.
func (e *Engine) ForgetIdempotencyKey(ctx context.Context, scope IdempotencyScope) error {
	err := e.store.Update(ctx, func(tx Tx) error {
		a, err := tx.GetIdempotentAnswer(ctx, scope)
		if err != nil || a.Status != 0 {
			return err // already answered by a retry that took the lease over: keep that
		}
		return tx.DeleteIdempotentAnswer(ctx, scope)
	})
	if err != nil && fault.Code(err) != fault.ENOTFOUND {
		return fmt.Errorf("forget idempotency key: %w", err)
	}
	return nil
}
