package engine_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/sirocco-project/sirocco/internal/engine"
)

// manualClock is a clock the test moves.
type manualClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *manualClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *manualClock) advance(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}

// TestIdempotencyKeys: the engine's side of Idempotency-Key. A claimed key
// holds off a second claim for IdempotencyLease, after which the holder
// is presumed dead and the key is taken over; a kept answer is returned
// for the same request, refused for another, for IdempotencyTTL, even
// when more keys expired than one claim sweeps; a forgotten key is free.
func TestIdempotencyKeys(t *testing.T) {
	t.Parallel()
	eachStore(t, func(t *testing.T, store string) {
		t.Parallel()
		ctx := context.Background()
		clock := &manualClock{now: time.Date(2026, 11, 27, 21, 0, 0, 0, time.UTC)}
		e := newEngineOn(t, store, engine.Config{Clock: clock})
		scope := engine.IdempotencyScope{Credential: "token:t", Route: "PUT /v2/action_executions/:id", Resource: "a", Key: "k"}
		claim := func(sc engine.IdempotencyScope, hash string) (*engine.IdempotentAnswer, error) {
			t.Helper()
			return e.ClaimIdempotencyKey(ctx, sc, hash)
		}
		mustClaim := func(sc engine.IdempotencyScope, hash string) {
			t.Helper()
			if a, err := claim(sc, hash); a != nil || err != nil {
				t.Fatalf("claim %v: %+v, %v; want it free", sc.Key, a, err)
			}
		}

		mustClaim(scope, "h")
		if _, err := claim(scope, "h"); !errors.Is(err, engine.ErrIdempotencyInProgress) {
			t.Errorf("second claim while the first runs: %v, want ErrIdempotencyInProgress", err)
		}
		if _, err := claim(scope, "other"); !errors.Is(err, engine.ErrIdempotencyMismatch) {
			t.Errorf("claim with another request while the first runs: %v, want ErrIdempotencyMismatch", err)
		}
		clock.advance(engine.IdempotencyLease - time.Microsecond)
		if _, err := claim(scope, "h"); !errors.Is(err, engine.ErrIdempotencyInProgress) {
			t.Errorf("claim just within the lease: %v, want ErrIdempotencyInProgress", err)
		}
		clock.advance(time.Microsecond)
		mustClaim(scope, "h") // the first holder is presumed dead

		if err := e.RememberAnswer(ctx, scope, 201, "application/json", []byte(`{"x":1}`)); err != nil {
			t.Fatal(err)
		}
		a, err := claim(scope, "h")
		if err != nil || a == nil || a.Status != 201 || a.ContentType != "application/json" || string(a.Body) != `{"x":1}` {
			t.Fatalf("claim of an answered key: %+v, %v", a, err)
		}
		// A late answer from a holder whose lease was taken over does not
		// replace the answer kept.
		if err := e.RememberAnswer(ctx, scope, 500, "text/plain", nil); err != nil {
			t.Fatal(err)
		}
		if err := e.ForgetIdempotencyKey(ctx, scope); err != nil {
			t.Fatal(err)
		}
		if a, err := claim(scope, "h"); err != nil || a == nil || a.Status != 201 {
			t.Errorf("after a late answer and a late forget: %+v, %v; want the first answer", a, err)
		}

		// A forgotten key is free at once.
		other := scope
		other.Key = "forgotten"
		mustClaim(other, "h")
		if err := e.ForgetIdempotencyKey(ctx, other); err != nil {
			t.Fatal(err)
		}
		mustClaim(other, "h2")

		// More answers expire than one claim sweeps: those left are expired
		// all the same.
		var many []engine.IdempotencyScope
		for i := range 100 {
			sc := scope
			sc.Key = fmt.Sprintf("many-%03d", i)
			mustClaim(sc, "h")
			if err := e.RememberAnswer(ctx, sc, 200, "application/json", []byte("{}")); err != nil {
				t.Fatal(err)
			}
			many = append(many, sc)
		}
		clock.advance(engine.IdempotencyTTL - time.Microsecond)
		if a, err := claim(many[99], "h"); err != nil || a == nil {
			t.Errorf("just before the TTL: %+v, %v; want the answer", a, err)
		}
		clock.advance(time.Microsecond)
		mustClaim(many[99], "other") // the newest, which no sweep reached yet
	})
}
