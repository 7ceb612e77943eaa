package engine

import (
	"context"
	"math/rand/v2"
	"net/url"
	"sync/atomic"
	"time"

	"github.com/sirocco-project/sirocco/internal/fault"
)

// runDeliveryJob sends a notification. The request goes out between two
// transactions, never inside one: the first reads the delivery, the second
// records the outcome with the job's deletion, and a failure that may be
// retried adds the next attempt's job, due after the backoff. A crash
// after the send and before the outcome commits sends it again (at least
// once).
func (e *Engine) runDeliveryJob(ctx context.Context, j *Job) error {
	select {
	case e.sending <- struct{}{}:
		defer func() { <-e.sending }()
	default:
		// Slow receivers hold every sending slot: this one waits its turn
		// as a job due shortly, and the worker slot goes back to actions.
		return e.update(ctx, func(w *work) error {
			if err := w.tx.DeleteJob(ctx, j.ID, e.owner); err != nil {
				return err
			}
			// Spread out, so that many waiting ones do not all come back at once.
			return w.addJob(JobDeliver, j.Ref, e.now().Add(deferDelivery+rand.N(deferDelivery)))
		})
	}
	d, err := e.store.GetDelivery(ctx, j.Ref)
	if fault.Code(err) == fault.ENOTFOUND || err == nil && d.State != DeliveryPending || e.notify.Sender == nil && !isMail(d) {
		// Gone with its execution, or already settled.
		return e.update(ctx, func(w *work) error { return w.tx.DeleteJob(ctx, j.ID, e.owner) })
	}
	if err != nil {
		return err
	}
	headers := map[string]string{}
	for k, v := range decodeObject(d.HeadersJSON) {
		if s, ok := v.(string); ok {
			headers[k] = s
		}
	}
	var sendErr error
	if isMail(d) { // an approver's mail (approval_mail.go)
		sendErr = e.sendApprovalMail(ctx, d)
	} else {
		sendErr = e.notify.Sender.Send(ctx, d.URL, headers, d.EventID, string(d.Event), []byte(d.Body))
	}
	if ctx.Err() != nil {
		return ctx.Err() // shutting down: the job runs again after restart
	}
	var outcome string
	err = e.update(ctx, func(w *work) error {
		if err := w.tx.DeleteJob(ctx, j.ID, e.owner); err != nil {
			return err
		}
		d, err := w.tx.GetDelivery(ctx, j.Ref)
		if err != nil {
			return err
		}
		now := e.now()
		d.Attempts++
		d.UpdatedAt = now
		switch {
		case d.ActionID != "":
			// The action's page shows its notifications (an approval's).
			w.publish(Event{Kind: KindNotification, ID: d.ActionID, ExecutionID: d.ExecutionID, Detail: true, Approval: true})
		case d.ExecutionID != "":
			// The execution's page shows its notifications.
			w.publish(Event{Kind: KindNotification, ID: d.ID, ExecutionID: d.ExecutionID, Detail: true})
		}
		if sendErr == nil {
			d.State, d.LastError, d.NextAttemptAt, outcome = DeliveryDelivered, nil, nil, DeliveryDelivered
			return w.tx.UpdateDelivery(ctx, d)
		}
		msg := sendErr.Error()
		if len(msg) > 500 {
			msg = msg[:500]
		}
		d.LastError = &msg
		if d.Attempts >= e.notify.MaxAttempts {
			d.State, d.NextAttemptAt, outcome = DeliveryFailed, nil, DeliveryFailed
			return w.tx.UpdateDelivery(ctx, d)
		}
		next := now.Add(e.notifyBackoff(d.Attempts))
		d.NextAttemptAt, outcome = &next, DeliveryPending
		if err := w.tx.UpdateDelivery(ctx, d); err != nil {
			return err
		}
		return w.addJob(JobDeliver, d.ID, next)
	})
	if err != nil {
		return err
	}
	approval := isApprovalEvent(d.Event)
	count := func(all, ofApprovals *atomic.Uint64) {
		all.Add(1)
		if approval {
			ofApprovals.Add(1)
		}
	}
	c := &e.notifyCount
	// The action is named for an approval's events: its page lists them.
	attrs := []any{"event", d.Event, "event_id", d.EventID, "execution", d.ExecutionID}
	if d.ActionID != "" {
		attrs = append(attrs, "action", d.ActionID)
	}
	attrs = append(attrs, "receiver", origin(d.URL))
	// Logged before counted: whoever sees the count (a test, /metrics)
	// finds the line already written.
	switch outcome {
	case DeliveryDelivered:
		count(&c.delivered, &c.approvalDelivered)
	case DeliveryFailed:
		e.log.Error("notification failed; no more attempts", append(attrs, "attempts", d.Attempts+1, "err", sendErr)...)
		count(&c.failed, &c.approvalFailed)
	case DeliveryPending:
		e.log.Warn("notification failed; it will be retried", append(attrs, "attempt", d.Attempts+1, "err", sendErr)...)
		count(&c.retried, &c.approvalRetried)
	}
	return nil
}

// deferDelivery is how long a delivery waits, at least, when every
// sending slot is busy (at most twice that).
const deferDelivery = 2 * time.Second

// sendingSlots is how many notifications are sent at once: a quarter of
// the worker's slots, so that receivers that hang until their timeout
// never take the slots actions run in.
func sendingSlots(workers int) int { return max(1, workers/4) }

// origin is the scheme and host of a receiver's URL, for the log: some
// receivers (chat webhooks) take their secret in the path.
func origin(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return "?"
	}
	return u.Scheme + "://" + u.Host
}

// notifyBackoff is the wait after the attempts-th failed attempt: Backoff,
// doubling each time, at most MaxBackoff.
func (e *Engine) notifyBackoff(attempts int) time.Duration {
	d := e.notify.Backoff
	for i := 1; i < attempts && d < e.notify.MaxBackoff; i++ {
		d *= 2
	}
	return min(d, e.notify.MaxBackoff)
}
