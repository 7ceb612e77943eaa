// Package storetest is the contract every store meets: one suite of
// behaviours, run by each store's tests with a constructor (Run), so that
// the SQLite store and the PostgreSQL one (internal/postgres) are held to
// the same promises (River's riverdrivertest is the model).
//
// What belongs here is anything the engine (engine.Store) or the accounts
// (auth.Store) rely on, seen only through those interfaces:
//
//   - guarded transitions: an update whose from-states no longer hold is
//     fault.ErrConflict and changes nothing;
//   - versions: every update of a mutable row is guarded by the version
//     read and increments it (no lost update between two writers);
//   - unknown ids are fault.ENOTFOUND, duplicate names fault.ECONFLICT;
//   - Update is all or nothing per call, whatever runs beside it;
//   - list order, filters and keyset markers; bad list queries EINVALID;
//   - jobs: due order, leases and their owner (only the holder extends
//     or deletes a job), NextJobDue;
//   - values round-trip: times to the microsecond whatever their zone,
//     JSON text verbatim (key order, spacing, \u0000 escapes), timeline
//     notes of any bytes (NUL and control characters; invalid UTF-8 reads
//     back as U+FFFD);
//   - the inbox: pending asynchronous actions only, case-insensitive literal
//     search of their input and their execution's, keyset pages both ways;
//   - deleting an execution takes its jobs, timeline and callback tokens;
//   - who started an execution never changes;
//   - approval votes: one per person, in the order first cast, replaced in
//     place, deleted with their execution; audit records: one gapless
//     hash chain whatever commits together or fails, paged newest first
//     with filters, kept when their execution or user is deleted.
//   - idempotency answers: read back as written, per scope, swept by age.
//   - login throttle records: read back as written, zero from their Until
//     by the caller's clock, increments in concurrent transactions never
//     lost, a bounded sweep of expired records and a cap on the table.
//   - notification deliveries: read back as written, per execution,
//     version-guarded, deleted with their execution's tree.
//   - replicas: heartbeats upsert, the live list is bounded by time and
//     ordered, old rows are swept.
//   - claims on approvals: one per action, version-guarded, only live
//     ones listed, deleted with their execution.
//   - the retention purge: finished root trees due by age or count, with
//     everything hanging off them but their audit records, never a tree
//     with a running sub-execution, at most Limit records a call, roots
//     last; EnsureJob leaves one job per kind and ref.
//
// What a single technology does on its own (SQLite's pragmas, its read
// pool, the writer's batches and reruns, checkpoints, backups, query plans,
// migrations of old layouts) is tested in that store's package.
package storetest

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/sirocco-project/sirocco/internal/auth"
	"github.com/sirocco-project/sirocco/internal/engine"
)

// Harness is what a store's tests give the suite.
type Harness struct {
	// Open returns a new, empty store and the accounts store over the same
	// database. It is called from parallel subtests. The store stays open
	// until t ends (Open registers its Close with t.Cleanup); a store
	// closed before by the suite must tolerate that second Close.
	Open func(t *testing.T) (engine.Store, auth.Store)
	// Serial is true for a store that runs one write transaction at a time
	// (SQLite): the race cases then run the competing transaction inside
	// the paused one (see races.go).
	Serial bool
}

// Run runs the suite against the store h opens, one parallel subtest per
// behaviour.
func Run(t *testing.T, h Harness) {
	for _, c := range []struct {
		name string
		run  func(*testing.T, Harness)
	}{
		{"GuardedUpdate", testGuardedUpdate},
		{"VersionGuard", testVersionGuard},
		{"NotFound", testNotFound},
		{"Definitions", testDefinitions},
		{"Environments", testEnvironments},
		{"FailedUpdateLeavesNothing", testFailedUpdateLeavesNothing},
		{"ConcurrentUpdatesSucceedOrFailAlone", testConcurrentUpdates},
		{"UpdateAfterClose", testUpdateAfterClose},
		{"ListQueries", testListQueries},
		{"OldestFirst", testOldestFirst},
		{"CountTasks", testCountTasks},
		{"Jobs", testJobs},
		{"JobLeaseOwner", testJobLeaseOwner},
		{"TimeRoundTrip", testTimeRoundTrip},
		{"JSONVerbatim", testJSONVerbatim},
		{"Timeline", testTimeline},
		{"GetActionScope", testGetActionScope},
		{"DeleteExecutionTakesItsJobs", testDeleteExecutionTakesItsJobs},
		{"Inbox", testInbox},
		{"InboxSearch", testInboxSearch},
		{"CreatedBy", testCreatedBy},
		{"ApprovalVotes", testApprovalVotes},
		{"Waiting", testWaiting},
		{"Audit", testAudit},
		{"AuditChain", testAuditChain},
		{"ListAudit", testListAudit},
		{"AuditOutlivesItsSubjects", testAuditOutlivesItsSubjects},
		{"LadderRecords", testLadderRecords},
		{"AuthStore", testAuthStore},
		{"DeleteUserSessionsAndTokens", testDeleteUserSessionsAndTokens},
		{"AuthTxReadsItsWrites", testAuthTxReadsItsWrites},
		{"UserEmail", testUserEmail},
		{"Idempotency", testIdempotency},
		{"LoginFailures", testLoginFailures},
		{"LoginFailuresSerialised", testLoginFailuresSerialised},
		{"LoginFailuresSweep", testLoginFailuresSweep},
		{"LoginFailuresCap", testLoginFailuresCap},
		{"Replicas", testReplicas},
		{"Deliveries", testDeliveries},
		{"ActionDeliveries", testActionDeliveries},
		{"DecisionLinks", testDecisionLinks},
		{"CronTriggers", testCronTriggers},
		{"Claims", testClaims},
		{"PurgeExecutions", testPurgeExecutions}, {"PurgeKeep", testPurgeKeep}, {"PurgeBatches", testPurgeBatches}, {"EnsureJob", testEnsureJob},
		{"RacePublish", testRacePublish},
		{"RaceSubworkflowEnd", testRaceSubworkflowEnd},
		{"RaceLeaseTakeover", testRaceLeaseTakeover},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			c.run(t, h)
		})
	}
}

var t0 = time.Date(2026, 11, 27, 21, 0, 0, 0, time.UTC)

// update runs fn in one write transaction and fails the test if it fails.
func update(t *testing.T, s engine.Store, fn func(ctx context.Context, tx engine.Tx) error) {
	t.Helper()
	ctx := context.Background()
	if err := s.Update(ctx, func(tx engine.Tx) error { return fn(ctx, tx) }); err != nil {
		t.Fatal(err)
	}
}

// execution returns a running execution created at.
func execution(id string, at time.Time) *engine.Execution {
	return &engine.Execution{ID: id, WorkflowID: "wf", WorkflowName: "wf", State: engine.StateRunning,
		ParamsJSON: "{}", InputJSON: "{}", OutputJSON: "{}", ContextJSON: "{}", Definition: "x", ProjectID: "p", CreatedAt: at, UpdatedAt: at}
}

// task returns a running task of execution exID created at.
func task(id, exID string, at time.Time) *engine.Task {
	return &engine.Task{ID: id, Name: "t", Type: engine.TaskTypeAction, WorkflowExecutionID: exID, WorkflowName: "wf",
		WorkflowID: "wf", State: engine.StateRunning, RuntimeContextJSON: "{}", InContextJSON: "{}", PublishedJSON: "{}",
		ResultJSON: "null", ProjectID: "p", CreatedAt: at, UpdatedAt: at}
}

// seed writes an execution "ex" with one task "task" and n action
// executions a00, a01, …, the i-th created i seconds after t0; every third
// (a00, a03, …) has succeeded, the others run.
func seed(t *testing.T, s engine.Store, n int) {
	t.Helper()
	update(t, s, func(ctx context.Context, tx engine.Tx) error {
		ex := execution("ex", t0)
		if err := tx.CreateExecution(ctx, ex); err != nil {
			return err
		}
		tk := task("task", "ex", t0)
		if err := tx.CreateTask(ctx, tk); err != nil {
			return err
		}
		for i := 0; i < n; i++ {
			state := engine.StateRunning
			if i%3 == 0 {
				state = engine.StateSuccess
			}
			at := t0.Add(time.Duration(i) * time.Second)
			a := &engine.ActionExecution{ID: fmt.Sprintf("a%02d", i), Name: "std.async_noop", TaskExecutionID: &tk.ID,
				WorkflowExecutionID: &ex.ID, State: state, ProjectID: "p", InputJSON: "{}", CreatedAt: at, UpdatedAt: at}
			if err := tx.CreateActionExecution(ctx, a); err != nil {
				return err
			}
		}
		return nil
	})
}

func ids(list []*engine.ActionExecution) []string {
	out := make([]string, len(list))
	for i, a := range list {
		out[i] = a.ID
	}
	return out
}

// claim leases the jobs due by now (up to 1,000), for a minute.
func claim(t *testing.T, s engine.Store, now time.Time) []*engine.Job {
	t.Helper()
	var jobs []*engine.Job
	update(t, s, func(ctx context.Context, tx engine.Tx) error {
		var err error
		jobs, err = tx.ClaimJobs(ctx, "worker", now, now.Add(time.Minute), 1000)
		return err
	})
	return jobs
}
