package storetest

import (
	"bytes"
	"context"
	"testing"
	"time"

	"github.com/sirocco-project/sirocco/internal/engine"
	"github.com/sirocco-project/sirocco/internal/fault"
)

// testIdempotency: an answer kept for an idempotency key reads back as it
// was written (status, content type, body bytes, time); a pending row
// (status 0, no body) too; writing a scope again replaces its row; the
// four parts of a scope each tell keys apart; deleting is per scope; the
// expired-row sweep deletes only rows created at or before its bound,
// oldest first, up to its limit.
func testIdempotency(t *testing.T, h Harness) {
	s, _ := h.Open(t)
	scope := engine.IdempotencyScope{Credential: "token:t1", Route: "PUT /v2/action_executions/:id", Resource: "a1", Key: "k-1"}
	get := func(sc engine.IdempotencyScope) (*engine.IdempotentAnswer, error) {
		var a *engine.IdempotentAnswer
		err := s.Update(context.Background(), func(tx engine.Tx) error {
			var err error
			a, err = tx.GetIdempotentAnswer(context.Background(), sc)
			if fault.Code(err) == fault.ENOTFOUND {
				return nil // keep the transaction: the answer is the nil
			}
			return err
		})
		return a, err
	}
	put := func(a *engine.IdempotentAnswer) {
		t.Helper()
		update(t, s, func(ctx context.Context, tx engine.Tx) error { return tx.PutIdempotentAnswer(ctx, a) })
	}
	mustGet := func(sc engine.IdempotencyScope) *engine.IdempotentAnswer {
		t.Helper()
		a, err := get(sc)
		if err != nil || a == nil {
			t.Fatalf("get %+v: %v, %v", sc, a, err)
		}
		return a
	}
	missing := func(sc engine.IdempotencyScope) {
		t.Helper()
		if a, err := get(sc); err != nil || a != nil {
			t.Errorf("get %+v = %+v, %v; want not found", sc, a, err)
		}
	}

	missing(scope)
	err := s.Update(context.Background(), func(tx engine.Tx) error {
		_, err := tx.GetIdempotentAnswer(context.Background(), scope)
		return err
	})
	if fault.Code(err) != fault.ENOTFOUND {
		t.Errorf("get of an unknown scope: %v, want %s", err, fault.ENOTFOUND)
	}

	at := t0.Add(2*time.Hour + 123456*time.Microsecond).In(time.FixedZone("x", 3600)) // a zone and microseconds: both must survive
	put(&engine.IdempotentAnswer{Scope: scope, RequestHash: "h1", CreatedAt: at})
	if a := mustGet(scope); a.Status != 0 || len(a.Body) != 0 || a.RequestHash != "h1" || !a.CreatedAt.Equal(at) || a.Scope != scope {
		t.Errorf("pending row read back as %+v", a)
	}
	body := []byte("{\"x\":\"\x00\xff\"}")
	put(&engine.IdempotentAnswer{Scope: scope, RequestHash: "h1", Status: 409, ContentType: "application/json", Body: body, CreatedAt: at})
	if a := mustGet(scope); a.Status != 409 || a.ContentType != "application/json" || !bytes.Equal(a.Body, body) || !a.CreatedAt.Equal(at) {
		t.Errorf("answer read back as %+v, body %q", a, a.Body)
	}

	others := []engine.IdempotencyScope{scope, scope, scope, scope}
	others[0].Credential = "token:t2"
	others[1].Route = "POST /v2/action-executions/:id"
	others[2].Resource = "a2"
	others[3].Key = "K-1" // keys are case-sensitive
	for _, o := range others {
		missing(o)
	}
	for i, o := range others {
		put(&engine.IdempotentAnswer{Scope: o, RequestHash: "h2", Status: 200 + i, Body: []byte{byte('a' + i)}, CreatedAt: t0.Add(time.Duration(i) * time.Hour)})
	}
	for i, o := range others {
		if a := mustGet(o); a.Status != 200+i || string(a.Body) != string(rune('a'+i)) || a.RequestHash != "h2" {
			t.Errorf("%+v read back as %+v", o, a)
		}
	}
	if a := mustGet(scope); a.Status != 409 {
		t.Errorf("writing other scopes changed %+v: %+v", scope, a)
	}

	update(t, s, func(ctx context.Context, tx engine.Tx) error { return tx.DeleteIdempotentAnswer(ctx, others[0]) })
	missing(others[0])
	mustGet(others[1])
	update(t, s, func(ctx context.Context, tx engine.Tx) error { return tx.DeleteIdempotentAnswer(ctx, others[0]) })

	// Left: others[1..3] created at t0+1h, +2h, +3h, and scope at t0+2h (at).
	sweep := func(before time.Time, limit, want int) {
		t.Helper()
		update(t, s, func(ctx context.Context, tx engine.Tx) error {
			n, err := tx.DeleteIdempotentAnswers(ctx, before, limit)
			if n != want {
				t.Errorf("sweep before %v (limit %d) deleted %d, want %d", before.Sub(t0), limit, n, want)
			}
			return err
		})
	}
	sweep(t0.Add(time.Hour-time.Microsecond), 10, 0)
	sweep(t0.Add(3*time.Hour), 1, 1) // the oldest only
	missing(others[1])
	mustGet(others[2])
	sweep(t0.Add(2*time.Hour), 10, 1) // at or before: others[2]; scope (t0+2h+0.12s) stays
	missing(others[2])
	mustGet(scope)
	mustGet(others[3])
	sweep(t0.Add(3*time.Hour), 10, 2)
	missing(scope)
	missing(others[3])
}
