package engine_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sirocco-project/sirocco/internal/engine"
	"github.com/sirocco-project/sirocco/internal/webhook"
)

var notifySecret = []byte("a notify secret of 32 bytes, ok!")

// approvalWF is a workflow whose one task asks finance.
const approvalWF = `version: '2.0'
wf:
  tasks:
    ask:
      action: std.approval
      input:
        title: Ship release 4.2
        approvers: [group:finance]
`

// signedSender is a sender that signs with notifySecret.
func signedSender() *webhook.Sender {
	s := webhook.New(5*time.Second, nil)
	s.SetSecret(notifySecret)
	return s
}

// approvalBodies returns the approval events r received, decoded, by
// event, checking that each is signed and that its event id header is
// the body's.
func approvalBodies(t *testing.T, r *receiver) map[string]map[string]any {
	t.Helper()
	out := map[string]map[string]any{}
	for _, x := range r.all() {
		ev := x.Header.Get(webhook.EventHeader)
		if err := webhook.Verify(notifySecret, x.Header.Get(webhook.SignatureHeader), []byte(x.Body), time.Now(), webhook.DefaultTolerance); err != nil {
			t.Errorf("%s: the receiver's check of the signature: %v", ev, err)
		}
		if !strings.HasPrefix(ev, "approval.") {
			continue
		}
		var m map[string]any
		if err := json.Unmarshal([]byte(x.Body), &m); err != nil {
			t.Fatalf("%s body %s: %v", ev, x.Body, err)
		}
		if m["event"] != ev || m["event_id"] != x.Header.Get(webhook.EventIDHeader) {
			t.Errorf("%s: body's event %v and event_id %v; headers %s and %s", ev, m["event"], m["event_id"], ev, x.Header.Get(webhook.EventIDHeader))
		}
		if _, dup := out[ev]; dup {
			t.Errorf("%s received twice", ev)
		}
		out[ev] = m
	}
	return out
}

func eventsOf(r *receiver) []string {
	var out []string
	for _, x := range r.all() {
		out = append(out, x.Header.Get(webhook.EventHeader))
	}
	slices.Sort(out)
	return out
}

// TestApprovalNotify: an approval's requested and decided events reach
// the server-wide receiver and the params.notify receivers whose events
// name them, signed, with the title, approvers, what is missing, the
// action's page, the workflow, who asked, and how it was decided; a
// Mistral receiver (no events: all of Mistral's) and one asking for
// workflow events only never see them. The deliveries are listed as the
// action's. On both stores.
func TestApprovalNotify(t *testing.T) {
	eachStore(t, func(t *testing.T, store string) {
		t.Parallel()
		ctx := context.Background()
		server, asks, mistral, wfOnly := newReceiver(t), newReceiver(t), newReceiver(t), newReceiver(t)
		e := newEngineOn(t, store, engine.Config{BaseURL: "https://sirocco.example.com/",
			Notify: engine.NotifyConfig{Sender: signedSender(), Receivers: []engine.Webhook{{URL: server.URL}}}})
		if _, err := e.CreateWorkflows(ctx, nil, approvalWF, "", ""); err != nil {
			t.Fatal(err)
		}
		params := map[string]any{"notify": []any{
			map[string]any{"type": "webhook", "url": asks.URL, "events": []any{"approval.requested", "approval.decided", "WORKFLOW_SUCCEEDED"}},
			map[string]any{"type": "webhook", "url": mistral.URL},
			map[string]any{"type": "webhook", "url": wfOnly.URL, "event_types": []any{"WORKFLOW_SUCCEEDED"}},
		}}
		ex, err := e.StartExecution(ctx, engine.StartRequest{WorkflowName: "wf", CreatedBy: "rita", Params: params})
		if err != nil {
			t.Fatal(err)
		}
		a := pendingAction(t, e, ex.ID, "ask")
		if _, _, err := e.DeliverResult(ctx, a.ID, step{who: "bob", state: approve, output: noOutput}.completion()); err != nil {
			t.Fatal(err)
		}
		settle(t, e, ex.ID, "")
		waitFor(t, "every notification", func() (bool, string) {
			return len(asks.all()) >= 3 && len(wfOnly.all()) >= 1 && len(mistral.all()) >= 4 && len(server.all()) >= 6,
				fmt.Sprintf("asks %v, wf %v, mistral %v, server %v", eventsOf(asks), eventsOf(wfOnly), eventsOf(mistral), eventsOf(server))
		})
		if got := eventsOf(asks); !slices.Equal(got, []string{"WORKFLOW_SUCCEEDED", "approval.decided", "approval.requested"}) {
			t.Errorf("the receiver naming the approval events got %v", got)
		}
		for name, r := range map[string]*receiver{"Mistral's": mistral, "workflow-only": wfOnly} {
			for _, ev := range eventsOf(r) {
				if strings.HasPrefix(ev, "approval.") {
					t.Errorf("the %s receiver got %s", name, ev)
				}
			}
		}
		want := map[string]any{
			"id": a.ID, "title": "Ship release 4.2", "url": "https://sirocco.example.com/actions/" + a.ID,
			"requested_by": "rita", "approvers": []any{"group:finance"},
			"execution_id": ex.ID, "root_execution_id": ex.ID, "workflow_name": "wf", "task_name": "ask",
			"task_execution_id": *a.TaskExecutionID,
		}
		got := approvalBodies(t, server)
		byAsks := approvalBodies(t, asks)
		for _, ev := range []string{"approval.requested", "approval.decided"} {
			b := got[ev]
			if b == nil {
				t.Fatalf("the server-wide receiver got no %s (got %v)", ev, eventsOf(server))
			}
			for k, v := range want {
				if fmt.Sprint(b[k]) != fmt.Sprint(v) {
					t.Errorf("%s: %s = %v; want %v", ev, k, b[k], v)
				}
			}
			if _, ok := b["links"]; ok {
				t.Errorf("%s carries links without -notify-links: %v", ev, b["links"])
			}
			if byAsks[ev]["event_id"] != b["event_id"] {
				t.Errorf("%s: event id %v for one receiver, %v for another; want one per event", ev, byAsks[ev]["event_id"], b["event_id"])
			}
		}
		if m := got["approval.requested"]["missing"]; m != "1 more approval" {
			t.Errorf("requested: missing = %v; want the inbox's words, 1 more approval", m)
		}
		if d := got["approval.decided"]; d["state"] != "SUCCESS" || d["decided_by"] != "bob" || d["channel"] != "api" || d["missing"] != nil {
			t.Errorf("decided: state %v, decided_by %v, channel %v, missing %v; want SUCCESS, bob, api, null", d["state"], d["decided_by"], d["channel"], d["missing"])
		}
		if _, ok := got["approval.requested"]["state"]; ok {
			t.Error("requested carries a state")
		}
		waitFor(t, "the action's deliveries", func() (bool, string) {
			list, err := e.ActionDeliveries(ctx, a.ID)
			if err != nil {
				t.Fatal(err)
			}
			var s []string
			for _, d := range list {
				if d.State == engine.DeliveryDelivered && d.ActionID == a.ID && d.ExecutionID == ex.ID {
					s = append(s, string(d.Event))
				}
			}
			slices.Sort(s)
			return slices.Equal(s, []string{"approval.decided", "approval.decided", "approval.requested", "approval.requested"}), fmt.Sprint(s)
		})
		waitFor(t, "the approval counts", func() (bool, string) {
			s := e.NotifyStats()
			return s.ApprovalDelivered == 4, fmt.Sprintf("%+v", s)
		})
	})
}

// TestApprovalNotifyBodyKeys: a body's keys come in a fixed order, the
// event first, so that a receiver reading it as text (a log line, a chat
// message template) finds them where it expects.
func TestApprovalNotifyBodyKeys(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	server := newReceiver(t)
	e := newEngine(t, engine.Config{Notify: engine.NotifyConfig{Sender: signedSender(), Receivers: []engine.Webhook{{URL: server.URL}}}})
	if _, err := e.CreateWorkflows(ctx, nil, approvalWF, "", ""); err != nil {
		t.Fatal(err)
	}
	ex, err := e.StartExecution(ctx, engine.StartRequest{WorkflowName: "wf", CreatedBy: "rita"})
	if err != nil {
		t.Fatal(err)
	}
	a := pendingAction(t, e, ex.ID, "ask")
	if _, _, err := e.DeliverResult(ctx, a.ID, step{who: "bob", state: reject, output: "not this week"}.completion()); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "approval.decided", func() (bool, string) {
		return slices.Contains(eventsOf(server), "approval.decided"), fmt.Sprint(eventsOf(server))
	})
	keys := func(body string) []string {
		dec := json.NewDecoder(strings.NewReader(body))
		if _, err := dec.Token(); err != nil { // {
			t.Fatal(err)
		}
		var out []string
		for dec.More() {
			k, err := dec.Token()
			if err != nil {
				t.Fatal(err)
			}
			var v json.RawMessage
			if err := dec.Decode(&v); err != nil {
				t.Fatal(err)
			}
			out = append(out, k.(string))
		}
		return out
	}
	common := []string{"event", "event_id", "id", "title", "url", "requested_by", "approvers", "missing", "execution_id",
		"root_execution_id", "workflow_name", "task_name", "task_execution_id", "created_at", "at"}
	for _, r := range server.all() {
		want := common
		switch r.Header.Get(webhook.EventHeader) {
		case "approval.requested":
		case "approval.decided":
			want = append(slices.Clone(common), "state", "decided_by", "channel")
			if !strings.Contains(r.Body, `"state": "ERROR", "decided_by": "bob", "channel": "api"}`) {
				t.Errorf("decided body %s", r.Body)
			}
		default:
			continue
		}
		if got := keys(r.Body); !slices.Equal(got, want) {
			t.Errorf("%s keys %v\nwant %v", r.Header.Get(webhook.EventHeader), got, want)
		}
	}
}

// TestApprovalNotifyNeverBlocksDecision: with a receiver that holds every
// request it gets, an approval is still requested and decided at once:
// the notifications wait, PENDING, for the receiver, not the decision.
func TestApprovalNotifyNeverBlocksDecision(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	entered, release := make(chan string, 10), make(chan struct{})
	hold := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		entered <- r.Header.Get(webhook.EventHeader)
		<-release
	}))
	defer hold.Close()
	defer close(release) // before Close, which waits for the handlers
	e := newEngine(t, engine.Config{Notify: engine.NotifyConfig{Sender: signedSender(), Receivers: []engine.Webhook{{URL: hold.URL}}}})
	if _, err := e.CreateWorkflows(ctx, nil, approvalWF, "", ""); err != nil {
		t.Fatal(err)
	}
	ex, err := e.StartExecution(ctx, engine.StartRequest{WorkflowName: "wf", CreatedBy: "rita"})
	if err != nil {
		t.Fatal(err)
	}
	a := pendingAction(t, e, ex.ID, "ask")
	// A request is held by the receiver now (the first one sent).
	first := <-entered
	got, _, err := e.DeliverResult(ctx, a.ID, step{who: "bob", state: approve, output: noOutput}.completion())
	if err != nil || got.State != engine.StateSuccess {
		t.Fatalf("the decision while the receiver holds %s: %v %v", first, got, err)
	}
	if done := settle(t, e, ex.ID, ""); done.State != engine.StateSuccess {
		t.Errorf("execution %s; want SUCCESS", done.State)
	}
	list, err := e.ActionDeliveries(ctx, a.ID)
	if err != nil {
		t.Fatal(err)
	}
	var events []string
	for _, d := range list {
		events = append(events, string(d.Event)+" "+d.State)
	}
	if !slices.Equal(events, []string{"approval.requested PENDING", "approval.decided PENDING"}) {
		t.Errorf("the action's deliveries: %v; want both PENDING while the receiver holds the first", events)
	}
}

// TestApprovalNotifyFailure: an approval event a receiver refuses to the
// last attempt is FAILED on the action's list, counted among the approval
// notifications' failures, and logged with the action's id.
func TestApprovalNotifyFailure(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	down := newReceiver(t)
	down.status.Store(http.StatusBadGateway)
	var logs strings.Builder
	var logMu sync.Mutex
	e := newEngine(t, engine.Config{Logger: newTestLogger(&logs, &logMu), Notify: engine.NotifyConfig{Sender: signedSender(),
		Receivers: []engine.Webhook{{URL: down.URL, Events: []engine.EventType{engine.ApprovalRequested}}}, MaxAttempts: 1}})
	if _, err := e.CreateWorkflows(ctx, nil, approvalWF, "", ""); err != nil {
		t.Fatal(err)
	}
	ex, err := e.StartExecution(ctx, engine.StartRequest{WorkflowName: "wf", CreatedBy: "rita"})
	if err != nil {
		t.Fatal(err)
	}
	a := pendingAction(t, e, ex.ID, "ask")
	waitStats(t, e, engine.NotifyStats{Failed: 1, ApprovalFailed: 1})
	list, err := e.ActionDeliveries(ctx, a.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(list) != 1 || list[0].State != engine.DeliveryFailed || list[0].LastError == nil || !strings.Contains(*list[0].LastError, "502") {
		t.Fatalf("the action's deliveries: %+v; want one FAILED with the 502", list)
	}
	logMu.Lock()
	defer logMu.Unlock()
	if !strings.Contains(logs.String(), "no more attempts") || !strings.Contains(logs.String(), "action="+a.ID) {
		t.Errorf("the log does not name the action of the failed notification:\n%s", logs.String())
	}
}
