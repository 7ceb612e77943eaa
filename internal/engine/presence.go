package engine

import "context"

// Presence: the dashboard's hub tells the viewers of an action's page who
// else has it open. Each replica knows its own sockets; the others learn
// of them through the store's notices (Notifier), as events of kind
// PresenceKind that are never stored: ID the action, Via the person,
// State PresenceViewing or PresenceGone.

// PresenceKind is the kind of a presence event.
const PresenceKind = "presence"

// The states of a presence event.
const (
	PresenceViewing State = "viewing"
	PresenceGone    State = "gone"
)

// AnnouncePresence tells the other replicas sharing the store about the
// presence events evs (in a transaction of their own that writes nothing
// else). A store that no other replica shares (no Notifier) has nobody to
// tell: nothing is written.
func (e *Engine) AnnouncePresence(ctx context.Context, evs []Event) error {
	if _, shared := e.store.(Notifier); !shared || len(evs) == 0 {
		return nil
	}
	return e.store.Update(ctx, func(tx Tx) error {
		a, ok := tx.(Announcer)
		if !ok {
			return nil
		}
		return a.Announce(ctx, Notice{Replica: e.self.ID, Events: evs})
	})
}
