package engine_test

import (
	"context"
	"fmt"
	"reflect"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sirocco-project/sirocco/internal/engine"
	"github.com/sirocco-project/sirocco/internal/fault"
	"github.com/sirocco-project/sirocco/internal/jsonvalue"
)

// raceWorkflow waits on one asynchronous action whose task times out after
// $.timeout seconds; nothing handles the error, so a timeout or an ERROR
// result fails the workflow.
const raceWorkflow = `version: '2.0'
race:
  input: [timeout]
  tasks:
    t:
      action: std.async_noop
      timeout: <% $.timeout %>
`

// raceDeadline bounds one round: a round that has not ended by then is
// taken for a deadlock.
const raceDeadline = 20 * time.Second

// TestCompletionRaces delivers, at the same moment and for the same action,
// a callback (SUCCESS via api), a person's decision (ERROR via dashboard)
// and a cancel of the workflow, while the task's timeout fires around the
// same time. Exactly one of them must decide the action, and exactly one
// the workflow; the losers get fault.ECONFLICT.
//
// The timeout does not complete the action (Mistral keeps it RUNNING and
// accepts a late result), so it competes for the task and the workflow
// only: after a timeout the callback or the decision still completes the
// action, but the workflow stays failed by the timeout.
func TestCompletionRaces(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	e := newEngine(t, engine.Config{})
	if _, err := e.CreateWorkflows(ctx, nil, raceWorkflow, "", ""); err != nil {
		t.Fatal(err)
	}
	const rounds = 50
	// Who decided the workflow, over all rounds, for the log: the mix
	// depends on scheduling, so it is reported, not asserted.
	winners := map[string]int{}
	for i := range rounds {
		// Timeouts from 5 ms to 50 ms: the earliest fire about when the
		// other three arrive, the latest after some of them.
		timeout := float64(i%10+1) * 0.005
		w := raceRound(t, e, i, timeout)
		if t.Failed() {
			t.Fatalf("round %d (timeout %gs) failed; stopping", i, timeout)
		}
		winners[w]++
	}
	t.Logf("%d rounds; the workflow was decided by: %v", rounds, winners)
}

// outcome is what one racer got back.
type outcome struct {
	name string
	err  error
}

// raceRound runs one round and returns who decided the workflow: "callback",
// "decision", "cancel" or "timeout".
func raceRound(t *testing.T, e *engine.Engine, round int, timeout float64) string {
	t.Helper()
	ctx := context.Background()
	ex, err := e.StartExecution(ctx, engine.StartRequest{WorkflowName: "race", Input: map[string]any{"timeout": timeout}})
	if err != nil {
		t.Fatalf("round %d: start: %v", round, err)
	}
	settle(t, e, ex.ID, "t")
	a := pendingAction(t, e, ex.ID, "t")
	callbackOut := fmt.Sprintf("done %d", round)
	decisionOut := fmt.Sprintf("rejected %d", round)

	racers := map[string]func() error{
		"callback": func() error {
			_, err := e.UpdateActionExecution(ctx, a.ID, engine.Completion{State: engine.StateSuccess, Output: callbackOut, HasOutput: true, Via: engine.ViaAPI})
			return err
		},
		"decision": func() error {
			_, err := e.UpdateActionExecution(ctx, a.ID, engine.Completion{State: engine.StateError, Output: decisionOut, HasOutput: true, Via: engine.ViaDashboard, Comment: "no"})
			return err
		},
		"cancel": func() error {
			_, err := e.UpdateExecution(ctx, ex.ID, engine.ExecutionUpdate{State: engine.StateCancelled})
			return err
		},
	}
	start := make(chan struct{})
	results := make(chan outcome, len(racers))
	var wg sync.WaitGroup
	for name, fn := range racers {
		wg.Go(func() {
			<-start
			results <- outcome{name, fn()}
		})
	}
	close(start)
	finished := make(chan struct{})
	go func() { wg.Wait(); close(finished) }()
	select {
	case <-finished:
	case <-time.After(raceDeadline):
		buf := make([]byte, 1<<20)
		t.Fatalf("round %d: the racers did not return within %v (deadlock?)\n%s", round, raceDeadline, buf[:runtime.Stack(buf, true)])
	}
	close(results)
	got := map[string]error{}
	for r := range results {
		got[r.name] = r.err
		if r.err != nil && fault.Code(r.err) != fault.ECONFLICT {
			t.Errorf("round %d: %s returned %v (code %s), want nil or fault.ECONFLICT", round, r.name, r.err, fault.Code(r.err))
		}
	}

	// The timeout may still be on its way: wait until the workflow ended
	// and the action has been decided.
	final := settle(t, e, ex.ID, "")
	act := waitActionDone(t, e, a.ID)
	tasks, err := e.ListTasks(ctx, engine.ListQuery{Filters: []engine.Filter{{Field: "workflow_execution_id", Op: engine.OpEq, Values: []string{ex.ID}}}})
	if err != nil || len(tasks) != 1 {
		t.Fatalf("round %d: tasks %v, %v; want one", round, tasks, err)
	}
	task := tasks[0]

	// The action: exactly one of callback, decision and cancel decided it.
	var actionWinner string
	switch {
	case act.State == engine.StateSuccess:
		actionWinner = "callback"
		checkAction(t, round, act, engine.ViaAPI, callbackOut)
	case act.State == engine.StateError:
		actionWinner = "decision"
		checkAction(t, round, act, engine.ViaDashboard, decisionOut)
	case act.State == engine.StateCancelled:
		actionWinner = "cancel"
		checkAction(t, round, act, engine.ViaEngine, nil)
	default:
		t.Fatalf("round %d: action ended %s", round, act.State)
	}
	for _, name := range []string{"callback", "decision"} {
		if won := got[name] == nil; won != (name == actionWinner) {
			t.Errorf("round %d: %s returned %v, but the action is %s via %s", round, name, got[name], act.State, deref(act.CompletedVia))
		}
	}

	// The workflow: exactly one terminal event, and a state that says who won.
	var exWinner string
	switch {
	case final.State == engine.StateSuccess:
		exWinner = "callback"
	case final.State == engine.StateCancelled:
		exWinner = "cancel"
	case final.State == engine.StateError && strings.Contains(deref(task.StateInfo), "Task timed out"):
		exWinner = "timeout"
	case final.State == engine.StateError:
		exWinner = "decision"
	default:
		t.Fatalf("round %d: execution ended %s (%s)", round, final.State, deref(final.StateInfo))
	}
	if won := got["cancel"] == nil; won != (exWinner == "cancel") {
		t.Errorf("round %d: cancel returned %v, but the execution is %s", round, got["cancel"], final.State)
	}
	if exWinner != "timeout" && exWinner != actionWinner {
		t.Errorf("round %d: the action was decided by %s (%s) but the workflow by %s (%s)", round, actionWinner, act.State, exWinner, final.State)
	}
	wantTask := map[string]engine.State{"callback": engine.StateSuccess, "decision": engine.StateError, "cancel": engine.StateCancelled, "timeout": engine.StateError}[exWinner]
	if task.State != wantTask {
		t.Errorf("round %d: task is %s (%s), want %s as the workflow was decided by %s", round, task.State, deref(task.StateInfo), wantTask, exWinner)
	}

	timeline, err := e.Timeline(ctx, ex.ID)
	if err != nil {
		t.Fatal(err)
	}
	ends := map[string][]string{} // kind → terminal states recorded
	for _, ev := range timeline {
		if ev.State.Completed() {
			ends[ev.Kind] = append(ends[ev.Kind], string(ev.State))
		}
	}
	for _, kind := range []string{"execution", "task", "action_execution"} {
		if len(ends[kind]) != 1 {
			t.Errorf("round %d: the timeline has %d terminal %s events %v, want 1 (winner %s)\n%s", round, len(ends[kind]), kind, ends[kind], exWinner, fmtTimeline(timeline))
		}
	}
	return exWinner
}

// waitActionDone waits until the action execution is completed: after a
// timeout the callback or the decision may still be committing.
func waitActionDone(t *testing.T, e *engine.Engine, id string) *engine.ActionExecution {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		a, err := e.GetActionExecution(context.Background(), id)
		if err != nil {
			t.Fatal(err)
		}
		if a.State.Completed() {
			return a
		}
		if time.Now().After(deadline) {
			t.Fatalf("action execution %s is still %s", id, a.State)
		}
		time.Sleep(2 * time.Millisecond) // polling interval
	}
}

// checkAction checks who completed an action and what it stored.
func checkAction(t *testing.T, round int, a *engine.ActionExecution, via string, result any) {
	t.Helper()
	if got := deref(a.CompletedVia); got != via {
		t.Errorf("round %d: action %s completed via %q, want %q", round, a.State, got, via)
	}
	if a.OutputJSON == nil {
		t.Errorf("round %d: action %s has no output", round, a.State)
		return
	}
	got, err := jsonvalue.Decode([]byte(*a.OutputJSON))
	if err != nil {
		t.Fatal(err)
	}
	if want := map[string]any{"result": result}; !jsonvalue.Equal(got, want) {
		t.Errorf("round %d: action %s output = %s, want %v", round, a.State, *a.OutputJSON, want)
	}
}

func fmtTimeline(events []engine.Event) string {
	var b strings.Builder
	for _, ev := range events {
		fmt.Fprintf(&b, "  %s %s %s via=%q note=%q\n", ev.Kind, ev.ID, ev.State, ev.Via, ev.Note)
	}
	return b.String()
}

// TestSameCompletionConcurrently delivers one result from many goroutines
// at once, as a web service retrying on a slow network would: every
// delivery succeeds, and the result is recorded once.
func TestSameCompletionConcurrently(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	e := newEngine(t, engine.Config{})
	ex := startOne(t, e, "std.async_noop")
	settle(t, e, ex.ID, "t")
	a := pendingAction(t, e, ex.ID, "t")

	const n = 32
	out := map[string]any{"approved": true, "by": "bob"}
	start := make(chan struct{})
	errs := make(chan error, n)
	var wg sync.WaitGroup
	for i := range n {
		via := engine.ViaAPI // the same result, whoever sends it
		if i%3 == 0 {
			via = engine.ViaCLI
		}
		wg.Go(func() {
			<-start
			got, err := e.UpdateActionExecution(ctx, a.ID, engine.Completion{State: engine.StateSuccess, Output: out, HasOutput: true, Via: via})
			if err == nil && got.State != engine.StateSuccess {
				err = fmt.Errorf("returned state %s", got.State)
			}
			errs <- err
		})
	}
	close(start)
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(raceDeadline):
		t.Fatalf("%d deliveries did not return within %v (deadlock?)", n, raceDeadline)
	}
	close(errs)
	for err := range errs {
		if err != nil {
			t.Errorf("delivery: %v, want success (the same completion is idempotent)", err)
		}
	}

	final := settle(t, e, ex.ID, "")
	if final.State != engine.StateSuccess {
		t.Errorf("execution %s (%s), want SUCCESS", final.State, deref(final.StateInfo))
	}
	if got, _ := jsonvalue.Decode([]byte(final.OutputJSON)); !jsonvalue.Equal(got, map[string]any{"r": out}) {
		t.Errorf("execution output %s, want {\"r\": %v}", final.OutputJSON, out)
	}
	timeline, err := e.Timeline(ctx, ex.ID)
	if err != nil {
		t.Fatal(err)
	}
	count := map[string]int{}
	for _, ev := range timeline {
		if ev.State.Completed() {
			count[ev.Kind]++
		}
	}
	if want := map[string]int{"action_execution": 1, "task": 1, "execution": 1}; !reflect.DeepEqual(count, want) {
		t.Errorf("terminal events by kind = %v, want %v\n%s", count, want, fmtTimeline(timeline))
	}
}

// TestSameStartConcurrently starts one execution id from many goroutines
// at once, as a client retrying on another replica while its first
// request still commits: every start answers with the one execution.
func TestSameStartConcurrently(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	e := newEngine(t, engine.Config{})
	if _, err := e.CreateWorkflows(ctx, nil, raceWorkflow, "", ""); err != nil {
		t.Fatal(err)
	}
	for round := range 20 {
		id := fmt.Sprintf("00000000-0000-4000-8000-%012d", round)
		start := make(chan struct{})
		var wg sync.WaitGroup
		for range 8 {
			wg.Go(func() {
				<-start
				ex, err := e.StartExecution(ctx, engine.StartRequest{ID: id, WorkflowName: "race", Input: map[string]any{"timeout": 60}})
				if err != nil || ex.ID != id {
					t.Errorf("round %d: start %s: %v, %v; want that execution", round, id, ex, err)
				}
			})
		}
		close(start)
		wg.Wait()
	}
}
