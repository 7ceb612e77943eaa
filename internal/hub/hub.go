// Package hub pushes the engine's state-change events to browsers over
// websockets. It implements engine.Publisher: Publish never blocks the
// engine. One goroutine (Run) owns the set of clients; each client has a
// buffered send channel, and a client that does not keep up is dropped,
// never waited on — its page reconnects and resynchronises.
package hub

import (
	"context"
	"encoding/json"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync/atomic"
	"time"

	"github.com/gorilla/websocket"
	"github.com/sirocco-project/sirocco/internal/engine"
)

// Config configures a Hub.
type Config struct {
	// BaseURL is the public URL of the dashboard; a browser's websocket
	// handshake must come from this origin.
	BaseURL string
	Logger  *slog.Logger
	// SendBuffer is how many messages may queue for one client before it
	// is dropped as too slow (default 64).
	SendBuffer int
	// EventBuffer is how many events may wait for the hub's goroutine
	// before Publish drops them and asks every client to resynchronise
	// (default 4096).
	EventBuffer int
	// SessionCheck is how often connections of expired sessions are
	// closed (default 30 s).
	SessionCheck time.Duration
	// MaxPerSession bounds the connections one dashboard session may hold
	// open (default DefaultMaxPerSession); past it a handshake is refused
	// with 429, and the page retries later.
	MaxPerSession int

	// Presence (presence.go). Now tells the time (tests fix it; nil
	// means time.Now); PresenceLapse is how long a viewer stays without a
	// heartbeat (default DefaultPresenceLapse); PresenceTick, when set,
	// drives the sweeps of lapsed viewers instead of a ticker every
	// PresenceLapse/4 (tests send on it). Announce, when set, tells the
	// other replicas of this one's viewers (engine.AnnouncePresence); it
	// is called from a goroutine of its own, never from Run's.
	Now           func() time.Time
	PresenceLapse time.Duration
	PresenceTick  <-chan time.Time
	Announce      func(ctx context.Context, evs []engine.Event) error
}

// DefaultMaxPerSession is how many live connections (pages, tabs) one
// session may hold open. Refusing the next one rather than closing the
// oldest keeps two sets of tabs from evicting each other in turn.
const DefaultMaxPerSession = 16

// Hub fans events out to websocket clients by topic.
type Hub struct {
	log        *slog.Logger
	origin     string
	origins    []string // the base URL's other loopback spellings, when it is on loopback
	sendBuffer int
	upgrader   websocket.Upgrader

	events     chan engine.Event
	register   chan *client
	unregister chan *client
	// overflow is set when Publish had to drop an event, or Resync was
	// called; kick wakes the hub's goroutine to act on it.
	overflow atomic.Bool
	kick     chan struct{}
	// count is the number of connected clients, for metrics.
	count atomic.Int64
	// endSession carries ended sessions to the hub's goroutine.
	endSession chan string
	// sessionCheck is how often expired sessions' connections are closed.
	sessionCheck  time.Duration
	maxPerSession int
	done          chan struct{}

	presence *presence
	// beats carries the clients' heartbeats to Run.
	beats    chan *client
	now      func() time.Time
	tick     <-chan time.Time
	announce func(ctx context.Context, evs []engine.Event) error
	outbox   chan []engine.Event
}

var (
	_ engine.Publisher = (*Hub)(nil)
	_ engine.Resyncer  = (*Hub)(nil)
)

// New returns a hub; call Run to start it.
func New(cfg Config) *Hub {
	h := &Hub{
		log:          cfg.Logger,
		origin:       originOf(cfg.BaseURL),
		origins:      loopbackOrigins(cfg.BaseURL),
		sendBuffer:   cfg.SendBuffer,
		register:     make(chan *client),
		unregister:   make(chan *client),
		endSession:   make(chan string),
		kick:         make(chan struct{}, 1),
		sessionCheck: cfg.SessionCheck,
		done:         make(chan struct{}),
		presence:     newPresence(cfg.PresenceLapse),
		beats:        make(chan *client),
		now:          cfg.Now,
		tick:         cfg.PresenceTick,
		announce:     cfg.Announce,
		outbox:       make(chan []engine.Event, 64),
	}
	if h.now == nil {
		h.now = time.Now
	}
	h.maxPerSession = cfg.MaxPerSession
	if h.maxPerSession <= 0 {
		h.maxPerSession = DefaultMaxPerSession
	}
	if h.log == nil {
		h.log = slog.New(slog.DiscardHandler)
	}
	if h.sendBuffer <= 0 {
		h.sendBuffer = 64
	}
	if cfg.EventBuffer <= 0 {
		cfg.EventBuffer = 4096
	}
	h.events = make(chan engine.Event, cfg.EventBuffer)
	h.upgrader = websocket.Upgrader{
		ReadBufferSize:  1024,
		WriteBufferSize: 4096,
		CheckOrigin:     h.checkOrigin,
	}
	return h
}

// originOf returns the scheme://host[:port] of a URL, lowercased.
func originOf(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" {
		return ""
	}
	return strings.ToLower(u.Scheme + "://" + u.Host)
}

// loopbackOrigins returns, for a base URL on a loopback host (localhost,
// 127.0.0.1, [::1]), the same origin under each of those spellings: a
// person who opens http://localhost:8080 while -base-url says
// http://127.0.0.1:8080 reaches the same server, and browsers resolve
// "localhost" to the loopback interface themselves, so no DNS answer can
// rebind it. Other base URLs get none.
func loopbackOrigins(raw string) []string {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" || !isLoopback(u.Hostname()) {
		return nil
	}
	port := u.Port()
	var out []string
	for _, host := range []string{"localhost", "127.0.0.1", "[::1]"} {
		o := strings.ToLower(u.Scheme) + "://" + host
		if port != "" {
			o += ":" + port
		}
		out = append(out, o)
	}
	return out
}

// isLoopback reports whether a URL's host name is a loopback spelling.
func isLoopback(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// checkOrigin accepts handshakes from the configured base URL's origin
// only (and, for a loopback base URL, its other loopback spellings).
// Comparing with the Host header instead would let a page on a
// DNS-rebound name connect. Clients that send no Origin are not browsers
// and are not subject to cross-site attacks.
func (h *Hub) checkOrigin(r *http.Request) bool {
	o := r.Header.Get("Origin")
	if o == "" {
		return true
	}
	ok := h.origin != "" && strings.EqualFold(o, h.origin)
	for _, alt := range h.origins {
		ok = ok || strings.EqualFold(o, alt)
	}
	if !ok {
		h.log.Warn("websocket origin refused", "origin", o, "want", h.origin)
	}
	return ok
}

// EndSession closes the connections opened with a session (see
// WithSession), when it ends: a logout, a password change that ends the
// user's other sessions, a deleted account.
func (h *Hub) EndSession(key string) {
	if key == "" {
		return
	}
	select {
	case h.endSession <- key:
	case <-h.done:
	}
}

// Clients counts the connected websocket clients.
func (h *Hub) Clients() int { return int(h.count.Load()) }

// Publish queues an event for the clients. It never blocks: when the queue
// is full the event is dropped and every client is told to resynchronise.
func (h *Hub) Publish(ev engine.Event) {
	if h.count.Load() == 0 && ev.Kind != engine.PresenceKind {
		// Nobody follows: a page that connects later fetches what it shows
		// after its socket opens, so it misses nothing dropped here.
		return
	}
	select {
	case h.events <- ev:
	default:
		h.Resync()
	}
}

// Resync tells every client to fetch again what its page shows ({"kind":
// "resync"}: live.js refetches its regions): events may have been lost,
// here or by the engine's listener of the other replicas. It never blocks.
func (h *Hub) Resync() {
	h.overflow.Store(true)
	select {
	case h.kick <- struct{}{}:
	default:
	}
}

// message is what a client receives: an event, or {"kind": "resync"}.
type message struct {
	Kind        string `json:"kind"`
	ID          string `json:"id,omitempty"`
	State       string `json:"state,omitempty"`
	ExecutionID string `json:"execution_id,omitempty"`
	Via         string `json:"via,omitempty"`
	Note        string `json:"note,omitempty"`
	At          string `json:"at,omitempty"`
	// Approval marks an approval's event: the page script then counts
	// again what waits for its person.
	Approval bool `json:"approval,omitempty"`
}

// Topics returns the topics an event concerns: "inbox" (asynchronous
// actions' state changes), "approvals" (approvals' state changes and
// votes: what waits for whom, which every page's header counts) and
// "action:<id>" for action executions, "execution:<id>" for everything in
// an execution, "executions" for executions' own state changes.
func Topics(ev engine.Event) []string {
	var t []string
	switch ev.Kind {
	case "action_execution":
		// Only asynchronous actions wait in the inbox; a request being
		// recorded changes the action's page, not the inbox.
		if ev.Async && !ev.Detail {
			t = append(t, "inbox")
			if ev.Approval {
				t = append(t, "approvals")
			}
		}
		t = append(t, "action:"+ev.ID)
	case "execution":
		t = append(t, "executions")
	case engine.KindNotification:
		if ev.Approval {
			// An approval's notification: its ID is the action's.
			t = append(t, "action:"+ev.ID)
		}
	}
	if ev.ExecutionID != "" {
		t = append(t, "execution:"+ev.ExecutionID)
	}
	return t
}

// Run delivers events until ctx ends, then disconnects every client.
func (h *Hub) Run(ctx context.Context) {
	clients := map[*client]struct{}{}
	perSession := map[string]int{} // open connections by session
	drop := func(c *client) {
		if _, ok := clients[c]; ok {
			delete(clients, c)
			close(c.send)
			h.count.Store(int64(len(clients)))
			if c.session != "" {
				if perSession[c.session]--; perSession[c.session] <= 0 {
					delete(perSession, c.session)
				}
			}
		}
	}
	send := func(c *client, msg []byte) {
		select {
		case c.send <- msg:
		default:
			h.log.Info("websocket client too slow; dropped", "remote", c.remote)
			drop(c)
		}
	}
	resync, _ := json.Marshal(message{Kind: "resync"})
	// present sends the presence changes of actions ids to their
	// watchers, and queues their announcement to the other replicas.
	present := func(ids []string) {
		if len(ids) == 0 {
			return
		}
		msgs, evs := h.presence.changes(ids)
		for id, msg := range msgs {
			for c := range h.presence.watchers[id] {
				send(c, msg)
			}
		}
		h.queueAnnounce(evs)
	}
	drop0 := drop
	drop = func(c *client) {
		if _, ok := clients[c]; ok {
			drop0(c)
			present(h.presence.leave(c))
		}
	}
	announced := make(chan struct{})
	go func() { h.announcer(ctx); close(announced) }()
	defer func() { <-announced }()
	tick := h.tick
	if tick == nil {
		every := h.presence.lapse / 4
		t := time.NewTicker(every)
		defer t.Stop()
		tick = t.C
	}
	defer close(h.done)
	check := h.sessionCheck
	if check <= 0 {
		check = 30 * time.Second
	}
	expiry := time.NewTicker(check)
	defer expiry.Stop()
	for {
		if h.overflow.Swap(false) {
			h.log.Warn("events may have been lost (a full queue, or a dropped link to the other replicas); clients resynchronise")
			for c := range clients {
				send(c, resync)
			}
		}
		select {
		case <-ctx.Done():
			for c := range clients {
				drop(c)
			}
			return
		case c := <-h.register:
			if c.session != "" && perSession[c.session] >= h.maxPerSession {
				c.admit(false)
				continue
			}
			clients[c] = struct{}{}
			h.count.Store(int64(len(clients)))
			if c.session != "" {
				perSession[c.session]++
			}
			// Presence first: once its handshake completes, the client
			// is among the viewers every page draws.
			present(h.presence.join(c, h.now()))
			c.admit(true)
		case c := <-h.beats:
			if _, ok := clients[c]; ok {
				present(h.presence.heartbeat(c, h.now()))
			}
		case <-tick:
			present(h.presence.sweep(h.now()))
			h.queueAnnounce(h.presence.everyone())
		case c := <-h.unregister:
			drop(c)
		case <-h.kick: // the top of the loop sends the resync
		case key := <-h.endSession:
			for c := range clients {
				if c.session == key {
					drop(c)
				}
			}
		case now := <-expiry.C:
			for c := range clients {
				if !c.expires.IsZero() && !now.Before(c.expires) {
					drop(c)
				}
			}
		case ev := <-h.events:
			if ev.Kind == engine.PresenceKind {
				present(h.presence.fromReplica(ev, h.now()))
				continue
			}
			if len(clients) == 0 {
				continue
			}
			msg, err := json.Marshal(message{Kind: ev.Kind, ID: ev.ID, State: string(ev.State), ExecutionID: ev.ExecutionID,
				Via: ev.Via, Note: ev.Note, At: ev.At.UTC().Format(time.RFC3339Nano), Approval: ev.Approval})
			if err != nil {
				continue
			}
			topics := Topics(ev)
			for c := range clients {
				if c.wants(topics) {
					send(c, msg)
				}
			}
		}
	}
}

// queueAnnounce hands presence events to the announcer; when it lags,
// they are dropped: the next sweep announces every viewer again.
func (h *Hub) queueAnnounce(evs []engine.Event) {
	if h.announce == nil || len(evs) == 0 {
		return
	}
	select {
	case h.outbox <- evs:
	default:
	}
}

// announcer tells the other replicas of this one's viewers until ctx
// ends.
func (h *Hub) announcer(ctx context.Context) {
	for {
		select {
		case <-ctx.Done():
			return
		case evs := <-h.outbox:
			if err := h.announce(ctx, evs); err != nil && ctx.Err() == nil {
				h.log.Warn("presence not announced to the other replicas", "err", err)
			}
		}
	}
}
