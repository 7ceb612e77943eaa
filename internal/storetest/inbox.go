package storetest

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/sirocco-project/sirocco/internal/engine"
)

// seedInbox writes one execution and, for i in [0, n), a task and an action
// execution created i seconds after t0. Every third action is synchronous,
// every fifth is finished, so neither belongs in the inbox; the task of
// action 4 has a timeout job.
func seedInbox(t *testing.T, s engine.Store, n int) (pending []string) {
	t.Helper()
	ctx := context.Background()
	err := s.Update(ctx, func(tx engine.Tx) error {
		ex := &engine.Execution{ID: "ex", WorkflowID: "wf", WorkflowName: "wf", State: engine.StateRunning,
			ParamsJSON: "{}", InputJSON: `{"requester": "Zed"}`, OutputJSON: "{}", ContextJSON: "{}", Definition: "x", ProjectID: "p", CreatedAt: t0, UpdatedAt: t0,
			Description: "Ticket 7: a VM", CreatedBy: "carol"}
		if err := tx.CreateExecution(ctx, ex); err != nil {
			return err
		}
		for i := 0; i < n; i++ {
			at := t0.Add(time.Duration(i) * time.Second)
			wf := []string{"approve", "provision"}[i%2]
			task := &engine.Task{ID: fmt.Sprintf("t%02d", i), Name: fmt.Sprintf("step%d", i%4), Type: engine.TaskTypeAction, WorkflowExecutionID: "ex",
				WorkflowName: wf, WorkflowID: "wf", State: engine.StateRunning, RuntimeContextJSON: "{}", InContextJSON: "{}",
				PublishedJSON: "{}", ResultJSON: "null", ProjectID: "p", CreatedAt: at, UpdatedAt: at}
			if err := tx.CreateTask(ctx, task); err != nil {
				return err
			}
			state := engine.StateRunning
			switch {
			case i%5 == 0:
				state = engine.StateSuccess
			case i%7 == 0:
				state = engine.StatePaused
			}
			name, waits := "std.async_noop", engine.WaitsForPerson
			var request *string
			if i%2 == 1 {
				name, waits = "std.mistral_http", engine.WaitsForService
				r := fmt.Sprintf(`{"body": "", "headers": {"Content-Type": "application/json"}, "method": "POST", "url": "http://svc/vms/%d"}`, i)
				request = &r
			}
			a := &engine.ActionExecution{ID: fmt.Sprintf("a%02d", i), Name: name, WorkflowName: &wf, TaskName: &task.Name,
				TaskExecutionID: &task.ID, WorkflowExecutionID: &ex.ID, State: state, ProjectID: "p", Async: i%3 != 0,
				InputJSON: fmt.Sprintf(`{"requester": "User%d", "note": "100%% sure"}`, i), CreatedAt: at, UpdatedAt: at,
				WaitsFor: waits, RequestJSON: request}
			if !a.Async {
				a.WaitsFor = ""
			}
			if err := tx.CreateActionExecution(ctx, a); err != nil {
				return err
			}
			if a.Async && !state.Completed() {
				pending = append(pending, a.ID)
			}
		}
		return tx.AddJob(ctx, &engine.Job{Kind: engine.JobTaskTimeout, Ref: "t04", DueAt: t0.Add(time.Hour)})
	})
	if err != nil {
		t.Fatal(err)
	}
	return pending
}

func inboxIDs(p *engine.InboxPage) []string {
	out := []string{}
	for _, it := range p.Items {
		out = append(out, it.ID)
	}
	return out
}

// testInbox: the inbox holds pending asynchronous actions only, oldest or
// newest first, in keyset pages both ways; its filters, its search (literal,
// case-insensitive, of the action's input and its execution's) and its
// counts; its facets; a task's timeout.
func testInbox(t *testing.T, h Harness) {
	s, _ := h.Open(t)
	pending := seedInbox(t, s, 30)
	ctx := context.Background()

	t.Run("all, oldest first, with counts and deadline", func(t *testing.T) {
		p, err := s.Inbox(ctx, engine.InboxQuery{Limit: 100})
		if err != nil {
			t.Fatal(err)
		}
		if got := inboxIDs(p); !slices.Equal(got, pending) {
			t.Errorf("ids = %v, want %v", got, pending)
		}
		if p.Pending != len(pending) || p.Matching != len(pending) {
			t.Errorf("counts = %d, %d; want %d", p.Pending, p.Matching, len(pending))
		}
		services := 0
		for _, it := range p.Items {
			var i int
			fmt.Sscanf(it.ID, "a%d", &i)
			want := engine.WaitsForPerson
			if i%2 == 1 {
				want = engine.WaitsForService
				services++
				if w := fmt.Sprintf("POST http://svc/vms/%d", i); it.RequestLine != w {
					t.Errorf("%s: request = %q, want %q", it.ID, it.RequestLine, w)
				}
			} else if it.RequestLine != "" {
				t.Errorf("%s: request = %q, want none", it.ID, it.RequestLine)
			}
			if it.WaitsFor != want || it.Description != "Ticket 7: a VM" || it.StartedBy != "carol" {
				t.Errorf("%s: waits for %q, description %q, started by %q; want %q, Ticket 7: a VM, carol", it.ID, it.WaitsFor, it.Description, it.StartedBy, want)
			}
		}
		if p.Services != services || services == 0 {
			t.Errorf("services = %d, want %d", p.Services, services)
		}
		if p.Next != nil || p.Prev != nil {
			t.Errorf("cursors = %v, %v; want none", p.Next, p.Prev)
		}
		for _, it := range p.Items {
			if (it.TimeoutAt != nil) != (it.TaskExecutionID == "t04") {
				t.Errorf("%s: timeout = %v", it.ID, it.TimeoutAt)
			}
			if it.TimeoutAt != nil && !it.TimeoutAt.Equal(t0.Add(time.Hour)) {
				t.Errorf("timeout = %v, want %v", it.TimeoutAt, t0.Add(time.Hour))
			}
		}
	})

	t.Run("newest first", func(t *testing.T) {
		p, err := s.Inbox(ctx, engine.InboxQuery{Newest: true, Limit: 100})
		if err != nil {
			t.Fatal(err)
		}
		want := slices.Clone(pending)
		slices.Reverse(want)
		if got := inboxIDs(p); !slices.Equal(got, want) {
			t.Errorf("ids = %v, want %v", got, want)
		}
	})

	for _, newest := range []bool{false, true} {
		t.Run(fmt.Sprintf("keyset pages forward and back (newest %v)", newest), func(t *testing.T) {
			want := slices.Clone(pending)
			if newest {
				slices.Reverse(want)
			}
			var got []string
			var pages []*engine.InboxPage
			q := engine.InboxQuery{Newest: newest, Limit: 4}
			for {
				p, err := s.Inbox(ctx, q)
				if err != nil {
					t.Fatal(err)
				}
				got = append(got, inboxIDs(p)...)
				pages = append(pages, p)
				if p.Next == nil {
					break
				}
				q.After = p.Next
			}
			if !slices.Equal(got, want) {
				t.Fatalf("forward = %v, want %v", got, want)
			}
			// Back from the last page: each Prev gives the page before.
			last := pages[len(pages)-1]
			q = engine.InboxQuery{Newest: newest, Limit: 4, Before: last.Prev}
			for i := len(pages) - 2; i >= 0; i-- {
				p, err := s.Inbox(ctx, q)
				if err != nil {
					t.Fatal(err)
				}
				if !slices.Equal(inboxIDs(p), inboxIDs(pages[i])) {
					t.Errorf("back to page %d = %v, want %v", i, inboxIDs(p), inboxIDs(pages[i]))
				}
				if (p.Prev == nil) != (i == 0) {
					t.Errorf("page %d: prev = %v", i, p.Prev)
				}
				q.Before = p.Prev
			}
		})
	}

	t.Run("filters, search and counts", func(t *testing.T) {
		for _, tc := range []struct {
			name string
			q    engine.InboxQuery
			keep func(i int) bool
		}{
			{"workflow", engine.InboxQuery{Workflow: "approve"}, func(i int) bool { return i%2 == 0 }},
			{"action", engine.InboxQuery{Action: "std.mistral_http"}, func(i int) bool { return i%2 == 1 }},
			{"task", engine.InboxQuery{Task: "step2"}, func(i int) bool { return i%4 == 2 }},
			{"search is case-insensitive", engine.InboxQuery{Search: "user1"}, func(i int) bool { return fmt.Sprint(i)[0] == '1' }},
			{"search is literal", engine.InboxQuery{Search: "0% s"}, func(int) bool { return true }},
			{"search finds the execution's input", engine.InboxQuery{Search: "zED"}, func(int) bool { return true }},
			{"wildcards do not match", engine.InboxQuery{Search: "1_0"}, func(int) bool { return false }},
			{"waiting for a person", engine.InboxQuery{WaitsFor: engine.WaitsForPerson}, func(i int) bool { return i%2 == 0 }},
			{"waiting for a service", engine.InboxQuery{WaitsFor: engine.WaitsForService}, func(i int) bool { return i%2 == 1 }},
			{"a service's, by workflow", engine.InboxQuery{WaitsFor: engine.WaitsForService, Workflow: "provision"}, func(i int) bool { return i%2 == 1 }},
			{"one id", engine.InboxQuery{ID: "a02"}, func(i int) bool { return i == 2 }},
			{"a finished id", engine.InboxQuery{ID: "a05"}, func(int) bool { return false }},
		} {
			var want []string
			for _, id := range pending {
				var i int
				fmt.Sscanf(id, "a%d", &i)
				if tc.keep(i) {
					want = append(want, id)
				}
			}
			tc.q.Limit = 100
			p, err := s.Inbox(ctx, tc.q)
			if err != nil {
				t.Fatal(err)
			}
			if got := inboxIDs(p); !slices.Equal(got, append([]string{}, want...)) {
				t.Errorf("%s: ids = %v, want %v", tc.name, got, want)
			}
			if p.Matching != len(want) || p.Pending != len(pending) {
				t.Errorf("%s: matching %d of %d, want %d of %d", tc.name, p.Matching, p.Pending, len(want), len(pending))
			}
		}
	})

	t.Run("facets", func(t *testing.T) {
		f, err := s.InboxFacets(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(f.Workflows, []string{"approve", "provision"}) ||
			!slices.Equal(f.Actions, []string{"std.async_noop", "std.mistral_http"}) ||
			!slices.Equal(f.Tasks, []string{"step0", "step1", "step2", "step3"}) {
			t.Errorf("facets = %+v", f)
		}
	})

	t.Run("task timeout", func(t *testing.T) {
		due, err := s.TaskTimeout(ctx, "t04")
		if err != nil || due == nil || !due.Equal(t0.Add(time.Hour)) {
			t.Errorf("TaskTimeout(t04) = %v, %v; want %v", due, err, t0.Add(time.Hour))
		}
		due, err = s.TaskTimeout(ctx, "t02")
		if err != nil || due != nil {
			t.Errorf("TaskTimeout(t02) = %v, %v; want nil", due, err)
		}
	})
}
