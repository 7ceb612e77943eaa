package auth

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"math"
	"net/netip"
	"slices"
	"sync"
	"time"

	"github.com/sirocco-project/sirocco/internal/fault"
)

// The login throttle. Three counts of failed password checks decide when
// the next check may come:
//
//   - per account and address: after PerPair failures, each further
//     attempt waits 1 s, 2 s, 4 s … (at most MaxBackoff) after the
//     previous failure;
//   - per address, across accounts: the same after PerAddress failures;
//   - per account, across addresses: after PerAccount failures, an address
//     that has failed on the account waits a gentler delay (doubling per
//     further PerAccount failures, at most MaxAccountDelay) after its own
//     last failure. An address with no failure on the account is never
//     held by this count, so that failures from elsewhere cannot lock the
//     owner out; they only slow those who fail.
//
// Nothing sleeps: the throttle says when the next attempt may come, and
// earlier ones are refused (429 with Retry-After). Each attempt let
// through is counted as a failure before the password is compared, so
// that parallel attempts cannot all pass one check; a success takes it
// back and clears the account-and-address count. A count is forgotten
// Window after its last failure's wait ends.

// LimitConfig configures the login throttle; zero fields take the
// defaults.
type LimitConfig struct {
	PerPair    int // failures of one account from one address before the back-off (default 5)
	PerAddress int // failures from one address, any accounts, before the back-off (default 20)
	PerAccount int // failures of one account from any addresses before it slows (default 50)
	// MaxBackoff caps the two back-offs (default 15 minutes).
	MaxBackoff time.Duration
	// MaxAccountDelay caps the account's delay (default 30 seconds).
	MaxAccountDelay time.Duration
	// Window is how long a count outlives its wait (default 15 minutes).
	Window time.Duration
	// MaxKeys bounds the in-memory records (default 100,000, a few tens
	// of megabytes at most).
	MaxKeys int
	// Store keeps the records; nil means in memory (NewMemoryLimits).
	Store LimitStore
}

func (c LimitConfig) withDefaults() LimitConfig {
	def := func(v *int, d int) {
		if *v <= 0 {
			*v = d
		}
	}
	defDur := func(v *time.Duration, d time.Duration) {
		if *v <= 0 {
			*v = d
		}
	}
	def(&c.PerPair, 5)
	def(&c.PerAddress, 20)
	def(&c.PerAccount, 50)
	def(&c.MaxKeys, 100000)
	defDur(&c.MaxBackoff, 15*time.Minute)
	defDur(&c.MaxAccountDelay, 30*time.Second)
	defDur(&c.Window, 15*time.Minute)
	if c.Store == nil {
		c.Store = NewMemoryLimits(c.MaxKeys)
	}
	return c
}

// Failures is what the throttle keeps per key: a run of failures.
type Failures struct {
	Count int
	Last  time.Time // the latest failure
	// Prev is the failure before Last, for a success to take Last back.
	Prev time.Time
	// Until is when the record may be forgotten.
	Until time.Time
}

// LimitStore keeps the throttle's records, one per key. Update reads the
// records of keys (zero for a missing one, or one whose Until has passed
// at now), lets fn change them in place, and stores them back as one
// atomic step, so that concurrent attempts cannot all pass a check before
// any is counted; a record left with Count 0 is deleted. MemoryLimits
// keeps them in the process; a table keyed by key, updated in one
// transaction, can take its place so that a restart or a second process
// shares them.
type LimitStore interface {
	Update(ctx context.Context, now time.Time, keys []string, fn func(recs []Failures)) error
}

// ErrTooManyAttempts is what a throttled login matches (errors.Is); the
// error itself is a *ThrottledError, which says how long to wait.
var ErrTooManyAttempts = fault.Errorf(fault.EFORBIDDEN, "Too many failed logins: wait a few minutes and try again.")

// ThrottledError refuses a password check that came too soon.
type ThrottledError struct {
	// RetryAfter is how long until the next attempt may come.
	RetryAfter time.Duration
	err        *fault.Error
}

func newThrottled(wait time.Duration) *ThrottledError {
	n := retrySeconds(wait)
	unit := "seconds"
	if n == 1 {
		unit = "second"
	}
	return &ThrottledError{RetryAfter: wait,
		err: fault.Errorf(fault.EFORBIDDEN, "Too many failed logins: try again in %d %s.", n, unit)}
}

func (e *ThrottledError) Error() string { return e.err.Message }

// Unwrap gives the engine error, for its code and message.
func (e *ThrottledError) Unwrap() error { return e.err }

// Is makes a ThrottledError match ErrTooManyAttempts.
func (e *ThrottledError) Is(target error) bool { return target == ErrTooManyAttempts }

// RetryAfterSeconds is the Retry-After value of a throttled login: the
// wait in whole seconds, rounded up, at least 1; 0 for other errors.
func RetryAfterSeconds(err error) int {
	var t *ThrottledError
	if !errors.As(err, &t) {
		return 0
	}
	return retrySeconds(t.RetryAfter)
}

func retrySeconds(d time.Duration) int { return max(1, int(math.Ceil(d.Seconds()))) }

// throttle applies the policy to the records of a LimitStore.
type throttle struct {
	cfg LimitConfig
	now func() time.Time
}

func newThrottle(cfg LimitConfig, now func() time.Time) *throttle {
	return &throttle{cfg: cfg.withDefaults(), now: now}
}

// maxNameKey is longer than any account name (checkName allows 64), so
// that truncating what a client sends keeps every account its own key.
const maxNameKey = 65

// keys are the records an attempt on user from addr reads: the pair, the
// address and the account, in that order.
func limitKeys(user, addr string) []string {
	if len(user) > maxNameKey {
		user = user[:maxNameKey]
	}
	a := addrKey(addr)
	return []string{"pair\x00" + user + "\x00" + a, "addr\x00" + a, "user\x00" + user}
}

// addrKey is the address a count belongs to: an IPv6 client counts as its
// /64, which one host can usually send from whole.
func addrKey(addr string) string {
	ip, err := netip.ParseAddr(addr)
	if err != nil {
		if len(addr) > 64 {
			addr = addr[:64]
		}
		return addr
	}
	ip = ip.Unmap()
	if ip.Is6() {
		p, _ := ip.Prefix(64)
		return p.String()
	}
	return ip.String()
}

// backoff is the wait after n failures with the back-off starting at
// threshold: 1 s, then doubling, at most limit.
func backoff(n, threshold int, limit time.Duration) time.Duration {
	if n < threshold {
		return 0
	}
	if shift := n - threshold; shift < 32 {
		return min(time.Second<<shift, limit)
	}
	return limit
}

// accountDelay is the account's delay after n failures: 1 s from
// PerAccount, doubling every further PerAccount, at most MaxAccountDelay.
func (t *throttle) accountDelay(n int) time.Duration {
	if n < t.cfg.PerAccount {
		return 0
	}
	return backoff(t.cfg.PerAccount+(n-t.cfg.PerAccount)/t.cfg.PerAccount, t.cfg.PerAccount, t.cfg.MaxAccountDelay)
}

// notBefore is when the next attempt on the pair may come.
func (t *throttle) notBefore(pair, addr, account Failures) time.Time {
	next := pair.Last.Add(backoff(pair.Count, t.cfg.PerPair, t.cfg.MaxBackoff))
	if a := addr.Last.Add(backoff(addr.Count, t.cfg.PerAddress, t.cfg.MaxBackoff)); a.After(next) {
		next = a
	}
	if pair.Count > 0 { // only those who failed on the account are slowed by its count
		if a := pair.Last.Add(t.accountDelay(account.Count)); a.After(next) {
			next = a
		}
	}
	return next
}

// fail counts one failure at now on each record, and sets when each may
// be forgotten.
func (t *throttle) fail(recs []Failures, now time.Time) {
	waits := []func(int) time.Duration{
		func(n int) time.Duration { return backoff(n, t.cfg.PerPair, t.cfg.MaxBackoff) },
		func(n int) time.Duration { return backoff(n, t.cfg.PerAddress, t.cfg.MaxBackoff) },
		t.accountDelay,
	}
	for i := range recs {
		recs[i].Count++
		recs[i].Prev, recs[i].Last = recs[i].Last, now
		recs[i].Until = now.Add(waits[i](recs[i].Count) + t.cfg.Window)
	}
}

// begin asks whether user may try a password from addr now. If so, the
// attempt is counted as a failure at once, at the time it returns
// (succeed takes it back); if not, the answer is a *ThrottledError.
func (t *throttle) begin(ctx context.Context, user, addr string) (time.Time, error) {
	now := t.now()
	var wait time.Duration
	err := t.cfg.Store.Update(ctx, now, limitKeys(user, addr), func(recs []Failures) {
		if next := t.notBefore(recs[0], recs[1], recs[2]); now.Before(next) {
			wait = next.Sub(now)
			return
		}
		t.fail(recs, now)
	})
	if err != nil {
		return now, fmt.Errorf("login throttle: %w", err)
	}
	if wait > 0 {
		return now, newThrottled(wait)
	}
	return now, nil
}

// failed dates the failure that begin counted to when the comparison
// ended, so that the wait runs from the answer.
func (t *throttle) failed(ctx context.Context, user, addr string) error {
	now := t.now()
	return t.cfg.Store.Update(ctx, now, limitKeys(user, addr), func(recs []Failures) {
		for i := range recs {
			if recs[i].Count > 0 && recs[i].Last.Before(now) {
				recs[i].Until = recs[i].Until.Add(now.Sub(recs[i].Last))
				recs[i].Last = now
			}
		}
	})
}

// succeed clears the pair's count and takes back the failure that begin
// counted at `at` on the address and the account (one good password does
// not reset failures from elsewhere or on other accounts).
func (t *throttle) succeed(ctx context.Context, user, addr string, at time.Time) error {
	return t.cfg.Store.Update(ctx, t.now(), limitKeys(user, addr), func(recs []Failures) {
		recs[0] = Failures{}
		for i := 1; i < len(recs); i++ {
			recs[i].Count = max(0, recs[i].Count-1)
			if recs[i].Last.Equal(at) {
				recs[i].Last = recs[i].Prev
			}
		}
	})
}

// MemoryLimits is a LimitStore in the process's memory, of at most a
// fixed number of records: past it, forgotten records go first, then
// those with the fewest failures (they matter least).
type MemoryLimits struct {
	mu   sync.Mutex
	max  int
	recs map[string]Failures
}

// NewMemoryLimits returns an empty store of at most maxKeys records.
func NewMemoryLimits(maxKeys int) *MemoryLimits {
	return &MemoryLimits{max: max(maxKeys, 1), recs: map[string]Failures{}}
}

// Update implements LimitStore.
func (m *MemoryLimits) Update(_ context.Context, now time.Time, keys []string, fn func(recs []Failures)) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	recs := make([]Failures, len(keys))
	for i, k := range keys {
		if r, ok := m.recs[k]; ok && now.Before(r.Until) {
			recs[i] = r
		}
	}
	fn(recs)
	for i, k := range keys {
		if recs[i].Count <= 0 {
			delete(m.recs, k)
		} else {
			m.recs[k] = recs[i]
		}
	}
	if len(m.recs) > m.max {
		m.shrink(now, keys)
	}
	return nil
}

// shrink brings the records down to nine tenths of the bound, so that it
// runs once per many new keys: forgotten records first, then the fewest
// failures, oldest first. The keys just written stay.
func (m *MemoryLimits) shrink(now time.Time, keep []string) {
	target := m.max - m.max/10
	for k, r := range m.recs {
		if !now.Before(r.Until) {
			delete(m.recs, k)
		}
	}
	if len(m.recs) <= target {
		return
	}
	type entry struct {
		key string
		rec Failures
	}
	all := make([]entry, 0, len(m.recs))
	for k, r := range m.recs {
		if !slices.Contains(keep, k) {
			all = append(all, entry{k, r})
		}
	}
	slices.SortFunc(all, func(a, b entry) int {
		return cmp.Or(cmp.Compare(a.rec.Count, b.rec.Count), a.rec.Last.Compare(b.rec.Last))
	})
	for _, e := range all {
		if len(m.recs) <= target {
			break
		}
		delete(m.recs, e.key)
	}
}

// Len is how many records the store holds.
func (m *MemoryLimits) Len() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return len(m.recs)
}
