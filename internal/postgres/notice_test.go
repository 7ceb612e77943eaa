package postgres_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/sirocco-project/sirocco/internal/engine"
	"github.com/sirocco-project/sirocco/internal/pgtest"
	"github.com/sirocco-project/sirocco/internal/postgres"
)

// patience bounds every wait of these tests: it only makes a failing test
// end, nothing waits for it to pass.
const patience = 20 * time.Second

func openDSN(t *testing.T, dsn string) *postgres.Store {
	t.Helper()
	s, err := postgres.Open(context.Background(), dsn, postgres.Options{MaxConns: 4})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// listening runs s.Listen until the test ends. Notices arrive on the
// first channel; the second gets a value each time the listener listens
// on a new connection. The listener has stopped, and Listen returned nil,
// before the test's cleanups close s.
func listening(t *testing.T, s *postgres.Store) (<-chan engine.Notice, <-chan struct{}) {
	t.Helper()
	notices, ready := make(chan engine.Notice, 1024), make(chan struct{}, 16)
	postgres.OnListen(s, func() { ready <- struct{}{} })
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Listen(ctx, func(n engine.Notice) { notices <- n }) }()
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("Listen returned %v when its context ended; want nil", err)
			}
		case <-time.After(patience):
			t.Error("Listen did not return when its context ended")
		}
	})
	return notices, ready
}

func await[T any](t *testing.T, ch <-chan T, what string) T {
	t.Helper()
	select {
	case v := <-ch:
		return v
	case <-time.After(patience):
		t.Fatalf("timed out waiting for %s", what)
		var zero T
		return zero
	}
}

// announce announces n in a transaction of s, which commits unless fail.
func announce(t *testing.T, s *postgres.Store, n engine.Notice, fail bool) {
	t.Helper()
	errFail := errors.New("roll back")
	err := s.Update(context.Background(), func(tx engine.Tx) error {
		a, ok := tx.(engine.Announcer)
		if !ok {
			return fmt.Errorf("the PostgreSQL store's Tx (%T) is no engine.Announcer", tx)
		}
		if err := a.Announce(context.Background(), n); err != nil {
			return err
		}
		if fail {
			return errFail
		}
		return nil
	})
	if fail && !errors.Is(err, errFail) || !fail && err != nil {
		t.Fatalf("announce (fail %v): %v", fail, err)
	}
}

// A notice announced in a committed transaction reaches a listener on
// another Store over the same database; one announced in a transaction
// that rolled back never does. Notifications arrive in commit order, so
// the rolled-back one, announced first, would arrive before the other.
func TestNoticesOnCommitOnly(t *testing.T) {
	t.Parallel()
	dsn := pgtest.DSN(t)
	a, b := openDSN(t, dsn), openDSN(t, dsn)
	notices, ready := listening(t, a)
	await(t, ready, "the listener")

	at := time.Date(2026, 12, 1, 8, 0, 0, 123456000, time.UTC)
	announce(t, b, engine.Notice{Replica: "b", Events: []engine.Event{{Kind: "execution", ID: "rolled-back", State: engine.StateRunning}}}, true)
	want := engine.Notice{Replica: "b", Jobs: true, Definitions: true, Events: []engine.Event{
		{Kind: "execution", ID: "ex-1", State: engine.StateRunning, At: at, Via: "alice"},
		{Kind: "task", ID: "t-1", State: engine.StateSuccess, ExecutionID: "ex-1", Detail: true, At: at},
	}}
	announce(t, b, want, false)

	got := await(t, notices, "the committed notice")
	if got.Replica != want.Replica || got.Jobs != want.Jobs || got.Definitions != want.Definitions || got.Resync ||
		fmt.Sprint(got.Events) != fmt.Sprint(want.Events) {
		t.Fatalf("notice heard:\n%+v\nwant the committed one:\n%+v", got, want)
	}
	select {
	case n := <-notices:
		t.Errorf("a second notice: %+v", n)
	default:
	}
}

// A notice of many events arrives whole: several payloads, each a notice,
// their events in order.
func TestLargeNoticeArrivesWhole(t *testing.T) {
	t.Parallel()
	dsn := pgtest.DSN(t)
	a, b := openDSN(t, dsn), openDSN(t, dsn)
	notices, ready := listening(t, a)
	await(t, ready, "the listener")

	n := engine.Notice{Replica: "b"}
	for i := range 300 {
		n.Events = append(n.Events, engine.Event{Kind: "task", ID: fmt.Sprintf("task-%04d-%s", i, strings.Repeat("x", 40)),
			State: engine.StateRunning, ExecutionID: "ex-1"})
	}
	parts := len(n.Payloads())
	if parts < 3 {
		t.Fatalf("the notice is %d payloads; the test wants several", parts)
	}
	announce(t, b, n, false)
	var got []engine.Event
	for i := range parts {
		p := await(t, notices, fmt.Sprintf("payload %d of %d", i+1, parts))
		if p.Replica != "b" || p.Resync {
			t.Fatalf("payload %d: %+v", i+1, p)
		}
		got = append(got, p.Events...)
	}
	if fmt.Sprint(got) != fmt.Sprint(n.Events) {
		t.Errorf("events heard (%d) differ from those announced (%d), or their order does", len(got), len(n.Events))
	}
}

// A listener whose connection is cut connects again, tells its caller to
// resynchronise, and hears later notices; a payload it cannot read is a
// resync too.
func TestListenerReconnects(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	dsn := pgtest.DSN(t)
	a, b := openDSN(t, dsn), openDSN(t, dsn)
	notices, ready := listening(t, a)
	await(t, ready, "the listener")

	admin := connect(t, pgtest.Cluster(t).SuperuserDSN())
	var killed int
	if err := admin.QueryRow(ctx, `SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity
		WHERE application_name = $1 AND datname = $2`, postgres.ListenerName, dbName(t, dsn)).Scan(&killed); err != nil {
		t.Fatal(err)
	}
	if killed != 1 {
		t.Fatalf("terminated %d listening backends; want 1", killed)
	}
	if n := await(t, notices, "a resync after the connection was cut"); !n.Resync {
		t.Fatalf("first notice after the cut: %+v; want a resync", n)
	}
	await(t, ready, "the listener listening again")

	announce(t, b, engine.Notice{Replica: "b", Jobs: true}, false)
	if n := await(t, notices, "a notice after reconnecting"); n.Replica != "b" || !n.Jobs || n.Resync {
		t.Fatalf("notice after reconnecting: %+v", n)
	}

	if _, err := b.Pool().Exec(ctx, `SELECT pg_notify($1, 'not a notice')`, engine.NoticeChannel); err != nil {
		t.Fatal(err)
	}
	if n := await(t, notices, "a resync for an unreadable payload"); !n.Resync || n.Replica != "" {
		t.Fatalf("notice for an unreadable payload: %+v; want a resync", n)
	}
}

// dbName is the database dsn names.
func dbName(t *testing.T, dsn string) string {
	t.Helper()
	var name string
	if err := connect(t, dsn).QueryRow(context.Background(), `SELECT current_database()`).Scan(&name); err != nil {
		t.Fatal(err)
	}
	return name
}
