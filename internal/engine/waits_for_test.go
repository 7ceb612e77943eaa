package engine_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/sirocco-project/sirocco/internal/engine"
)

// TestWaitsFor: an asynchronous action is filed under the inbox's people
// or services when it starts — a person for std.async_noop (and
// approvals), a service for std.mistral_http and ad-hoc actions over it;
// an ad-hoc action's 'waits-for' wins over its base, a task's over its
// action; and the inbox's views and counts follow.
func TestWaitsFor(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	svc := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusAccepted) }))
	defer svc.Close()
	e := newEngine(t, engine.Config{})
	if _, err := e.CreateActions(ctx, nil, `version: '2.0'
order:
  base: std.mistral_http
  base-input: {url: `+svc.URL+`, method: POST}
ask_desk:
  base: std.mistral_http
  base-input: {url: `+svc.URL+`, method: POST}
  waits-for: person
`, "", ""); err != nil {
		t.Fatal(err)
	}
	if _, err := e.CreateWorkflows(ctx, nil, `version: '2.0'
filed:
  tasks:
    noop:
      action: std.async_noop
    http:
      action: std.mistral_http url=`+svc.URL+`
    adhoc:
      action: order
    adhoc_person:
      action: ask_desk
    noop_service:
      action: std.async_noop
      waits-for: service
    adhoc_task_person:
      action: order
      waits-for: person
    sync:
      action: std.echo output=1
`, "", ""); err != nil {
		t.Fatal(err)
	}
	ex, err := e.StartExecution(ctx, engine.StartRequest{WorkflowName: "filed"})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{
		"noop": engine.WaitsForPerson, "http": engine.WaitsForService, "adhoc": engine.WaitsForService,
		"adhoc_person": engine.WaitsForPerson, "noop_service": engine.WaitsForService, "adhoc_task_person": engine.WaitsForPerson,
	}
	for task, w := range want {
		a := pendingAction(t, e, ex.ID, task)
		if a == nil {
			t.Fatalf("%s: no pending action", task)
		}
		if a.WaitsFor != w {
			t.Errorf("%s (%s): waits for %q, want %q", task, a.Name, a.WaitsFor, w)
		}
	}
	for _, view := range []string{engine.WaitsForPerson, engine.WaitsForService} {
		p, err := e.Inbox(ctx, engine.InboxQuery{WaitsFor: view})
		if err != nil {
			t.Fatal(err)
		}
		n := 0
		for _, w := range want {
			if w == view {
				n++
			}
		}
		if len(p.Items) != n || p.Matching != n || p.Services != 3 || p.Pending != 6 {
			t.Errorf("%s view: %d rows, matching %d, services %d of %d pending; want %d, %d, 3 of 6", view, len(p.Items), p.Matching, p.Services, p.Pending, n, n)
		}
		for _, it := range p.Items {
			if want[it.TaskName] != view {
				t.Errorf("%s view lists %s", view, it.TaskName)
			}
		}
	}
	if _, err := e.Inbox(ctx, engine.InboxQuery{WaitsFor: "robot"}); err == nil {
		t.Error("waits_for robot: no error")
	}
}
