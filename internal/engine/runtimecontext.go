package engine

import (
	"strconv"

	"github.com/sirocco-project/sirocco/internal/jsonvalue"
)

// runtimeContext is what the engine remembers about a task between
// transactions: Mistral's runtime_context, stored in Task.RuntimeContextJSON
// and served as is by the API. It is stored as the JSON object it was
// before it had a type: each key absent until set, keys in sorted order, so
// rows written by earlier versions read the same and the API's answer does
// not change (testdata/runtime_context holds the goldens).
type runtimeContext struct {
	// TriggeredBy lists the transitions that started the task, one per
	// arrival at a join (triggered_by).
	TriggeredBy []trigger
	// JoinCount counts the arrivals at a join (join_count); JoinDone marks
	// it satisfied (join_done): later arrivals change nothing.
	JoinCount int64
	JoinDone  bool

	// The policies applied already, which a task that is resumed, retried
	// or delayed must not apply again (wait_before_done,
	// pause_before_done, wait_after_done).
	WaitBeforeDone  bool
	PauseBeforeDone bool
	WaitAfterDone   bool
	// Timeout is the armed timeout in seconds, 0 if none (timeout);
	// TimedOut marks a task that it ended (timed_out).
	Timeout  float64
	TimedOut bool
	// RetryNo counts the retries done (retry_task_policy.retry_no).
	RetryNo int64
	// PendingOutcome is how the task ended, held while wait-after delays
	// it (pending_outcome).
	PendingOutcome *heldOutcome
	// TimerFired is the kind of a timer that fired while the workflow was
	// paused: resume goes on from there (timer_fired).
	TimerFired string
	// TransitionsDone counts the transitions fired before a pause command;
	// resume fires the rest (transitions_done).
	TransitionsDone int64

	// WithItems is set once a with-items task started (with_items); Items
	// holds each item's variables (items) and Concurrency the number of
	// items run at once, set when the task has a concurrency (concurrency).
	WithItems   *itemsProgress
	Items       []map[string]any
	Concurrency *int64

	// extra holds the keys this engine does not know, and known keys whose
	// value has a shape it never wrote (their field reads as unset), as
	// read: a row written by another version keeps them. Fields win over
	// them when both are set.
	extra map[string]any
}

// trigger is one transition that started a task.
type trigger struct {
	TaskID string // the task whose transition fired (task_id)
	Event  string // on-success, on-error or on-complete (event)
}

// heldOutcome is a task's outcome held by wait-after.
type heldOutcome struct {
	State  State
	Info   *string // state_info, absent when nil
	Result any
}

// itemsProgress sizes a with-items task.
type itemsProgress struct {
	Count    int64 // items in all (count)
	Capacity int64 // items run at once (capacity)
}

// runtimeOf reads t's runtime context. A stored value that is not an
// object reads as an empty context, as it always has. It is small enough
// to inline, so that rc lives on the caller's stack.
func runtimeOf(t *Task) *runtimeContext {
	rc := &runtimeContext{}
	if t.RuntimeContextJSON != "{}" { // most tasks: nothing to decode
		rc.decode(t.RuntimeContextJSON)
	}
	return rc
}

func (rc *runtimeContext) decode(s string) {
	for k, v := range decodeObject(s) {
		if !rc.set(k, v) {
			if rc.extra == nil {
				rc.extra = map[string]any{}
			}
			rc.extra[k] = v
		}
	}
}

// setRuntime stores rc as t's runtime context.
func setRuntime(t *Task, rc *runtimeContext) { t.RuntimeContextJSON = rc.encode() }

// set reads one stored key into its field; false when the key is unknown
// or its value is not one this engine writes.
func (rc *runtimeContext) set(k string, v any) bool {
	switch k {
	case "triggered_by":
		list, ok := v.([]any)
		if !ok {
			return false
		}
		out := make([]trigger, len(list))
		for i, e := range list {
			m, ok := mapOf(e)
			if !ok || len(m) != 2 {
				return false
			}
			if out[i].TaskID, ok = m["task_id"].(string); !ok {
				return false
			}
			if out[i].Event, ok = m["event"].(string); !ok {
				return false
			}
		}
		rc.TriggeredBy = out
	case "join_count":
		return setInt(&rc.JoinCount, v)
	case "join_done":
		return setTrue(&rc.JoinDone, v)
	case "wait_before_done":
		return setTrue(&rc.WaitBeforeDone, v)
	case "pause_before_done":
		return setTrue(&rc.PauseBeforeDone, v)
	case "wait_after_done":
		return setTrue(&rc.WaitAfterDone, v)
	case "timeout":
		var d float64
		switch n := v.(type) {
		case float64:
			d = n
		case int64:
			d = float64(n) // never written so, but read so before
		}
		if d <= 0 {
			return false
		}
		rc.Timeout = d
	case "timed_out":
		return setTrue(&rc.TimedOut, v)
	case "retry_task_policy":
		m, ok := mapOf(v)
		return ok && len(m) == 1 && setInt(&rc.RetryNo, m["retry_no"])
	case "pending_outcome":
		m, ok := mapOf(v)
		if !ok {
			return false
		}
		state, ok := m["state"].(string)
		result, hasResult := m["result"]
		if !ok || !hasResult {
			return false
		}
		out := &heldOutcome{State: State(state), Result: result}
		if raw, has := m["state_info"]; has {
			info, ok := raw.(string)
			if !ok {
				return false
			}
			out.Info = &info
		}
		if len(m) != 2+boolInt(out.Info != nil) {
			return false
		}
		rc.PendingOutcome = out
	case "timer_fired":
		s, ok := v.(string)
		if !ok || s == "" {
			return false
		}
		rc.TimerFired = s
	case "transitions_done":
		return setInt(&rc.TransitionsDone, v)
	case "with_items":
		m, ok := mapOf(v)
		p := &itemsProgress{}
		if !ok || len(m) != 2 || !setCount(&p.Count, m["count"]) || !setCount(&p.Capacity, m["capacity"]) {
			return false
		}
		rc.WithItems = p
	case "items":
		list, ok := v.([]any)
		if !ok {
			return false
		}
		items := make([]map[string]any, len(list))
		for i, e := range list {
			if items[i], ok = mapOf(e); !ok {
				return false
			}
		}
		rc.Items = items
	case "concurrency":
		n, ok := v.(int64)
		if !ok {
			return false
		}
		rc.Concurrency = &n
	default:
		return false
	}
	return true
}

// setInt reads a count the engine writes only once positive.
func setInt(dst *int64, v any) bool {
	n, ok := v.(int64)
	if !ok || n <= 0 {
		return false
	}
	*dst = n
	return true
}

// setCount reads a count that may be zero.
func setCount(dst *int64, v any) bool {
	n, ok := v.(int64)
	if ok {
		*dst = n
	}
	return ok
}

// setTrue reads a flag the engine writes only as true.
func setTrue(dst *bool, v any) bool {
	if v != true {
		return false
	}
	*dst = true
	return true
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

// encode renders rc as stored: as the engine's JSON encoder renders a map
// (jsonvalue.Encode: keys sorted, Python's separators and numbers), so that
// rows and the API's runtime_context read as they always have. Contexts
// holding keys it does not know go through such a map; the others are
// written directly, key by key in sorted order, which costs less.
func (rc *runtimeContext) encode() string {
	if len(rc.extra) > 0 {
		return encodeOrNull(rc.asMap())
	}
	e := rcEncoder{b: make([]byte, 1, 64)}
	e.b[0] = '{'
	if rc.Concurrency != nil {
		e.key("concurrency")
		e.b = strconv.AppendInt(e.b, *rc.Concurrency, 10)
	}
	if rc.Items != nil {
		e.key("items")
		list := make([]any, len(rc.Items))
		for i, it := range rc.Items {
			list[i] = it
		}
		e.value(list)
	}
	if rc.JoinCount > 0 {
		e.key("join_count")
		e.b = strconv.AppendInt(e.b, rc.JoinCount, 10)
	}
	e.flag("join_done", rc.JoinDone)
	e.flag("pause_before_done", rc.PauseBeforeDone)
	if o := rc.PendingOutcome; o != nil {
		e.key("pending_outcome")
		e.b = append(e.b, `{"result": `...)
		e.value(o.Result)
		e.b = append(e.b, `, "state": `...)
		e.str(string(o.State))
		if o.Info != nil {
			e.b = append(e.b, `, "state_info": `...)
			e.str(*o.Info)
		}
		e.b = append(e.b, '}')
	}
	if rc.RetryNo > 0 {
		e.key("retry_task_policy")
		e.b = append(e.b, `{"retry_no": `...)
		e.b = strconv.AppendInt(e.b, rc.RetryNo, 10)
		e.b = append(e.b, '}')
	}
	e.flag("timed_out", rc.TimedOut)
	if rc.Timeout > 0 {
		e.key("timeout")
		e.value(rc.Timeout)
	}
	if rc.TimerFired != "" {
		e.key("timer_fired")
		e.str(rc.TimerFired)
	}
	if rc.TransitionsDone > 0 {
		e.key("transitions_done")
		e.b = strconv.AppendInt(e.b, rc.TransitionsDone, 10)
	}
	if rc.TriggeredBy != nil {
		e.key("triggered_by")
		e.b = append(e.b, '[')
		for i, tr := range rc.TriggeredBy {
			if i > 0 {
				e.b = append(e.b, ", "...)
			}
			e.b = append(e.b, `{"event": `...)
			e.str(tr.Event)
			e.b = append(e.b, `, "task_id": `...)
			e.str(tr.TaskID)
			e.b = append(e.b, '}')
		}
		e.b = append(e.b, ']')
	}
	e.flag("wait_after_done", rc.WaitAfterDone)
	e.flag("wait_before_done", rc.WaitBeforeDone)
	if p := rc.WithItems; p != nil {
		e.key("with_items")
		e.b = append(e.b, `{"capacity": `...)
		e.b = strconv.AppendInt(e.b, p.Capacity, 10)
		e.b = append(e.b, `, "count": `...)
		e.b = strconv.AppendInt(e.b, p.Count, 10)
		e.b = append(e.b, '}')
	}
	switch {
	case e.failed:
		return "null" // as encodeOrNull stored a map it could not encode
	case len(e.b) == 1:
		return "{}"
	}
	return string(append(e.b, '}'))
}

// rcEncoder writes a runtime context's JSON text.
type rcEncoder struct {
	b      []byte
	failed bool
}

func (e *rcEncoder) key(k string) {
	if len(e.b) > 1 {
		e.b = append(e.b, ", "...)
	}
	e.b = append(e.b, '"')
	e.b = append(e.b, k...)
	e.b = append(e.b, `": `...)
}

func (e *rcEncoder) flag(k string, b bool) {
	if b {
		e.key(k)
		e.b = append(e.b, "true"...)
	}
}

// str writes s as the encoder writes a string.
func (e *rcEncoder) str(s string) { e.b = jsonvalue.AppendStringASCII(e.b, s) }

func (e *rcEncoder) value(v any) {
	b, err := jsonvalue.Append(e.b, v)
	if err != nil {
		e.failed = true
		return
	}
	e.b = b
}

// asMap is rc as the map it was before it had a type.
func (rc *runtimeContext) asMap() map[string]any {
	m := make(map[string]any, len(rc.extra)+4)
	for k, v := range rc.extra {
		m[k] = v
	}
	if rc.TriggeredBy != nil {
		list := make([]any, len(rc.TriggeredBy))
		for i, tr := range rc.TriggeredBy {
			list[i] = map[string]any{"task_id": tr.TaskID, "event": tr.Event}
		}
		m["triggered_by"] = list
	}
	if rc.JoinCount > 0 {
		m["join_count"] = rc.JoinCount
	}
	putTrue(m, "join_done", rc.JoinDone)
	putTrue(m, "wait_before_done", rc.WaitBeforeDone)
	putTrue(m, "pause_before_done", rc.PauseBeforeDone)
	putTrue(m, "wait_after_done", rc.WaitAfterDone)
	if rc.Timeout > 0 {
		m["timeout"] = rc.Timeout
	}
	putTrue(m, "timed_out", rc.TimedOut)
	if rc.RetryNo > 0 {
		m["retry_task_policy"] = map[string]any{"retry_no": rc.RetryNo}
	}
	if o := rc.PendingOutcome; o != nil {
		out := map[string]any{"state": string(o.State), "result": o.Result}
		if o.Info != nil {
			out["state_info"] = *o.Info
		}
		m["pending_outcome"] = out
	}
	if rc.TimerFired != "" {
		m["timer_fired"] = rc.TimerFired
	}
	if rc.TransitionsDone > 0 {
		m["transitions_done"] = rc.TransitionsDone
	}
	if p := rc.WithItems; p != nil {
		m["with_items"] = map[string]any{"count": p.Count, "capacity": p.Capacity}
	}
	if rc.Items != nil {
		list := make([]any, len(rc.Items))
		for i, it := range rc.Items {
			list[i] = it
		}
		m["items"] = list
	}
	if rc.Concurrency != nil {
		m["concurrency"] = *rc.Concurrency
	}
	return m
}

func putTrue(m map[string]any, k string, b bool) {
	if b {
		m[k] = true
	}
}

// rerun forgets what the policies and transitions of the task's last run
// did, for RerunTask; its trigger, join and with-items state stay.
func (rc *runtimeContext) rerun() {
	rc.Timeout, rc.TimedOut, rc.RetryNo = 0, false, 0
	rc.WaitBeforeDone, rc.WaitAfterDone, rc.PauseBeforeDone = false, false, false
	rc.TransitionsDone, rc.PendingOutcome = 0, nil
}
