package hub

import (
	"context"
	"encoding/json"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/sirocco-project/sirocco/internal/engine"
)

// Presence: an action's page shows who else has it open. A connection
// opened by a person (WithViewer) that follows "action:<id>" makes them a
// viewer of that action while its page's script keeps sending heartbeats
// (any message; live.js sends one every HeartbeatEvery). They are gone
// when the socket closes, or when no heartbeat came for PresenceLapse on
// the hub's clock (a frozen or sleeping tab); a heartbeat brings them
// back. Each change is sent to the viewers of that action only, as
// {"kind": "presence", "id": <action>, "viewers": [names]}, and, when
// Config.Announce is set, to the other replicas, whose viewers it reaches
// through their hubs (Publish of engine.PresenceKind events).

// Presence defaults.
const (
	// DefaultPresenceLapse is how long a viewer stays without a
	// heartbeat (and a replica's viewer without its re-announcement).
	DefaultPresenceLapse = 60 * time.Second
	// HeartbeatEvery is how often live.js sends a heartbeat.
	HeartbeatEvery = 20 * time.Second
)

// maxViewers bounds the names a presence message lists.
const maxViewers = 50

// viewerKey is the context key of WithViewer.
type viewerKey struct{}

// WithViewer marks a websocket request as opened by the person user: the
// actions whose topics it follows show them as viewing.
func WithViewer(ctx context.Context, user string) context.Context {
	return context.WithValue(ctx, viewerKey{}, user)
}

// presence is the hub goroutine's record of who views what. Only Run's
// goroutine touches it, but the snapshot, which Viewers reads.
type presence struct {
	lapse time.Duration
	// watchers are the clients following each action, viewers or not:
	// presence messages go to them.
	watchers map[string]map[*client]struct{}
	// local are the clients of persons viewing each action, lapsed
	// ones included (lapsed is on the client).
	local map[string]map[*client]struct{}
	// remote are the other replicas' viewers of each action, with when
	// their announcement lapses.
	remote map[string]map[string]time.Time
	// sent is the list last sent for each action.
	sent map[string][]string
	// announced are the local viewers last announced per action.
	announced map[string][]string

	mu       sync.Mutex
	snapshot map[string][]string
}

func newPresence(lapse time.Duration) *presence {
	if lapse <= 0 {
		lapse = DefaultPresenceLapse
	}
	return &presence{lapse: lapse, watchers: map[string]map[*client]struct{}{}, local: map[string]map[*client]struct{}{},
		remote: map[string]map[string]time.Time{}, sent: map[string][]string{}, announced: map[string][]string{},
		snapshot: map[string][]string{}}
}

// actionsOf are the actions a client follows.
func actionsOf(c *client) []string {
	var out []string
	for t := range c.topics {
		if id, ok := strings.CutPrefix(t, "action:"); ok && id != "" {
			out = append(out, id)
		}
	}
	return out
}

// join records a client that was admitted; it returns the actions whose
// viewers changed.
func (p *presence) join(c *client, now time.Time) []string {
	ids := actionsOf(c)
	for _, id := range ids {
		addTo(p.watchers, id, c)
		if c.user != "" {
			addTo(p.local, id, c)
		}
	}
	c.beat = now
	return ids
}

// leave forgets a client that was dropped.
func (p *presence) leave(c *client) []string {
	ids := actionsOf(c)
	for _, id := range ids {
		removeFrom(p.watchers, id, c)
		removeFrom(p.local, id, c)
	}
	return ids
}

// heartbeat records a client's heartbeat; a lapsed viewer is back.
func (p *presence) heartbeat(c *client, now time.Time) []string {
	c.beat = now
	if !c.lapsed {
		return nil
	}
	c.lapsed = false
	return actionsOf(c)
}

// sweep marks the viewers whose heartbeat lapsed and drops the other
// replicas' viewers not announced again; it returns the actions changed.
func (p *presence) sweep(now time.Time) []string {
	var changed []string
	for id, set := range p.local {
		for c := range set {
			if !c.lapsed && now.Sub(c.beat) >= p.lapse {
				c.lapsed = true
				changed = append(changed, id)
			}
		}
	}
	for id, users := range p.remote {
		for u, until := range users {
			if !now.Before(until) {
				delete(users, u)
				changed = append(changed, id)
			}
		}
		if len(users) == 0 {
			delete(p.remote, id)
		}
	}
	return changed
}

// fromReplica applies another replica's presence event.
func (p *presence) fromReplica(ev engine.Event, now time.Time) []string {
	if ev.ID == "" || ev.Via == "" {
		return nil
	}
	users := p.remote[ev.ID]
	switch ev.State {
	case engine.PresenceViewing:
		if users == nil {
			users = map[string]time.Time{}
			p.remote[ev.ID] = users
		}
		_, known := users[ev.Via]
		users[ev.Via] = now.Add(p.lapse)
		if known {
			return nil
		}
	case engine.PresenceGone:
		if _, known := users[ev.Via]; !known {
			return nil
		}
		delete(users, ev.Via)
		if len(users) == 0 {
			delete(p.remote, ev.ID)
		}
	default:
		return nil
	}
	return []string{ev.ID}
}

// localViewers are the persons viewing action id on this replica.
func (p *presence) localViewers(id string) []string {
	var out []string
	for c := range p.local[id] {
		if !c.lapsed && !slices.Contains(out, c.user) {
			out = append(out, c.user)
		}
	}
	slices.Sort(out)
	return out
}

// viewers are the persons viewing action id here and on other replicas.
func (p *presence) viewers(id string) []string {
	out := p.localViewers(id)
	for u := range p.remote[id] {
		if !slices.Contains(out, u) {
			out = append(out, u)
		}
	}
	slices.Sort(out)
	if len(out) > maxViewers {
		out = out[:maxViewers]
	}
	return out
}

// presenceMessage is what the viewers of an action receive.
type presenceMessage struct {
	Kind    string   `json:"kind"`
	ID      string   `json:"id"`
	Viewers []string `json:"viewers"`
}

// changes works out, for the actions ids, the messages for their
// watchers (when their viewers changed) and the events for the other
// replicas (when their local viewers changed).
func (p *presence) changes(ids []string) (msgs map[string][]byte, announce []engine.Event) {
	slices.Sort(ids)
	ids = slices.Compact(ids)
	for _, id := range ids {
		v := p.viewers(id)
		if !slices.Equal(v, p.sent[id]) {
			if len(v) == 0 {
				delete(p.sent, id)
			} else {
				p.sent[id] = v
			}
			p.mu.Lock()
			if len(v) == 0 {
				delete(p.snapshot, id)
			} else {
				p.snapshot[id] = v
			}
			p.mu.Unlock()
			if len(p.watchers[id]) > 0 {
				b, err := json.Marshal(presenceMessage{Kind: engine.PresenceKind, ID: id, Viewers: append([]string{}, v...)})
				if err == nil {
					if msgs == nil {
						msgs = map[string][]byte{}
					}
					msgs[id] = b
				}
			}
		}
		lv := p.localViewers(id)
		before := p.announced[id]
		for _, u := range lv {
			if !slices.Contains(before, u) {
				announce = append(announce, engine.Event{Kind: engine.PresenceKind, ID: id, Via: u, State: engine.PresenceViewing})
			}
		}
		for _, u := range before {
			if !slices.Contains(lv, u) {
				announce = append(announce, engine.Event{Kind: engine.PresenceKind, ID: id, Via: u, State: engine.PresenceGone})
			}
		}
		if len(lv) == 0 {
			delete(p.announced, id)
		} else {
			p.announced[id] = lv
		}
	}
	return msgs, announce
}

// everyone is what this replica announces again at each sweep, so that
// the other replicas keep its viewers.
func (p *presence) everyone() []engine.Event {
	var out []engine.Event
	for id, users := range p.announced {
		for _, u := range users {
			out = append(out, engine.Event{Kind: engine.PresenceKind, ID: id, Via: u, State: engine.PresenceViewing})
		}
	}
	return out
}

// Viewers returns the persons who have action id's page open, here and
// on the other replicas, sorted by name (at most 50).
func (h *Hub) Viewers(id string) []string {
	h.presence.mu.Lock()
	defer h.presence.mu.Unlock()
	return slices.Clone(h.presence.snapshot[id])
}

func addTo(m map[string]map[*client]struct{}, id string, c *client) {
	set := m[id]
	if set == nil {
		set = map[*client]struct{}{}
		m[id] = set
	}
	set[c] = struct{}{}
}

func removeFrom(m map[string]map[*client]struct{}, id string, c *client) {
	if set := m[id]; set != nil {
		delete(set, c)
		if len(set) == 0 {
			delete(m, id)
		}
	}
}
