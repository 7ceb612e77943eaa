package engine_test

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sirocco-project/sirocco/internal/engine"
	"github.com/sirocco-project/sirocco/internal/fault"
	"github.com/sirocco-project/sirocco/internal/storetest"
)

// set moves the clock to t (manualClock is idempotency_test.go's).
func (c *manualClock) set(t time.Time) {
	c.mu.Lock()
	c.now = t
	c.mu.Unlock()
}

// creators is a CreatorCheck whose answers the test sets.
type creators struct {
	mu      sync.Mutex
	refused map[string]string
}

func (c *creators) MayStart(_ context.Context, user string) (string, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.refused[user], nil
}

func (c *creators) refuse(user, reason string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.refused == nil {
		c.refused = map[string]string{}
	}
	c.refused[user] = reason
}

const cronWorkflow = `version: '2.0'
ticked:
  input:
    - who: nobody
  tasks:
    hello:
      action: std.echo output=<% $.who %>
`

// cronEngine is an engine on a fresh store of kind store whose worker
// does not run: the test runs the due jobs itself (engine.RunDueJobs) at
// the times its clock says.
func cronEngine(t *testing.T, store string, clk *manualClock, cr engine.CreatorCheck) (*engine.Engine, engine.Store) {
	t.Helper()
	var st engine.Store
	for _, s := range stores {
		if s.name == store {
			st = s.open(t)
		}
	}
	e := engine.New(engine.Config{Store: storetest.CheckLocks(t, st), Clock: clk, Creators: cr})
	if _, err := e.CreateWorkflows(context.Background(), nil, cronWorkflow, "", ""); err != nil {
		t.Fatal(err)
	}
	return e, st
}

func runDue(t *testing.T, e *engine.Engine) {
	t.Helper()
	if _, err := engine.RunDueJobs(context.Background(), e); err != nil {
		t.Fatal(err)
	}
}

// triggered lists the executions started by cron triggers, oldest first.
func triggered(t *testing.T, e *engine.Engine) []*engine.Execution {
	t.Helper()
	all, err := e.ListExecutions(context.Background(), engine.ListQuery{})
	if err != nil {
		t.Fatal(err)
	}
	var out []*engine.Execution
	for _, ex := range all {
		if strings.Contains(ex.Description, `"type": "cron_trigger"`) {
			out = append(out, ex)
		}
	}
	return out
}

var cronT0 = time.Date(2026, 12, 7, 10, 0, 30, 0, time.UTC)

func intPtr(n int) *int { return &n }

// TestCronFiresOncePerDueTime: a trigger fires at its due time and not
// before, once however often its jobs run or the time is fired again; the
// execution is its creator's, with its input and Mistral's description;
// the next time is the pattern's next minute.
func TestCronFiresOncePerDueTime(t *testing.T) {
	t.Parallel()
	eachStore(t, func(t *testing.T, store string) {
		ctx := context.Background()
		clk := &manualClock{now: cronT0}
		e, _ := cronEngine(t, store, clk, nil)
		c, err := e.CreateCronTrigger(ctx, nil, engine.CronRequest{Name: "every_minute", Pattern: "* * * * *",
			WorkflowName: "ticked", WorkflowInput: map[string]any{"who": "cron"}, CreatedBy: "alice"})
		if err != nil {
			t.Fatal(err)
		}
		if want := cronT0.Truncate(time.Minute).Add(time.Minute); !c.NextExecutionTime.Equal(want) {
			t.Fatalf("next execution time %s, want %s", c.NextExecutionTime, want)
		}
		runDue(t, e)
		if n := len(triggered(t, e)); n != 0 {
			t.Fatalf("%d executions before the due time, want 0", n)
		}
		due := c.NextExecutionTime
		clk.set(due)
		runDue(t, e)
		runDue(t, e)
		// A second firing of the same due time (a replica that read the
		// trigger before the first committed) starts nothing.
		if err := engine.FireCron(ctx, e, c.ID, due); err != nil {
			t.Fatal(err)
		}
		got := triggered(t, e)
		if len(got) != 1 {
			t.Fatalf("%d executions for one due time, want 1", len(got))
		}
		ex := got[0]
		if ex.CreatedBy != "alice" || ex.InputJSON != `{"who": "cron"}` {
			t.Errorf("execution created by %q with input %s, want alice and {\"who\": \"cron\"}", ex.CreatedBy, ex.InputJSON)
		}
		wantDesc := `{"description": "Workflow execution created by cron trigger '(` + c.ID + `)'.", "triggered_by": {"type": "cron_trigger", "id": "` + c.ID + `", "name": "every_minute"}}`
		if ex.Description != wantDesc {
			t.Errorf("description %s\nwant        %s", ex.Description, wantDesc)
		}
		c, err = e.GetCronTrigger(ctx, "every_minute")
		if err != nil {
			t.Fatal(err)
		}
		if want := due.Add(time.Minute); !c.NextExecutionTime.Equal(want) {
			t.Errorf("next execution time after firing %s, want %s", c.NextExecutionTime, want)
		}
		if last := c.LastExecutions(); len(last) != 1 || last[0].ID != ex.ID || !last[0].At.Equal(due) {
			t.Errorf("last executions %+v, want %s at %s", last, ex.ID, due)
		}
		clk.set(due.Add(time.Minute))
		runDue(t, e)
		if n := len(triggered(t, e)); n != 2 {
			t.Errorf("%d executions after the second due time, want 2", n)
		}
	})
}

// TestCronMissedTimesFireOnceAtStart: the times a trigger missed while no
// server ran give one execution when a server starts, and the next time is
// the pattern's first after now, as Mistral does.
func TestCronMissedTimesFireOnceAtStart(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	clk := &manualClock{now: cronT0}
	first, st := cronEngine(t, "sqlite", clk, nil)
	c, err := first.CreateCronTrigger(ctx, nil, engine.CronRequest{Name: "missed", Pattern: "*/5 * * * *", WorkflowName: "ticked"})
	if err != nil {
		t.Fatal(err)
	}
	// The server was down for three and a half hours (42 due times); a
	// new engine starts on the same store.
	late := cronT0.Add(3*time.Hour + 30*time.Minute)
	clk.set(late)
	second := engine.New(engine.Config{Store: st, Clock: clk})
	runDue(t, second)
	runDue(t, second)
	if n := len(triggered(t, second)); n != 1 {
		t.Fatalf("%d executions for the times missed while down, want 1", n)
	}
	c, err = second.GetCronTrigger(ctx, c.ID)
	if err != nil {
		t.Fatal(err)
	}
	if want := time.Date(2026, 12, 7, 13, 35, 0, 0, time.UTC); !c.NextExecutionTime.Equal(want) {
		t.Errorf("next execution time after the catch-up %s, want %s (the first after now)", c.NextExecutionTime, want)
	}
}

// TestCronRemainingExecutions: remaining_executions counts down with each
// firing and the trigger is deleted after its last, as Mistral does; a
// trigger with only a first time fires once then.
func TestCronRemainingExecutions(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	clk := &manualClock{now: cronT0}
	e, _ := cronEngine(t, "sqlite", clk, nil)
	c, err := e.CreateCronTrigger(ctx, nil, engine.CronRequest{Name: "twice", Pattern: "* * * * *", WorkflowName: "ticked", RemainingExecutions: intPtr(2)})
	if err != nil {
		t.Fatal(err)
	}
	clk.set(c.NextExecutionTime)
	runDue(t, e)
	if c, err = e.GetCronTrigger(ctx, "twice"); err != nil || c.RemainingExecutions == nil || *c.RemainingExecutions != 1 {
		t.Fatalf("after one firing: %+v, %v; want remaining_executions 1", c, err)
	}
	clk.set(c.NextExecutionTime)
	runDue(t, e)
	if _, err := e.GetCronTrigger(ctx, "twice"); fault.Code(err) != fault.ENOTFOUND {
		t.Fatalf("after its last firing the trigger is still there (%v); want it deleted", err)
	}
	clk.set(c.NextExecutionTime.Add(time.Hour))
	runDue(t, e)
	if n := len(triggered(t, e)); n != 2 {
		t.Errorf("%d executions, want 2", n)
	}

	// first_execution_time alone: one execution at that time.
	once, err := e.CreateCronTrigger(ctx, nil, engine.CronRequest{Name: "once", FirstExecutionTime: "2026-12-07 12:00", WorkflowName: "ticked"})
	if err != nil {
		t.Fatal(err)
	}
	if once.RemainingExecutions == nil || *once.RemainingExecutions != 1 || once.FirstExecutionTime == nil {
		t.Fatalf("a trigger with only a first time: remaining %v, first %v; want 1 and the time", once.RemainingExecutions, once.FirstExecutionTime)
	}
	clk.set(time.Date(2026, 12, 7, 12, 0, 0, 0, time.UTC))
	runDue(t, e)
	if _, err := e.GetCronTrigger(ctx, "once"); fault.Code(err) != fault.ENOTFOUND {
		t.Errorf("the one-time trigger is still there after firing (%v)", err)
	}
	if n := len(triggered(t, e)); n != 3 {
		t.Errorf("%d executions, want 3", n)
	}
}

// TestCronCreatorDeletedOrDemotedStops: a trigger whose creator may no
// longer start executions does not fire in their name: it stops, says why,
// and the audit trail records it; resumed while the creator is still
// refused, it stops again at its next time.
func TestCronCreatorDeletedOrDemotedStops(t *testing.T) {
	t.Parallel()
	for _, reason := range []string{"The account bob was deleted.", "The account bob is a viewer now: it may no longer start executions."} {
		ctx := context.Background()
		clk := &manualClock{now: cronT0}
		cr := &creators{}
		e, st := cronEngine(t, "sqlite", clk, cr)
		c, err := e.CreateCronTrigger(ctx, nil, engine.CronRequest{Name: "bobs", Pattern: "* * * * *", WorkflowName: "ticked", CreatedBy: "bob"})
		if err != nil {
			t.Fatal(err)
		}
		cr.refuse("bob", reason)
		clk.set(c.NextExecutionTime)
		runDue(t, e)
		if n := len(triggered(t, e)); n != 0 {
			t.Fatalf("%d executions started for a refused creator, want 0", n)
		}
		c, err = e.GetCronTrigger(ctx, "bobs")
		if err != nil {
			t.Fatal(err)
		}
		if c.State != engine.CronStopped || c.StateInfo == nil || *c.StateInfo != reason {
			t.Errorf("trigger state %s (%v), want STOPPED with %q", c.State, c.StateInfo, reason)
		}
		recs, err := st.ListAudit(ctx, engine.AuditQuery{Limit: 10})
		if err != nil {
			t.Fatal(err)
		}
		if len(recs) == 0 || !strings.Contains(recs[0].Reason, "stop cron trigger bobs") || !strings.Contains(recs[0].Reason, reason) {
			t.Errorf("newest audit record %+v, want the stop with its reason", recs[0])
		}
		// Nothing fires later either.
		clk.set(c.NextExecutionTime.Add(time.Hour))
		runDue(t, e)
		if n := len(triggered(t, e)); n != 0 {
			t.Errorf("%d executions after the stop, want 0", n)
		}
	}
}

// TestCronPauseResumeDelete: only an admin or the creator changes a
// trigger; a paused one does not fire; a resumed one fires at the
// pattern's next time after the resume.
func TestCronPauseResumeDelete(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	clk := &manualClock{now: cronT0}
	e, _ := cronEngine(t, "sqlite", clk, nil)
	c, err := e.CreateCronTrigger(ctx, nil, engine.CronRequest{Name: "carols", Pattern: "* * * * *", WorkflowName: "ticked", CreatedBy: "carol"})
	if err != nil {
		t.Fatal(err)
	}
	dave := &engine.Decider{User: "dave", Role: "requester"}
	carol := &engine.Decider{User: "carol", Role: "requester"}
	admin := &engine.Decider{User: "root", Role: "admin", Admin: true}
	if _, err := e.SetCronTriggerState(ctx, dave, "carols", engine.CronPaused); fault.Code(err) != fault.EFORBIDDEN {
		t.Errorf("pause by someone else: %v, want forbidden", err)
	}
	if err := e.DeleteCronTrigger(ctx, dave, "carols"); fault.Code(err) != fault.EFORBIDDEN {
		t.Errorf("delete by someone else: %v, want forbidden", err)
	}
	if _, err := e.SetCronTriggerState(ctx, carol, "carols", engine.CronPaused); err != nil {
		t.Fatal(err)
	}
	clk.set(c.NextExecutionTime.Add(10 * time.Minute))
	runDue(t, e)
	if n := len(triggered(t, e)); n != 0 {
		t.Fatalf("%d executions while paused, want 0", n)
	}
	r, err := e.SetCronTriggerState(ctx, admin, "carols", engine.CronActive)
	if err != nil {
		t.Fatal(err)
	}
	if want := c.NextExecutionTime.Add(11 * time.Minute); !r.NextExecutionTime.Equal(want) {
		t.Errorf("next time after resume %s, want %s", r.NextExecutionTime, want)
	}
	runDue(t, e)
	if n := len(triggered(t, e)); n != 0 {
		t.Fatalf("%d executions at resume, want 0 (the paused times are skipped)", n)
	}
	clk.set(r.NextExecutionTime)
	runDue(t, e)
	if n := len(triggered(t, e)); n != 1 {
		t.Fatalf("%d executions after resume, want 1", n)
	}
	// The workflow cannot go while a trigger starts it.
	if err := e.DeleteWorkflow(ctx, admin, "ticked", ""); fault.Code(err) != fault.EINVALID || !strings.Contains(fault.Message(err), "cron triggers associated") {
		t.Errorf("delete the triggered workflow: %v, want Mistral's refusal", err)
	}
	if err := e.DeleteCronTrigger(ctx, carol, "carols"); err != nil {
		t.Fatal(err)
	}
	if _, err := e.GetCronTrigger(ctx, "carols"); fault.Code(err) != fault.ENOTFOUND {
		t.Errorf("after delete: %v, want not found", err)
	}
}

// TestCronCreateErrors: what Mistral 15 refuses, with its messages.
func TestCronCreateErrors(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	clk := &manualClock{now: cronT0}
	e, _ := cronEngine(t, "sqlite", clk, nil)
	if _, err := e.CreateCronTrigger(ctx, nil, engine.CronRequest{Name: "taken", Pattern: "* * * * *", WorkflowName: "ticked"}); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name string
		req  engine.CronRequest
		code string
		msg  string
	}{
		{"bad pattern", engine.CronRequest{Name: "x", Pattern: "61 * * * *", WorkflowName: "ticked"}, fault.EINVALID, "The specified pattern is not valid: 61 * * * *"},
		{"six fields", engine.CronRequest{Name: "x", Pattern: "0 * * * * *", WorkflowName: "ticked"}, fault.EINVALID, "The specified pattern is not valid: 0 * * * * *"},
		{"a zone", engine.CronRequest{Name: "x", Pattern: "TZ=Europe/Paris * * * * *", WorkflowName: "ticked"}, fault.EINVALID, "The specified pattern is not valid"},
		{"duplicate", engine.CronRequest{Name: "taken", Pattern: "* * * * *", WorkflowName: "ticked"}, fault.ECONFLICT, "Duplicate entry for cron trigger ['name', 'project_id']: taken"},
		{"unknown workflow", engine.CronRequest{Name: "x", Pattern: "* * * * *", WorkflowName: "nope"}, fault.ENOTFOUND, "Workflow not found [workflow_identifier=nope, namespace=]"},
		{"first time in the past", engine.CronRequest{Name: "x", FirstExecutionTime: "2026-12-07 09:00", WorkflowName: "ticked"}, fault.EINVALID, "first_execution_time must be at least 1 minute in the future."},
		{"first time too soon", engine.CronRequest{Name: "x", FirstExecutionTime: "2026-12-07 10:01", WorkflowName: "ticked"}, fault.EINVALID, "first_execution_time must be at least 1 minute in the future."},
		{"bad first time", engine.CronRequest{Name: "x", FirstExecutionTime: "tomorrow", WorkflowName: "ticked"}, fault.EINVALID, "first_execution_time"},
		{"neither", engine.CronRequest{Name: "x", WorkflowName: "ticked"}, fault.EINVALID, "Pattern or first_execution_time must be specified."},
		{"count without pattern", engine.CronRequest{Name: "x", FirstExecutionTime: "2026-12-08 10:00", RemainingExecutions: intPtr(2), WorkflowName: "ticked"}, fault.EINVALID, "Pattern must be provided if count is superior to 1."},
		{"zero executions", engine.CronRequest{Name: "x", Pattern: "* * * * *", RemainingExecutions: intPtr(0), WorkflowName: "ticked"}, fault.EINVALID, "remaining_executions"},
		{"no name", engine.CronRequest{Pattern: "* * * * *", WorkflowName: "ticked"}, fault.EINVALID, "field/attribute name"},
		{"long name", engine.CronRequest{Name: strings.Repeat("n", 201), Pattern: "* * * * *", WorkflowName: "ticked"}, fault.EINVALID, "field/attribute name"},
		{"no workflow", engine.CronRequest{Name: "x", Pattern: "* * * * *"}, fault.EINVALID, "workflow_name"},
		{"bad input", engine.CronRequest{Name: "x", Pattern: "* * * * *", WorkflowName: "ticked", WorkflowInput: map[string]any{"whom": 1}}, fault.EINVALID, "unexpected=['whom']"},
		{"bad scope", engine.CronRequest{Name: "x", Pattern: "* * * * *", WorkflowName: "ticked", Scope: "galactic"}, fault.EINVALID, "field/attribute scope"},
	} {
		_, err := e.CreateCronTrigger(ctx, nil, c.req)
		if fault.Code(err) != c.code || !strings.Contains(fault.Message(err), c.msg) {
			t.Errorf("%s: %v (%s), want %s containing %q", c.name, err, fault.Code(err), c.code, c.msg)
		}
	}
	list, err := e.ListCronTriggers(ctx)
	if err != nil || len(list) != 1 {
		t.Errorf("after the refusals: %d triggers (%v), want only the first", len(list), err)
	}
}

// TestCronOneExecutionAcrossReplicas: two engines over one PostgreSQL
// database fire the same due times at once, through their job workers and
// directly (as a replica that read the trigger before the other's commit
// would): each due time gives exactly one execution.
func TestCronOneExecutionAcrossReplicas(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	clk := &manualClock{now: cronT0}
	a, st := cronEngine(t, "postgres", clk, nil)
	b := engine.New(engine.Config{Store: st, Clock: clk})
	c, err := a.CreateCronTrigger(ctx, nil, engine.CronRequest{Name: "shared", Pattern: "* * * * *", WorkflowName: "ticked"})
	if err != nil {
		t.Fatal(err)
	}
	due := c.NextExecutionTime
	for round := 1; round <= 5; round++ {
		clk.set(due)
		var wg sync.WaitGroup
		errs := make(chan error, 4)
		start := make(chan struct{})
		for _, e := range []*engine.Engine{a, b} {
			wg.Add(2)
			go func() {
				defer wg.Done()
				<-start
				_, err := engine.RunDueJobs(ctx, e)
				errs <- err
			}()
			go func() {
				defer wg.Done()
				<-start
				errs <- engine.FireCron(ctx, e, c.ID, due)
			}()
		}
		close(start)
		wg.Wait()
		close(errs)
		for err := range errs {
			if err != nil {
				t.Fatal(err)
			}
		}
		if n := len(triggered(t, a)); n != round {
			t.Fatalf("after %d due times: %d executions, want %d", round, n, round)
		}
		due = due.Add(time.Minute)
	}
}

// TestCronWorkflowCannotStart: a trigger whose workflow no longer accepts
// its input (the workflow changed since) stops at its due time, saying
// why, instead of failing again and again.
func TestCronWorkflowCannotStart(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	clk := &manualClock{now: cronT0}
	e, _ := cronEngine(t, "sqlite", clk, nil)
	c, err := e.CreateCronTrigger(ctx, nil, engine.CronRequest{Name: "stale", Pattern: "* * * * *", WorkflowName: "ticked",
		WorkflowInput: map[string]any{"who": "cron"}})
	if err != nil {
		t.Fatal(err)
	}
	changed := strings.Replace(cronWorkflow, "    - who: nobody\n", "    - whom\n", 1)
	if _, err := e.UpdateWorkflows(ctx, nil, changed, "", ""); err != nil {
		t.Fatal(err)
	}
	clk.set(c.NextExecutionTime)
	runDue(t, e)
	if n := len(triggered(t, e)); n != 0 {
		t.Fatalf("%d executions, want 0", n)
	}
	c, err = e.GetCronTrigger(ctx, "stale")
	if err != nil {
		t.Fatal(err)
	}
	want := "The execution due at 2026-12-07 10:01:00 UTC could not start: Invalid input"
	if c.State != engine.CronStopped || c.StateInfo == nil || !strings.HasPrefix(*c.StateInfo, want) {
		t.Errorf("state %s (%v), want STOPPED with %q…", c.State, c.StateInfo, want)
	}
	// Its job is gone: nothing runs again.
	if n, err := engine.RunDueJobs(ctx, e); err != nil || n != 0 {
		t.Errorf("jobs run after the stop: %d (%v), want 0", n, err)
	}
}

// TestCronResumeFirstTimeOnly: a trigger with only a first time, paused
// past it, fires at once when resumed (at a whole second, so that its job
// matches the stored time), and goes after that one execution; making a
// trigger public needs an admin, as in Mistral 15.0.0-1+deb12u1.
func TestCronResumeFirstTimeOnly(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	clk := &manualClock{now: cronT0}
	e, _ := cronEngine(t, "sqlite", clk, nil)
	erin := &engine.Decider{User: "erin", Role: "requester"}
	if _, err := e.CreateCronTrigger(ctx, erin, engine.CronRequest{Name: "pub", Pattern: "* * * * *", WorkflowName: "ticked", Scope: "public", CreatedBy: "erin"}); fault.Code(err) != fault.EFORBIDDEN {
		t.Errorf("a public trigger by a requester: %v, want forbidden", err)
	}
	if _, err := e.CreateCronTrigger(ctx, erin, engine.CronRequest{Name: "once", FirstExecutionTime: "2026-12-07 11:00", WorkflowName: "ticked", CreatedBy: "erin"}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.SetCronTriggerState(ctx, erin, "once", engine.CronPaused); err != nil {
		t.Fatal(err)
	}
	clk.set(time.Date(2026, 12, 7, 12, 30, 15, 123456789, time.UTC))
	runDue(t, e)
	r, err := e.SetCronTriggerState(ctx, erin, "once", engine.CronActive)
	if err != nil {
		t.Fatal(err)
	}
	if want := time.Date(2026, 12, 7, 12, 30, 15, 0, time.UTC); !r.NextExecutionTime.Equal(want) {
		t.Errorf("next time at resume %s, want %s", r.NextExecutionTime, want)
	}
	runDue(t, e)
	if n := len(triggered(t, e)); n != 1 {
		t.Fatalf("%d executions after resume, want 1", n)
	}
	if _, err := e.GetCronTrigger(ctx, "once"); fault.Code(err) != fault.ENOTFOUND {
		t.Errorf("the one-time trigger is still there (%v)", err)
	}
}

// TestCronKeepsKeyOrder: a trigger keeps its workflow input and params in
// the order they were written, and so does the execution it starts.
func TestCronKeepsKeyOrder(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	clk := &manualClock{now: cronT0}
	e, _ := cronEngine(t, "sqlite", clk, nil)
	c, err := e.CreateCronTrigger(ctx, nil, engine.CronRequest{Name: "ordered", Pattern: "* * * * *", WorkflowName: "ticked",
		WorkflowParams: map[string]any{"evaluate_env": false, "env": map[string]any{}}, WorkflowParamsOrder: []string{"evaluate_env", "env"},
		CreatedBy: "alice"})
	if err != nil {
		t.Fatal(err)
	}
	if want := `{"evaluate_env": false, "env": {}}`; c.WorkflowParamsJSON != want {
		t.Errorf("trigger params %s, want %s", c.WorkflowParamsJSON, want)
	}
	clk.set(c.NextExecutionTime)
	runDue(t, e)
	got := triggered(t, e)
	if len(got) != 1 {
		t.Fatalf("%d executions, want 1", len(got))
	}
	if want := `{"evaluate_env": false, "env": {}, "namespace": ""}`; got[0].ParamsJSON != want {
		t.Errorf("execution params %s, want %s", got[0].ParamsJSON, want)
	}
}
