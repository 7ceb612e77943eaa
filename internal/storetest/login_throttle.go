package storetest

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/sirocco-project/sirocco/internal/auth"
)

// The login throttle's records (auth.Reader.LoginFailures,
// auth.Tx.PutLoginFailures): the store keeps them; the rule is auth's.

// failuresAt is a record of n failures, the last at last, kept an hour.
func failuresAt(n int, last time.Time) auth.Failures {
	return auth.Failures{Count: n, Last: last, Until: last.Add(time.Hour)}
}

func pairKey(account, addr string) auth.LimitKey {
	return auth.LimitKey{Kind: auth.LimitPair, Account: account, Address: addr}
}

// putFailures stores recs under keys in one transaction at now, with the
// table capped at maxRows.
func putFailures(t *testing.T, a auth.Store, now time.Time, maxRows int, keys []auth.LimitKey, recs ...auth.Failures) {
	t.Helper()
	ctx := context.Background()
	if err := a.Update(ctx, func(tx auth.Tx) error { return tx.PutLoginFailures(ctx, now, keys, recs, maxRows) }); err != nil {
		t.Fatal(err)
	}
}

func readFailures(t *testing.T, a auth.Store, now time.Time, keys ...auth.LimitKey) []auth.Failures {
	t.Helper()
	got, err := a.LoginFailures(context.Background(), now, keys)
	if err != nil || len(got) != len(keys) {
		t.Fatalf("LoginFailures(%v) = %v, %v; want %d records", keys, got, err, len(keys))
	}
	return got
}

func countFailures(t *testing.T, a auth.Store) int {
	t.Helper()
	n, err := a.CountLoginFailures(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func sameFailures(a, b auth.Failures) bool {
	return a.Count == b.Count && a.Last.Equal(b.Last) && a.Prev.Equal(b.Prev) && a.Until.Equal(b.Until)
}

// testLoginFailures: records read back as written, times to the
// microsecond whatever their zone, a zero Prev as zero, in the order of
// the keys asked; kind, account and address each tell keys apart; a
// missing key reads as zero, and so does a record from its Until on (by
// the caller's clock); a read, +1 and write in one transaction is an
// increment; Count 0 deletes; a failed transaction leaves nothing.
func testLoginFailures(t *testing.T, h Harness) {
	ctx := context.Background()
	_, a := h.Open(t)
	zone := time.FixedZone("X", 5*3600+1800)
	now := time.Date(2026, 3, 4, 5, 6, 7, 123456000, zone)
	keys := []auth.LimitKey{
		pairKey("admin", "203.0.113.1"),
		{Kind: auth.LimitAddress, Address: "203.0.113.1"},
		{Kind: auth.LimitAccount, Account: "admin"},
		pairKey("admin", "2001:db8::/64"),
		pairKey("ädmin\uFFFD", "203.0.113.1"),
	}
	recs := []auth.Failures{
		{Count: 5, Last: now, Prev: now.Add(-time.Second), Until: now.Add(16 * time.Minute)},
		{Count: 1, Last: now, Until: now.Add(15 * time.Minute)},
		{Count: 70, Last: now.Add(-time.Microsecond), Prev: now.Add(-2 * time.Microsecond), Until: now.Add(time.Hour)},
		failuresAt(2, now.Add(time.Minute)),
		failuresAt(3, now.Add(2*time.Minute)),
	}
	if got := readFailures(t, a, now, keys...); !sameFailures(got[0], auth.Failures{}) || !sameFailures(got[4], auth.Failures{}) {
		t.Fatalf("before any write: %+v, want zeros", got)
	}
	putFailures(t, a, now, 100, keys, recs...)
	if n := countFailures(t, a); n != 5 {
		t.Errorf("after 5 records: CountLoginFailures = %d", n)
	}
	order := []int{4, 2, 0, 3, 1}
	asked := make([]auth.LimitKey, len(order))
	for i, j := range order {
		asked[i] = keys[j]
	}
	for i, got := range readFailures(t, a, now, asked...) {
		if want := recs[order[i]]; !sameFailures(got, want) {
			t.Errorf("%+v read back as %+v, want %+v", asked[i], got, want)
		}
	}
	for _, k := range []auth.LimitKey{pairKey("admin", ""), pairKey("", "203.0.113.1"), {Kind: auth.LimitAddress, Account: "admin", Address: "203.0.113.1"},
		{Kind: auth.LimitAccount, Address: "203.0.113.1"}, pairKey("Admin", "203.0.113.1"), pairKey("admin", "203.0.113.10")} {
		if got := readFailures(t, a, now, k)[0]; !sameFailures(got, auth.Failures{}) {
			t.Errorf("%+v, never written, reads as %+v", k, got)
		}
	}

	// Expiry by the caller's clock: the address record's Until is now+15m.
	if got := readFailures(t, a, now.Add(15*time.Minute-time.Microsecond), keys[1])[0]; got.Count != 1 {
		t.Errorf("a microsecond before its Until: %+v, want the record", got)
	}
	if got := readFailures(t, a, now.Add(15*time.Minute), keys[1])[0]; !sameFailures(got, auth.Failures{}) {
		t.Errorf("at its Until: %+v, want zero", got)
	}

	// An increment: read, +1, write, in one transaction (as the throttle does).
	later := now.Add(time.Second)
	if err := a.Update(ctx, func(tx auth.Tx) error {
		got, err := tx.LoginFailures(ctx, later, keys[:1])
		if err != nil {
			return err
		}
		f := got[0]
		f.Count, f.Prev, f.Last = f.Count+1, f.Last, later
		return tx.PutLoginFailures(ctx, later, keys[:1], []auth.Failures{f}, 100)
	}); err != nil {
		t.Fatal(err)
	}
	want := auth.Failures{Count: 6, Last: later, Prev: now, Until: now.Add(16 * time.Minute)}
	if got := readFailures(t, a, later, keys[0])[0]; !sameFailures(got, want) {
		t.Errorf("after an increment: %+v, want %+v", got, want)
	}

	// A transaction that fails writes nothing.
	boom := errors.New("boom")
	if err := a.Update(ctx, func(tx auth.Tx) error {
		if err := tx.PutLoginFailures(ctx, later, keys[:2], []auth.Failures{{}, failuresAt(9, later)}, 100); err != nil {
			return err
		}
		return boom
	}); !errors.Is(err, boom) {
		t.Fatalf("failed transaction: %v", err)
	}
	if got := readFailures(t, a, later, keys[0], keys[1]); got[0].Count != 6 || got[1].Count != 1 || countFailures(t, a) != 5 {
		t.Errorf("after a failed transaction: %+v, %d records; want 6 and 1 failures, 5 records", got, countFailures(t, a))
	}

	// Count 0 deletes; deleting a key without a record changes nothing.
	putFailures(t, a, later, 100, []auth.LimitKey{keys[0], pairKey("nobody", "192.0.2.1")}, auth.Failures{}, auth.Failures{})
	if got := readFailures(t, a, later, keys[0])[0]; !sameFailures(got, auth.Failures{}) || countFailures(t, a) != 4 {
		t.Errorf("after Count 0: %+v, %d records; want zero, 4 records", got, countFailures(t, a))
	}
	// A record past its Until, written again, is replaced, not added.
	putFailures(t, a, now.Add(time.Hour), 100, keys[1:2], failuresAt(1, now.Add(time.Hour)))
	if got := readFailures(t, a, now.Add(time.Hour), keys[1])[0]; got.Count != 1 || !got.Last.Equal(now.Add(time.Hour)) || countFailures(t, a) != 4 {
		t.Errorf("an expired record written again: %+v, %d records; want it replaced, 4 records", got, countFailures(t, a))
	}
}

// testLoginFailuresSerialised: transactions that read a key and write it
// one higher, from many goroutines at once, lose no increment, also when
// the key has no record yet (LoginFailures in a Tx holds its keys).
func testLoginFailuresSerialised(t *testing.T, h Harness) {
	ctx := context.Background()
	_, a := h.Open(t)
	keys := []auth.LimitKey{pairKey("admin", "203.0.113.1"), {Kind: auth.LimitAddress, Address: "203.0.113.1"}}
	const workers, each = 8, 10
	start := make(chan struct{})
	errs := make(chan error, workers*each)
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			<-start
			for range each {
				errs <- a.Update(ctx, func(tx auth.Tx) error {
					recs, err := tx.LoginFailures(ctx, t0, keys)
					if err != nil {
						return err
					}
					for i := range recs {
						recs[i] = failuresAt(recs[i].Count+1, t0)
					}
					return tx.PutLoginFailures(ctx, t0, keys, recs, 100)
				})
			}
		})
	}
	close(start)
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	for _, got := range readFailures(t, a, t0, keys...) {
		if got.Count != workers*each {
			t.Errorf("after %d increments at once: Count %d", workers*each, got.Count)
		}
	}
	if n := countFailures(t, a); n != 2 {
		t.Errorf("CountLoginFailures = %d, want 2", n)
	}
}

// testLoginFailuresSweep: a write that adds a record deletes up to
// auth.LimitSweep records past their Until, soonest first; a write that
// adds none deletes nothing but its own Count 0 records.
func testLoginFailuresSweep(t *testing.T, h Harness) {
	_, a := h.Open(t)
	key := func(i int) auth.LimitKey { return pairKey(fmt.Sprint("user", i), "203.0.113.1") }
	for i := range 20 {
		putFailures(t, a, t0, 100, []auth.LimitKey{key(i)},
			auth.Failures{Count: 1, Last: t0, Until: t0.Add(time.Minute + time.Duration(20-i)*time.Second)})
	}
	late := t0.Add(time.Hour) // all 20 expired
	fresh := pairKey("fresh", "192.0.2.1")
	// Adds nothing: writes an expired record again, deletes nothing else.
	putFailures(t, a, late, 100, []auth.LimitKey{key(0)}, failuresAt(1, late))
	putFailures(t, a, late, 100, []auth.LimitKey{key(0)}, auth.Failures{})
	if n := countFailures(t, a); n != 19 {
		t.Fatalf("after writes that add no record: %d records, want 19 (no sweep)", n)
	}
	putFailures(t, a, late, 100, []auth.LimitKey{fresh}, failuresAt(1, late))
	if n := countFailures(t, a); n != 19+1-auth.LimitSweep {
		t.Errorf("after one record added: %d records, want %d (19 + 1 - %d swept)", n, 19+1-auth.LimitSweep, auth.LimitSweep)
	}
	// Soonest Until first: user19 … user4 went, user3 … user1 stay.
	for i := 1; i < 20; i++ {
		got := readFailures(t, a, t0, key(i))[0]
		if kept := i <= 19-auth.LimitSweep; (got.Count == 1) != kept {
			t.Errorf("user%d (Until %v): %+v, kept %v", i, 20-i, got, kept)
		}
	}
	if got := readFailures(t, a, late, fresh)[0]; got.Count != 1 {
		t.Errorf("the record added: %+v", got)
	}
	putFailures(t, a, late, 100, []auth.LimitKey{pairKey("fresh2", "192.0.2.1")}, failuresAt(1, late))
	if n := countFailures(t, a); n != 2 {
		t.Errorf("after a second record added: %d records, want 2 (the rest swept)", n)
	}
}

// testLoginFailuresCap: past maxRows records, a write that adds records
// evicts others, fewest failures first, then the oldest Last, never its
// own keys, at most auth.LimitSweep per write; the table never grows past
// maxRows by a write.
func testLoginFailuresCap(t *testing.T, h Harness) {
	_, a := h.Open(t)
	const maxRows = 10
	held := pairKey("attacker", "203.0.113.66")
	putFailures(t, a, t0, maxRows, []auth.LimitKey{held}, failuresAt(30, t0))
	key := func(i int) auth.LimitKey { return pairKey(fmt.Sprint("spray", i), fmt.Sprint("198.51.100.", i)) }
	for i := range 50 {
		putFailures(t, a, t0, maxRows, []auth.LimitKey{key(i)}, failuresAt(1, t0.Add(time.Duration(i)*time.Second)))
		if n := countFailures(t, a); n > maxRows {
			t.Fatalf("after %d new keys: %d records, want at most %d", i+1, n, maxRows)
		}
	}
	present := func(k auth.LimitKey) bool { return readFailures(t, a, t0, k)[0].Count > 0 }
	if !present(held) {
		t.Errorf("the run of 30 failures was evicted for single failures")
	}
	for i := range 50 {
		if want := i >= 50-(maxRows-1); present(key(i)) != want {
			t.Errorf("spray%d: present %v, want %v (the newest %d stay)", i, !want, want, maxRows-1)
		}
	}
	// A write's own keys stay, even when they would be evicted first.
	own := []auth.LimitKey{pairKey("own", "192.0.2.1"), {Kind: auth.LimitAddress, Address: "192.0.2.1"}, {Kind: auth.LimitAccount, Account: "own"}}
	old := auth.Failures{Count: 1, Last: t0.Add(-time.Hour), Until: t0.Add(time.Hour)}
	putFailures(t, a, t0, maxRows, own, old, old, old)
	if n := countFailures(t, a); n != maxRows {
		t.Errorf("after 3 more keys: %d records, want %d", n, maxRows)
	}
	for _, k := range own {
		if !present(k) {
			t.Errorf("%+v, written by the evicting call, was evicted", k)
		}
	}
	for i := 41; i < 44; i++ {
		if present(key(i)) {
			t.Errorf("spray%d should have made room (the oldest single failures)", i)
		}
	}
	// A write that adds nothing evicts nothing, even past a lower cap.
	putFailures(t, a, t0, 2, []auth.LimitKey{held, key(49)}, failuresAt(31, t0), auth.Failures{})
	if n := countFailures(t, a); n != maxRows-1 {
		t.Errorf("after an update and a delete under a lower cap: %d records, want %d", n, maxRows-1)
	}
	// Far past the cap, one write evicts at most LimitSweep.
	for i := 100; i < 120; i++ {
		putFailures(t, a, t0, 100, []auth.LimitKey{key(i)}, failuresAt(1, t0))
	}
	putFailures(t, a, t0, 2, []auth.LimitKey{key(200)}, failuresAt(1, t0))
	if n, want := countFailures(t, a), maxRows-1+20+1-auth.LimitSweep; n != want {
		t.Errorf("one write far past the cap: %d records, want %d", n, want)
	}
}
