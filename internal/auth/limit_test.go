package auth_test

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/sirocco-project/sirocco/internal/auth"
	"github.com/sirocco-project/sirocco/internal/sqlite"
	"golang.org/x/crypto/bcrypt"
)

// clock is the injected time of a throttle test.
type clock struct{ now time.Time }

func (c *clock) Now() time.Time      { return c.now }
func (c *clock) Add(d time.Duration) { c.now = c.now.Add(d) }
func newClock() *clock               { return &clock{now: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)} }
func throttled(err error) (bool, time.Duration) {
	var te *auth.ThrottledError
	if errors.As(err, &te) && errors.Is(err, auth.ErrTooManyAttempts) {
		return true, te.RetryAfter
	}
	return false, 0
}

// loginService is a Service on a fixed clock with admin (admin-password)
// and eve (eve-password).
func loginService(t *testing.T, c *clock, limit ...auth.LimitConfig) *auth.Service {
	t.Helper()
	ctx := context.Background()
	st, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "l.db"), sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	cfg := auth.Config{Store: st.Auth(), BcryptCost: bcrypt.MinCost, Now: c.Now}
	if len(limit) > 0 {
		cfg.Limit = limit[0]
	}
	s := auth.New(cfg)
	if _, err := s.Init(ctx, "admin-password"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.CreateUser(ctx, testActor, "eve", auth.RoleViewer, "eve-password"); err != nil {
		t.Fatal(err)
	}
	return s
}

// expect runs one login and checks its outcome: "in", "401", or a wait.
func expect(t *testing.T, s *auth.Service, user, password, addr string, want any) {
	t.Helper()
	_, err := s.Login(context.Background(), user, password, addr)
	held, wait := throttled(err)
	switch w := want.(type) {
	case string:
		if w == "in" && err != nil || w == "401" && !auth.IsUnauthorized(err) {
			t.Fatalf("Login(%s, %s, %s) = %v, want %s", user, password, addr, err, w)
		}
	case time.Duration:
		if !held || wait != w {
			t.Fatalf("Login(%s, %s, %s) = %v (wait %v), want held for %v", user, password, addr, err, wait, w)
		}
	}
}

// TestLoginBackoffPerAccountAndAddress: after 5 failures of one account
// from one address, each attempt waits 1 s, 2 s, 4 s … up to 15 minutes
// after the previous failure; other addresses are not held; a success
// clears the count.
func TestLoginBackoffPerAccountAndAddress(t *testing.T) {
	t.Parallel()
	c := newClock()
	s := loginService(t, c)
	const a, b = "203.0.113.1", "203.0.113.2"
	for range 5 {
		expect(t, s, "admin", "wrong", a, "401")
	}
	expect(t, s, "admin", "admin-password", a, time.Second) // even the right password waits
	expect(t, s, "admin", "admin-password", b, "in")        // the owner elsewhere does not
	wait := time.Second
	for range 12 {
		c.Add(wait / 2)
		expect(t, s, "admin", "wrong", a, wait-wait/2) // not a moment early
		c.Add(wait - wait/2)
		expect(t, s, "admin", "wrong", a, "401")
		wait = min(2*wait, 15*time.Minute)
		expect(t, s, "admin", "admin-password", a, wait)
	}
	if wait != 15*time.Minute {
		t.Fatalf("the back-off ended at %v, want the 15-minute cap", wait)
	}
	c.Add(wait)
	expect(t, s, "admin", "admin-password", a, "in")
	// The success cleared the count: five more failures before a wait.
	for range 5 {
		expect(t, s, "admin", "wrong", a, "401")
	}
	expect(t, s, "admin", "wrong", a, time.Second)
}

// TestLoginBackoffPerAddress: 20 failures from one address, on any
// accounts, hold that address for every account, with the same growing
// wait; a success there does not reset it.
func TestLoginBackoffPerAddress(t *testing.T) {
	t.Parallel()
	c := newClock()
	s := loginService(t, c)
	const x = "203.0.113.9"
	for i := range 20 {
		expect(t, s, fmt.Sprintf("user%d", i), "wrong", x, "401") // unknown names count too
	}
	expect(t, s, "eve", "eve-password", x, time.Second)
	expect(t, s, "eve", "eve-password", "203.0.113.10", "in")
	c.Add(time.Second)
	expect(t, s, "nobody", "wrong", x, "401")
	expect(t, s, "eve", "eve-password", x, 2*time.Second)
	c.Add(2 * time.Second)
	expect(t, s, "eve", "eve-password", x, "in")
	expect(t, s, "nobody", "wrong", x, "401")
	expect(t, s, "eve", "eve-password", x, 4*time.Second)
	// An IPv6 client counts as its /64.
	for i := range 20 {
		expect(t, s, fmt.Sprintf("user%d", i), "wrong", fmt.Sprintf("2001:db8::%x", i+1), "401")
	}
	expect(t, s, "eve", "eve-password", "2001:db8::ffff", time.Second)
	expect(t, s, "eve", "eve-password", "2001:db8:0:1::1", "in")
}

// TestLoginOwnerNotLockedOut: failures sprayed on admin from many
// addresses never lock the owner out: from an address with no failure on
// the account, the right password gets in at once.
func TestLoginOwnerNotLockedOut(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	s, _ := newService(t, func() time.Time { return now })
	if _, err := s.Init(ctx, "admin-password"); err != nil {
		t.Fatal(err)
	}
	// 150 addresses fail once each, within seconds: three times the
	// per-account count, and no address near its own.
	for a := range 150 {
		now = now.Add(10 * time.Millisecond)
		addr := fmt.Sprintf("198.51.%d.%d", a/200, a%200)
		if _, err := s.Login(ctx, "admin", "guess", addr); !auth.IsUnauthorized(err) {
			t.Fatalf("guess %d from %s: %v, want the usual 401 (nothing held yet)", a, addr, err)
		}
	}
	if _, err := s.Login(ctx, "admin", "admin-password", "192.0.2.1"); err != nil {
		t.Fatalf("the owner, from an address with no failure, while admin is attacked: %v, want in", err)
	}
	// The attackers' addresses, which have failed on admin, are slowed:
	// 150 failures make 1 s double twice, counted from each address's
	// own failure (198.51.0.7's came at 80 ms).
	_, err := s.Login(ctx, "admin", "guess", "198.51.0.7")
	var te *auth.ThrottledError
	if !errors.Is(err, auth.ErrTooManyAttempts) || !errors.As(err, &te) || te.RetryAfter != 80*time.Millisecond+4*time.Second-1500*time.Millisecond {
		t.Errorf("an attacking address again at once: %v, want held for 2.58 s", err)
	}
}

// TestLoginAccountSlowsGently: past PerAccount failures on an account
// from anywhere (50 by default; 10 here, to reach the cap sooner), an
// address that has failed on it waits a short delay (1 s, doubling every
// PerAccount failures, at most 30 s) after its own last failure, however
// busy the attack; an address with none is not held.
func TestLoginAccountSlowsGently(t *testing.T) {
	t.Parallel()
	c := newClock()
	s := loginService(t, c, auth.LimitConfig{PerAccount: 10})
	guess := func(from, to int) {
		for a := from; a < to; a++ {
			expect(t, s, "admin", "guess", fmt.Sprintf("198.51.%d.%d", a/200, a%200), "401")
		}
	}
	guess(0, 9)
	expect(t, s, "admin", "wrong", "192.0.2.2", "401") // the owner's typo: the 10th failure
	c.Add(time.Millisecond)
	expect(t, s, "admin", "admin-password", "192.0.2.2", time.Second-time.Millisecond)
	c.Add(time.Second)
	expect(t, s, "admin", "admin-password", "192.0.2.2", "in")

	guess(9, 60) // 60 failures: the delay has reached its cap
	expect(t, s, "admin", "wrong", "192.0.2.2", "401")
	expect(t, s, "admin", "admin-password", "192.0.2.2", 30*time.Second)
	c.Add(10 * time.Second)
	guess(60, 100) // more attack meanwhile does not push the owner's turn back
	expect(t, s, "admin", "admin-password", "192.0.2.2", 20*time.Second)
	expect(t, s, "admin", "admin-password", "192.0.2.3", "in") // nor hold a clean address
	c.Add(20 * time.Second)
	expect(t, s, "admin", "admin-password", "192.0.2.2", "in")
	expect(t, s, "admin", "guess", "198.51.0.7", "401") // the attacker too, once per 30 s
	expect(t, s, "admin", "guess", "198.51.0.7", 30*time.Second)
}

// TestLoginCountsParallelAttempts: attempts at the same moment are each
// counted as they pass the check, so a burst gets no more guesses than
// the count allows.
func TestLoginCountsParallelAttempts(t *testing.T) {
	t.Parallel()
	c := newClock()
	s := loginService(t, c)
	for range 4 {
		expect(t, s, "admin", "wrong", "203.0.113.1", "401")
	}
	errs := make([]error, 10)
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i := range errs {
		wg.Go(func() {
			<-start
			_, errs[i] = s.Login(context.Background(), "admin", "wrong", "203.0.113.1")
		})
	}
	close(start)
	wg.Wait()
	checked := 0
	for _, err := range errs {
		if held, _ := throttled(err); !held {
			checked++
		}
	}
	if checked != 1 {
		t.Errorf("a burst of 10 after 4 failures: %d passwords checked, want 1 (the 5th failure)", checked)
	}
}

// TestLoginThrottleTableBounded: a spray of logins from new addresses on
// new names cannot grow the throttle's table past MaxKeys; the records
// evicted are the single failures, not a run that holds an attacker.
func TestLoginThrottleTableBounded(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	c := newClock()
	st, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "b.db"), sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	s := auth.New(auth.Config{Store: st.Auth(), BcryptCost: bcrypt.MinCost, Now: c.Now, Limit: auth.LimitConfig{MaxKeys: 100}})
	if _, err := s.Init(ctx, "admin-password"); err != nil {
		t.Fatal(err)
	}
	const x = "203.0.113.1"
	for range 5 {
		expect(t, s, "admin", "wrong", x, "401")
	}
	for i := range 500 {
		c.Add(time.Millisecond)
		expect(t, s, fmt.Sprintf("user%d", i), "wrong", fmt.Sprintf("198.51.%d.%d", i/200, i%200), "401")
		if n, err := st.Auth().CountLoginFailures(ctx); err != nil || n > 100 {
			t.Fatalf("after %d new addresses the table holds %d records (%v), want at most 100", i+1, n, err)
		}
	}
	expect(t, s, "admin", "admin-password", x, time.Second-500*time.Millisecond)
}

// replicas returns two Services, as two Sirocco replicas behind one load
// balancer, over one store, on clock c, with admin (admin-password) and
// eve (eve-password).
func replicas(t *testing.T, c *clock) (*auth.Service, *auth.Service) {
	t.Helper()
	ctx := context.Background()
	st, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "r.db"), sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	var out [2]*auth.Service
	for i := range out {
		out[i] = auth.New(auth.Config{Store: st.Auth(), BcryptCost: bcrypt.MinCost, Now: c.Now})
		if _, err := out[i].Init(ctx, "admin-password"); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := out[0].CreateUser(ctx, testActor, "eve", auth.RoleViewer, "eve-password"); err != nil {
		t.Fatal(err)
	}
	return out[0], out[1]
}

// TestLoginThrottleSharedByReplicas: the throttle's counts live in the
// store, so failures spread over two replicas are held as if on one: the
// back-off per account and address and per address, a success on one
// replica clearing the count on the other, and a burst split across both.
func TestLoginThrottleSharedByReplicas(t *testing.T) {
	t.Parallel()
	c := newClock()
	a, b := replicas(t, c)
	const x, y = "203.0.113.1", "203.0.113.2"
	for i := range 5 {
		expect(t, []*auth.Service{a, b}[i%2], "admin", "wrong", x, "401")
	}
	expect(t, a, "admin", "admin-password", x, time.Second)
	expect(t, b, "admin", "admin-password", x, time.Second)
	c.Add(time.Second)
	expect(t, a, "admin", "wrong", x, "401")
	expect(t, b, "admin", "wrong", x, 2*time.Second)
	c.Add(2 * time.Second)
	expect(t, b, "admin", "admin-password", x, "in") // clears the pair's count on a too
	for range 5 {
		expect(t, a, "admin", "wrong", x, "401")
	}
	expect(t, b, "admin", "wrong", x, time.Second)

	// Per address, across accounts: 20 failures, half on each replica.
	for i := range 20 {
		expect(t, []*auth.Service{a, b}[i%2], fmt.Sprintf("user%d", i), "wrong", y, "401")
	}
	expect(t, a, "eve", "eve-password", y, time.Second)
	expect(t, b, "eve", "eve-password", y, time.Second)

	// A burst split across both replicas gets one guess after 4 failures.
	const z = "203.0.113.3"
	for i := range 4 {
		expect(t, []*auth.Service{a, b}[i%2], "eve", "wrong", z, "401")
	}
	errs := make([]error, 10)
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i := range errs {
		wg.Go(func() {
			<-start
			_, errs[i] = []*auth.Service{a, b}[i%2].Login(context.Background(), "eve", "wrong", z)
		})
	}
	close(start)
	wg.Wait()
	checked := 0
	for _, err := range errs {
		if held, _ := throttled(err); !held {
			checked++
		}
	}
	if checked != 1 {
		t.Errorf("a burst of 10 over two replicas after 4 failures: %d passwords checked, want 1", checked)
	}
}
