package web

import (
	"context"
	"strings"

	"github.com/sirocco-project/sirocco/internal/engine"
	"github.com/sirocco-project/sirocco/web/templates"
)

// notifications lists the webhook notifications about an execution for
// its page.
func (s *Server) notifications(ctx context.Context, exID string) ([]templates.NotificationRow, error) {
	list, err := s.engine.Deliveries(ctx, exID)
	if err != nil {
		return nil, err
	}
	return notificationRows(list), nil
}

// actionNotifications lists the webhook notifications about an action
// (an approval's events) for its page, where an approver's receiver that
// failed to tell them shows.
func (s *Server) actionNotifications(ctx context.Context, actionID string) ([]templates.NotificationRow, error) {
	list, err := s.engine.ActionDeliveries(ctx, actionID)
	if err != nil {
		return nil, err
	}
	return notificationRows(list), nil
}

func notificationRows(list []*engine.Delivery) []templates.NotificationRow {
	rows := make([]templates.NotificationRow, 0, len(list))
	for _, d := range list {
		r := templates.NotificationRow{Event: string(d.Event), URL: shownReceiver(d.URL), State: d.State, Attempts: d.Attempts, At: d.CreatedAt}
		switch d.State {
		case engine.DeliveryDelivered:
			r.Badge = string(engine.StateSuccess)
		case engine.DeliveryFailed:
			r.Badge = string(engine.StateError)
		default:
			r.Badge = string(engine.StateRunning)
			if d.Attempts > 0 {
				r.NextAt = d.NextAttemptAt
			}
		}
		if d.LastError != nil {
			r.LastError = clip(*d.LastError, maxStateInfo)
		}
		rows = append(rows, r)
	}
	return rows
}

// shownReceiver is a receiver as the Notifications cards show it to anyone
// who may read the execution: a person's mail address is theirs to give,
// so only its first letter and its domain are shown ("mailto:a…@example.com"),
// enough to tell whose mail failed among an approval's approvers.
func shownReceiver(url string) string {
	addr, ok := strings.CutPrefix(url, "mailto:")
	if !ok {
		return url
	}
	local, domain, ok := strings.Cut(addr, "@")
	if !ok || local == "" {
		return "mailto:…"
	}
	first := []rune(local)[0]
	return "mailto:" + string(first) + "…@" + domain
}
