package auth

import (
	"sync"
	"time"
)

// LimitConfig bounds failed logins in a sliding window.
type LimitConfig struct {
	PerAccount int           // failures per account name (default 5)
	PerAddress int           // failures per client address (default 20)
	Window     time.Duration // default 15 minutes
}

// limiter counts failed logins per account and per address, in memory: a
// restart forgets them, which costs an attacker a restart per window.
type limiter struct {
	cfg LimitConfig
	now func() time.Time

	mu       sync.Mutex
	failures map[string][]time.Time // "user:<name>" and "addr:<ip>" → failure times
}

func newLimiter(cfg LimitConfig, now func() time.Time) *limiter {
	if cfg.PerAccount <= 0 {
		cfg.PerAccount = 5
	}
	if cfg.PerAddress <= 0 {
		cfg.PerAddress = 20
	}
	if cfg.Window <= 0 {
		cfg.Window = 15 * time.Minute
	}
	return &limiter{cfg: cfg, now: now, failures: map[string][]time.Time{}}
}

// recent drops failures older than the window and returns the rest.
func (l *limiter) recent(key string) []time.Time {
	cut := l.now().Add(-l.cfg.Window)
	f := l.failures[key]
	i := 0
	for i < len(f) && !f[i].After(cut) {
		i++
	}
	f = f[i:]
	if len(f) == 0 {
		delete(l.failures, key)
	} else {
		l.failures[key] = f
	}
	return f
}

func (l *limiter) allow(user, addr string) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.recent("user:"+user)) < l.cfg.PerAccount && len(l.recent("addr:"+addr)) < l.cfg.PerAddress
}

func (l *limiter) fail(user, addr string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	l.failures["user:"+user] = append(l.recent("user:"+user), now)
	l.failures["addr:"+addr] = append(l.recent("addr:"+addr), now)
	// Bound memory under a spray of names: forget the oldest keys.
	if len(l.failures) > 100000 {
		for k := range l.failures {
			delete(l.failures, k)
			if len(l.failures) <= 50000 {
				break
			}
		}
	}
}

// succeed clears the account's failures (not the address's: one good
// password must not reset a spray from the same address).
func (l *limiter) succeed(user, _ string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	delete(l.failures, "user:"+user)
}
