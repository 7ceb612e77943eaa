package auth

import (
	"context"
	"errors"
	"fmt"
	"math"
	"net/netip"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

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
//
// The counts live in the Store (Tx.LoginFailures, Tx.PutLoginFailures),
// so that every replica over one database, and a restarted server, sees
// the same ones: failures spread over replicas are held as if on one.
// Writes are bounded per attempt: a refused attempt reads and writes
// nothing else; one let through writes its three records once when
// counted and once more when answered (a failure re-dates them, a
// success deletes the pair and takes the failure back), and only a call
// that adds records sweeps or evicts, at most LimitSweep records each,
// so the table never holds more than MaxKeys records.

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
	// MaxKeys bounds the records in the store (default 100,000, a few
	// tens of megabytes at most; at least LimitSweep), so that a spray
	// of new names and addresses cannot grow the table without bound.
	MaxKeys int
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
	c.MaxKeys = max(c.MaxKeys, LimitSweep)
	defDur(&c.MaxBackoff, 15*time.Minute)
	defDur(&c.MaxAccountDelay, 30*time.Second)
	defDur(&c.Window, 15*time.Minute)
	return c
}

// The kinds of LimitKey: which count a record is.
const (
	LimitPair    = "pair"    // one account from one address
	LimitAddress = "address" // one address, any accounts
	LimitAccount = "account" // one account, any addresses
)

// LimitKey names one record of the login throttle. Account and Address
// are valid UTF-8 without NUL bytes, at most a few hundred bytes (the
// throttle makes them so); the one a kind does not use is "".
type LimitKey struct {
	Kind    string // LimitPair, LimitAddress or LimitAccount
	Account string
	Address string
}

// Failures is what the throttle keeps per key: a run of failures. A store
// keeps its times to the microsecond.
type Failures struct {
	Count int
	Last  time.Time // the latest failure
	// Prev is the failure before Last, for a success to take Last back;
	// zero if none.
	Prev time.Time
	// Until is when the record may be forgotten: from then on it reads
	// as the zero Failures, and a store may delete it.
	Until time.Time
}

func (f Failures) equal(g Failures) bool {
	return f.Count == g.Count && f.Last.Equal(g.Last) && f.Prev.Equal(g.Prev) && f.Until.Equal(g.Until)
}

// LimitSweep is how many records a call of Tx.PutLoginFailures that adds
// records may delete to keep the table bounded: expired ones, then, past
// the cap, the least telling.
const LimitSweep = 16

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

// throttle applies the policy to the records in a Store.
type throttle struct {
	cfg   LimitConfig
	store Store
	now   func() time.Time
}

func newThrottle(cfg LimitConfig, store Store, now func() time.Time) *throttle {
	return &throttle{cfg: cfg.withDefaults(), store: store, now: now}
}

// clock is the throttle's time, to the microsecond the stores keep, so
// that a time read back equals the one written.
func (t *throttle) clock() time.Time { return t.now().UTC().Truncate(time.Microsecond) }

// update reads the records of keys, lets fn change them in place, and
// writes back those it changed, in one transaction, whose read holds the
// keys until it commits (see Reader.LoginFailures). fn may run more than
// once, as Store.Update's may.
func (t *throttle) update(ctx context.Context, now time.Time, keys []LimitKey, fn func(recs []Failures)) error {
	return t.store.Update(ctx, func(tx Tx) error {
		recs, err := tx.LoginFailures(ctx, now, keys)
		if err != nil {
			return err
		}
		old := slices.Clone(recs)
		fn(recs)
		var ks []LimitKey
		var rs []Failures
		for i := range recs {
			if !recs[i].equal(old[i]) {
				ks, rs = append(ks, keys[i]), append(rs, recs[i])
			}
		}
		if len(ks) == 0 {
			return nil
		}
		return tx.PutLoginFailures(ctx, now, ks, rs, t.cfg.MaxKeys)
	})
}

// maxNameKey is longer than any account name (checkName allows 64), so
// that truncating what a client sends keeps every account its own key.
const maxNameKey = 65

// limitKeys are the records an attempt on user from addr reads: the
// pair, the address and the account, in that order.
func limitKeys(user, addr string) []LimitKey {
	if len(user) > maxNameKey {
		user = user[:maxNameKey]
	}
	user, a := keyText(user), addrKey(addr)
	return []LimitKey{{LimitPair, user, a}, {LimitAddress, "", a}, {LimitAccount, user, ""}}
}

// keyText makes what a client sent fit a text column of any store: valid
// UTF-8 without NUL. Account names are ASCII without NUL, so only names
// that cannot be accounts change (and may then share a count).
func keyText(s string) string {
	if utf8.ValidString(s) && !strings.ContainsRune(s, 0) {
		return s
	}
	return strings.ReplaceAll(strings.ToValidUTF8(s, "\uFFFD"), "\x00", "\uFFFD")
}

// addrKey is the address a count belongs to: an IPv6 client counts as its
// /64, which one host can usually send from whole.
func addrKey(addr string) string {
	ip, err := netip.ParseAddr(addr)
	if err != nil {
		if len(addr) > 64 {
			addr = addr[:64]
		}
		return keyText(addr)
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
	now, keys := t.clock(), limitKeys(user, addr)
	// A refused attempt only reads, outside a write transaction, so that
	// a flood of them costs the store no writes; one that may pass is
	// checked again in the transaction that counts it.
	recs, err := t.store.LoginFailures(ctx, now, keys)
	if err != nil {
		return now, fmt.Errorf("login throttle: %w", err)
	}
	if next := t.notBefore(recs[0], recs[1], recs[2]); now.Before(next) {
		return now, newThrottled(next.Sub(now))
	}
	var wait time.Duration
	err = t.update(ctx, now, keys, func(recs []Failures) {
		wait = 0 // fn may run again
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
	now := t.clock()
	return t.update(ctx, now, limitKeys(user, addr), func(recs []Failures) {
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
	return t.update(ctx, t.clock(), limitKeys(user, addr), func(recs []Failures) {
		recs[0] = Failures{}
		for i := 1; i < len(recs); i++ {
			recs[i].Count = max(0, recs[i].Count-1)
			if recs[i].Last.Equal(at) {
				recs[i].Last = recs[i].Prev
			}
		}
	})
}
