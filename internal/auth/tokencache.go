package auth

import (
	"sync"
	"time"
)

// tokenCache keeps the API tokens this service resolved for a moment, so
// that a client sending the same token on every request costs a hash and
// a map look-up, not two reads of the store (12 % of the server's CPU for a
// one-task workflow with a token, at 8 clients). A change to tokens, users
// or groups made through this service empties it at once; one made by
// another replica sharing the store is seen within tokenCacheTTL.
type tokenCache struct {
	mu      sync.Mutex
	gen     uint64 // bumped by every change that may alter a resolution
	entries map[string]tokenEntry
}

// tokenEntry is a resolution and when it was read. Every entry in the map
// belongs to the current generation: invalidate empties it, and put files
// nothing read across a change.
type tokenEntry struct {
	p  Principal
	t  Token
	at time.Time
}

const (
	// tokenCacheTTL bounds how long a token revoked, or a user changed,
	// on another replica still resolves as before on this one.
	tokenCacheTTL = time.Second
	// tokenCacheMax bounds the entries: a full cache starts afresh.
	tokenCacheMax = 4096
)

// get returns the resolution of the token hashed h, if cached and fresh.
func (c *tokenCache) get(h string, now time.Time) (Principal, Token, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.entries[h]
	if !ok || now.Sub(e.at) >= tokenCacheTTL || now.Before(e.at) {
		return Principal{}, Token{}, false
	}
	return e.p, e.t, true
}

// generation is read before the store is: a resolution read across a
// change is then filed under the generation before it, and never served.
func (c *tokenCache) generation() uint64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.gen
}

func (c *tokenCache) put(h string, p Principal, t Token, gen uint64, now time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if gen != c.gen {
		return
	}
	if c.entries == nil || len(c.entries) >= tokenCacheMax {
		c.entries = make(map[string]tokenEntry)
	}
	c.entries[h] = tokenEntry{p: p, t: t, at: now}
}

// invalidate forgets every resolution: called after each change to
// tokens, users or groups.
func (c *tokenCache) invalidate() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.gen++
	c.entries = nil
}
