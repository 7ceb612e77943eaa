package engine

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync/atomic"
	"time"

	"github.com/sirocco-project/sirocco/internal/fault"
	"github.com/sirocco-project/sirocco/internal/jsonvalue"
)

// The notifier tells receivers outside Sirocco what happened: Mistral's
// webhook notifier (params.notify on an execution, inherited by its
// sub-workflows) and the server-wide receivers (-notify-url). It is the
// only one: other kinds of events (approvals) add their EventType and body
// and go through deliver.
//
// To add an event (approval.requested …): an EventType constant, appended
// to EventTypes if params.notify may ask for it; a body function; and a
// call of w.deliver in the transaction that makes the change, after a
// cheap check like notifying's so that servers without receivers pay
// nothing.
//
// A notification is a Delivery row per receiver, written in the
// transaction that made the change it tells of, with a JobDeliver job; the
// job sends it after commit (runDeliveryJob) and retries with backoff.
// Nothing is sent inside an engine transaction, and a crash between the
// commit and the send loses nothing: the job runs after restart (at least
// once; receivers deduplicate on the event id).

// EventType names an event receivers can subscribe to. (Engine events for
// the dashboard are Event; replica notices are Notice.)
type EventType string

// Mistral's workflow and task events.
const (
	WorkflowLaunched  EventType = "WORKFLOW_LAUNCHED"
	WorkflowSucceeded EventType = "WORKFLOW_SUCCEEDED"
	WorkflowFailed    EventType = "WORKFLOW_FAILED"
	WorkflowCancelled EventType = "WORKFLOW_CANCELLED"
	WorkflowPaused    EventType = "WORKFLOW_PAUSED"
	WorkflowResumed   EventType = "WORKFLOW_RESUMED"
	WorkflowRerun     EventType = "WORKFLOW_RERUN"
	TaskLaunched      EventType = "TASK_LAUNCHED"
	TaskSucceeded     EventType = "TASK_SUCCEEDED"
	TaskFailed        EventType = "TASK_FAILED"
	TaskCancelled     EventType = "TASK_CANCELLED"
	TaskPaused        EventType = "TASK_PAUSED"
	TaskResumed       EventType = "TASK_RESUMED"
	TaskRerun         EventType = "TASK_RERUN"
)

// EventTypes are the events a receiver may ask for, in Mistral's order.
var EventTypes = []EventType{
	WorkflowLaunched, WorkflowSucceeded, WorkflowFailed, WorkflowCancelled, WorkflowPaused, WorkflowResumed, WorkflowRerun,
	TaskLaunched, TaskSucceeded, TaskFailed, TaskCancelled, TaskPaused, TaskResumed, TaskRerun,
}

// workflowEvent and taskEvent map a state change to its event (Mistral's
// table; "" for none): to RUNNING is a launch, except from PAUSED (and,
// for tasks, IDLE and WAITING: a resume) and from ERROR (a rerun).
func workflowEvent(from, to State) EventType {
	switch to {
	case StateRunning:
		switch from {
		case StatePaused:
			return WorkflowResumed
		case StateError:
			return WorkflowRerun
		}
		return WorkflowLaunched
	case StateSuccess:
		return WorkflowSucceeded
	case StateError:
		return WorkflowFailed
	case StateCancelled:
		return WorkflowCancelled
	case StatePaused:
		return WorkflowPaused
	}
	return ""
}

func taskEvent(from, to State) EventType {
	switch to {
	case StateRunning:
		switch from {
		case StateIdle, StatePaused, StateWaiting:
			return TaskResumed
		case StateError:
			return TaskRerun
		}
		return TaskLaunched
	case StateSuccess:
		return TaskSucceeded
	case StateError:
		return TaskFailed
	case StateCancelled:
		return TaskCancelled
	case StatePaused:
		return TaskPaused
	}
	return ""
}

// Webhook is a receiver of notifications: an entry of params.notify or a
// server-wide receiver.
type Webhook struct {
	URL     string
	Headers map[string]string
	// Events are the events it gets; none means all.
	Events []EventType
}

func (h *Webhook) wants(ev EventType) bool {
	return len(h.Events) == 0 || slices.Contains(h.Events, ev)
}

// isApprovalEvent reports whether ev is one of Sirocco's approval events,
// which a receiver of params.notify gets only when its events name it.
func isApprovalEvent(ev EventType) bool { return slices.Contains(ApprovalEventTypes, ev) }

// WebhookSender sends notifications (internal/webhook.Sender).
type WebhookSender interface {
	// Check reports whether a workflow may send notifications to url.
	Check(url string) error
	// Send posts body to url with headers and the event's id and name;
	// nil when the receiver accepted it.
	Send(ctx context.Context, url string, headers map[string]string, eventID, event string, body []byte) error
}

// NotifyConfig configures the notifier.
type NotifyConfig struct {
	// Sender sends the notifications; without one, params.notify is
	// refused and Receivers are ignored.
	Sender WebhookSender
	// Receivers get every event of every execution (-notify-url), and
	// every approval event.
	Receivers []Webhook
	// Links puts the people's decision links in approval events
	// (-notify-links): off by default, since a chat channel a webhook
	// posts to is read by more people than the one a link is for.
	Links bool
	// MaxAttempts bounds the sends of one notification
	// (DefaultNotifyAttempts); then it is FAILED.
	MaxAttempts int
	// Backoff is the wait before the first retry (DefaultNotifyBackoff);
	// each retry waits twice the one before, up to MaxBackoff
	// (DefaultNotifyMaxBackoff).
	Backoff, MaxBackoff time.Duration
}

// Defaults of NotifyConfig: eight sends over about four minutes.
const (
	DefaultNotifyAttempts   = 8
	DefaultNotifyBackoff    = 2 * time.Second
	DefaultNotifyMaxBackoff = 5 * time.Minute
)

// Delivery states.
const (
	DeliveryPending   = "PENDING"   // not yet accepted; a JobDeliver job sends it
	DeliveryDelivered = "DELIVERED" // the receiver accepted it
	DeliveryFailed    = "FAILED"    // every attempt failed; it is not sent again
)

// Delivery is one notification to one receiver.
type Delivery struct {
	ID string
	// EventID is the same for every receiver of one event and every
	// attempt: receivers deduplicate on it (Sirocco-Event-Id).
	EventID string
	Event   EventType
	// ExecutionID is the workflow execution the event concerns, and
	// RootExecutionID the root of its tree ("" for none).
	ExecutionID     string
	RootExecutionID string
	// ActionID is the action execution the event concerns (an approval's
	// events); "" for none. Its page shows the deliveries.
	ActionID    string
	URL         string
	HeadersJSON string
	Body        string
	State       string
	Attempts    int
	LastError   *string
	// NextAttemptAt is when a pending delivery is sent next.
	NextAttemptAt *time.Time
	CreatedAt     time.Time
	UpdatedAt     time.Time
	// Version counts the updates of the stored row (see Workflow.Version).
	Version int64
}

// KindNotification is the Event.Kind of a delivery's outcome (a Detail
// event: the execution's page changes, its timeline does not). For an
// approval's event (Approval set) its ID is the action's, whose page
// lists it; else the delivery's.
const KindNotification = "notification"

// JobDeliver sends a Delivery; Ref is the delivery's id.
const JobDeliver = "deliver_notification"

// NotifyStats are the notifier's counts since the server started.
type NotifyStats struct {
	Delivered uint64 // notifications a receiver accepted
	Retried   uint64 // attempts that failed and will be retried
	Failed    uint64 // notifications given up after their last attempt
	// The same outcomes of the approval events alone (counted above too):
	// an approver who is never told is the failure that matters most.
	ApprovalDelivered, ApprovalRetried, ApprovalFailed uint64
}

type notifyCounters struct {
	delivered, retried, failed                         atomic.Uint64
	approvalDelivered, approvalRetried, approvalFailed atomic.Uint64
}

// NotifyStats returns the notifier's counts.
func (e *Engine) NotifyStats() NotifyStats {
	c := &e.notifyCount
	return NotifyStats{Delivered: c.delivered.Load(), Retried: c.retried.Load(), Failed: c.failed.Load(),
		ApprovalDelivered: c.approvalDelivered.Load(), ApprovalRetried: c.approvalRetried.Load(), ApprovalFailed: c.approvalFailed.Load()}
}

// notifyParam is the key of the receivers in an execution's params.
const notifyParam = "notify"

// notifying reports whether a change of ex may have receivers: without a
// server-wide receiver and params.notify, the notifier costs one scan of
// the params' text and no statement.
func (e *Engine) notifying(ex *Execution) bool {
	if e.notify.Sender == nil {
		return false
	}
	return len(e.notify.Receivers) > 0 || strings.Contains(ex.ParamsJSON, `"notify"`)
}

// receivers returns the receivers of ex's events: its params.notify, then
// the server-wide ones.
func (w *work) receivers(ex *Execution) []Webhook {
	if hooks, ok := w.hooks[ex.ID]; ok {
		return hooks
	}
	var hooks []Webhook
	if strings.Contains(ex.ParamsJSON, `"notify"`) {
		// Checked when the execution started: what fails to parse now is skipped.
		hooks, _ = parseNotify(decodeObject(ex.ParamsJSON)[notifyParam], nil)
	}
	hooks = append(hooks, w.e.notify.Receivers...)
	if w.hooks == nil {
		w.hooks = map[string][]Webhook{}
	}
	w.hooks[ex.ID] = hooks
	return hooks
}

// notifyExecution records the notifications of ex's move from from (""
// when it was created) to its current state.
func (w *work) notifyExecution(ex *Execution, from State) error {
	if !w.e.notifying(ex) || from == ex.State {
		return nil
	}
	ev := workflowEvent(from, ex.State)
	if ev == "" {
		return nil
	}
	return w.deliver(ex, ev, func() []byte { return workflowBody(ex, ev) })
}

// notifyTask records the notifications of t's move from from ("" when it
// was created) to its current state; ex is its workflow execution.
func (w *work) notifyTask(ex *Execution, t *Task, from State) error {
	if !w.e.notifying(ex) || from == t.State {
		return nil
	}
	ev := taskEvent(from, t.State)
	if ev == "" {
		return nil
	}
	return w.deliver(ex, ev, func() []byte { return taskBody(t, ev) })
}

// deliver writes a Delivery and its job for each receiver of ex that
// wants ev, in the transaction of the change it tells of; body is built
// once, if any does. An event about no execution goes to the server-wide
// receivers only (ex nil).
func (w *work) deliver(ex *Execution, ev EventType, body func() []byte) error {
	hooks := w.e.notify.Receivers
	if ex != nil {
		hooks = w.receivers(ex)
	}
	return w.deliverTo(hooks, ex, "", ev, func(string) []byte { return body() })
}

// deliverTo is deliver to the receivers of hooks that want ev, about
// action actionID ("" for none); body gets the event's id.
func (w *work) deliverTo(hooks []Webhook, ex *Execution, actionID string, ev EventType, body func(eventID string) []byte) error {
	var exID, root string
	if ex != nil {
		exID, root = ex.ID, rootOf(ex)
	}
	var b []byte
	var eventID string
	now := w.e.now()
	for i := range hooks {
		h := &hooks[i]
		if !h.wants(ev) {
			continue
		}
		if b == nil {
			eventID = newID()
			b = body(eventID)
		}
		d := &Delivery{ID: newID(), EventID: eventID, Event: ev, ExecutionID: exID, RootExecutionID: root, ActionID: actionID,
			URL: h.URL, HeadersJSON: encodeHeaders(h.Headers), Body: string(b), State: DeliveryPending,
			NextAttemptAt: &now, CreatedAt: now, UpdatedAt: now}
		if err := w.tx.AddDelivery(w.ctx, d); err != nil {
			return fmt.Errorf("record the %s notification: %w", ev, err)
		}
		if err := w.addJob(JobDeliver, d.ID, now); err != nil {
			return err
		}
	}
	return nil
}

func encodeHeaders(h map[string]string) string {
	m := make(map[string]any, len(h))
	for k, v := range h {
		m[k] = v
	}
	return encodeOrNull(m)
}

// The bodies are Mistral's, key for key in its order, encoded as its
// json.dumps does.

func workflowBody(ex *Execution, ev EventType) []byte {
	return object(
		"id", ex.ID, "name", ex.WorkflowName, "workflow_name", ex.WorkflowName,
		"workflow_namespace", ex.WorkflowNamespace, "workflow_id", ex.WorkflowID,
		"state", string(ex.State), "state_info", ex.StateInfo, "project_id", ex.ProjectID,
		"task_execution_id", ex.TaskExecutionID, "root_execution_id", ex.RootExecutionID,
		"created_at", ex.CreatedAt.UTC().Format(timeLayout), "updated_at", ex.UpdatedAt.UTC().Format(timeLayout),
		"event", string(ev))
}

func taskBody(t *Task, ev EventType) []byte {
	return object(
		"id", t.ID, "name", t.Name, "workflow_execution_id", t.WorkflowExecutionID,
		"workflow_name", t.WorkflowName, "workflow_namespace", t.WorkflowNamespace, "workflow_id", t.WorkflowID,
		"state", string(t.State), "state_info", t.StateInfo, "type", t.Type, "project_id", t.ProjectID,
		"created_at", t.CreatedAt.UTC().Format(timeLayout), "updated_at", t.UpdatedAt.UTC().Format(timeLayout),
		"started_at", timeOrNil(t.StartedAt), "finished_at", timeOrNil(t.FinishedAt),
		"event", string(ev))
}

func timeOrNil(t *time.Time) *string {
	if t == nil {
		return nil
	}
	return strPtr(t.UTC().Format(timeLayout))
}

// object encodes key, value pairs (strings or *string) as a JSON object
// in the order given.
func object(kv ...any) []byte {
	b := make([]byte, 0, 512)
	b = append(b, '{')
	for i := 0; i < len(kv); i += 2 {
		if i > 0 {
			b = append(b, ", "...)
		}
		b, _ = jsonvalue.Append(b, kv[i])
		b = append(b, ": "...)
		var v any = kv[i+1]
		if p, ok := v.(*string); ok {
			v = nil
			if p != nil {
				v = *p
			}
		}
		b, _ = jsonvalue.Append(b, v)
	}
	return append(b, '}')
}

// parseNotify reads params.notify: a list of {"type": "webhook", "url",
// "headers", "events"} objects (Mistral's own key for the events is
// "event_types"; both are read). check, when not nil, vets each URL. The
// errors name the field.
func parseNotify(v any, check func(string) error) ([]Webhook, error) {
	// Decoded params hold ordered objects; only keys are looked up here.
	list, ok := jsonvalue.Unordered(v).([]any)
	if !ok {
		if v == nil {
			return nil, nil
		}
		return nil, fault.Errorf(fault.EINVALID, "params.notify must be a list of notifiers, such as [{\"type\": \"webhook\", \"url\": \"https://…\"}]")
	}
	hooks := make([]Webhook, 0, len(list))
	for i, item := range list {
		field := fmt.Sprintf("params.notify[%d]", i)
		m, ok := item.(map[string]any)
		if !ok {
			return nil, fault.Errorf(fault.EINVALID, "%s must be an object with type and url", field)
		}
		for k := range m {
			switch k {
			case "type", "url", "headers", "events", "event_types":
			default:
				return nil, fault.Errorf(fault.EINVALID, "%s.%s is not a notifier field (type, url, headers, events or event_types)", field, k)
			}
		}
		if typ, _ := m["type"].(string); typ != "webhook" {
			return nil, fault.Errorf(fault.EINVALID, "%s.type: unknown notifier type %s; the only one is \"webhook\"", field, encodeOrNull(m["type"]))
		}
		var h Webhook
		h.URL, _ = m["url"].(string)
		if h.URL == "" {
			return nil, fault.Errorf(fault.EINVALID, "%s.url is required: the URL the webhook posts to", field)
		}
		if err := fault.CheckText(field+".url", h.URL); err != nil {
			return nil, err
		}
		if check != nil {
			if err := check(h.URL); err != nil {
				return nil, fault.Errorf(fault.EINVALID, "%s.url %q: %v", field, h.URL, err)
			}
		}
		if raw, ok := m["headers"]; ok && raw != nil {
			hm, ok := raw.(map[string]any)
			if !ok {
				return nil, fault.Errorf(fault.EINVALID, "%s.headers must be an object of header names to strings", field)
			}
			h.Headers = make(map[string]string, len(hm))
			for k, v := range hm {
				s, ok := v.(string)
				if !ok || !validHeader(k, s) {
					return nil, fault.Errorf(fault.EINVALID, "%s.headers.%s must be a header name with a string value on one line", field, k)
				}
				h.Headers[k] = s
			}
		}
		for _, key := range []string{"events", "event_types"} {
			raw, ok := m[key]
			if !ok || raw == nil {
				continue
			}
			evs, ok := raw.([]any)
			if !ok {
				return nil, fault.Errorf(fault.EINVALID, "%s.%s must be a list of event names", field, key)
			}
			for _, e := range evs {
				s, _ := e.(string)
				if !slices.Contains(EventTypes, EventType(s)) && !isApprovalEvent(EventType(s)) {
					return nil, fault.Errorf(fault.EINVALID, "%s.%s: unknown event %s; the events are %s", field, key, encodeOrNull(e), eventNames())
				}
				h.Events = append(h.Events, EventType(s))
			}
		}
		hooks = append(hooks, h)
	}
	return hooks, nil
}

func eventNames() string {
	s := make([]string, 0, len(EventTypes)+len(ApprovalEventTypes))
	for _, e := range slices.Concat(EventTypes, ApprovalEventTypes) {
		s = append(s, string(e))
	}
	return strings.Join(s, ", ")
}

// validHeader accepts an HTTP header name (a token) with a value without
// line breaks, and none of the headers the notifier sets itself.
func validHeader(name, value string) bool {
	if name == "" || strings.ContainsAny(value, "\r\n\x00") {
		return false
	}
	for _, r := range name {
		if r > 0x7e || r <= ' ' || strings.ContainsRune(`"(),/:;<=>?@[\]{}`, r) {
			return false
		}
	}
	switch strings.ToLower(name) {
	case "content-length", "host", "transfer-encoding", "sirocco-event-id", "sirocco-event", "sirocco-signature":
		return false
	}
	return true
}

// checkNotify vets params.notify when an execution starts.
func (e *Engine) checkNotify(params map[string]any) error {
	v, ok := params[notifyParam]
	if !ok || v == nil {
		return nil
	}
	if e.notify.Sender == nil {
		return fault.Errorf(fault.EINVALID, "params.notify: this server sends no notifications")
	}
	_, err := parseNotify(v, e.notify.Sender.Check)
	return err
}

// MaskHeaders is the text shown for a notifier's header values.
const MaskHeaders = "***"

// MaskParams returns an execution's params as shown to people (API,
// dashboard): the values of params.notify's headers, which may carry a
// receiver's credentials, replaced by MaskHeaders. Params without them
// are returned as they are, unparsed.
func MaskParams(paramsJSON string) string {
	if !strings.Contains(paramsJSON, `"headers"`) {
		return paramsJSON
	}
	// Decoded in order, so that what is shown keeps the params' order.
	v, err := jsonvalue.Decode([]byte(paramsJSON))
	params, ok := v.(*jsonvalue.Object)
	if err != nil || !ok {
		return paramsJSON
	}
	list, _ := params.Value(notifyParam).([]any)
	masked := false
	for _, item := range list {
		m, _ := item.(*jsonvalue.Object)
		h, _ := m.Value("headers").(*jsonvalue.Object)
		for _, k := range h.Keys() {
			h.Set(k, MaskHeaders)
			masked = true
		}
	}
	if !masked {
		return paramsJSON
	}
	return encodeOrNull(params)
}

// Deliveries lists the notifications about an execution, oldest first.
func (e *Engine) Deliveries(ctx context.Context, executionID string) ([]*Delivery, error) {
	return e.store.Deliveries(ctx, executionID)
}

// ActionDeliveries lists the notifications about an action execution (an
// approval's events), oldest first.
func (e *Engine) ActionDeliveries(ctx context.Context, actionID string) ([]*Delivery, error) {
	return e.store.ActionDeliveries(ctx, actionID)
}
