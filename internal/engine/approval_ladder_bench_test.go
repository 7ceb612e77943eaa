package engine_test

import (
	"bufio"
	"context"
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/sirocco-project/sirocco/internal/engine"
	"github.com/sirocco-project/sirocco/internal/sqlite"
)

// BenchmarkPendingLadders holds 10,000 pending approvals, each with a
// whole ladder (reminders, an escalation, a timeout decision), in a
// SQLite store, and reports what they cost: rss-MB is the growth of the
// process's resident set (after a GC that returns freed memory to the
// system) from the empty server to the 10,000 waiting, then with a rung
// fired for each; job-rows is the job rows they hold (one each: the next
// rung); rungs/s how fast the first rung of all of them fires. "none" is
// the same approvals without a ladder, for comparison. Run each alone:
// the first run in a process also pays for warming the heap and SQLite's
// caches, which a second run finds ready.
//
//	go test ./internal/engine -run '^$' -bench 'PendingLadders/ladder' -benchtime 1x
//	go test ./internal/engine -run '^$' -bench 'PendingLadders/none' -benchtime 1x
func BenchmarkPendingLadders(b *testing.B) {
	const pending = 10_000
	const flow = `version: '2.0'
laddered:
  input: [n]
  tasks:
    ask:
      action: std.approval
      input:
        title: Request <% $.n %>
        approvers: [group:finance]
`
	const ladder = `        remind_after: 30m
        remind_every: 4h
        remind_max: 3
        escalate_after: 1d
        escalate_to: [group:leads]
        timeout: 3d
        on_timeout: {state: ERROR, output: nobody decided}
`
	for _, c := range []struct{ name, flow string }{{"ladder", flow + ladder}, {"none", flow}} {
		b.Run(c.name, func(b *testing.B) { benchPending(b, pending, c.flow) })
	}
}

func benchPending(b *testing.B, pending int, flow string) {
	for range b.N {
		ctx := context.Background()
		st, err := sqlite.Open(ctx, filepath.Join(b.TempDir(), "bench.db"), sqlite.Options{Sync: sqlite.SyncNormal})
		if err != nil {
			b.Fatal(err)
		}
		start := time.Date(2026, 12, 7, 9, 0, 0, 0, time.UTC)
		clock := &manualClock{now: start}
		e := engine.New(engine.Config{Store: st, BaseURL: "http://bench", Clock: clock})
		if _, err := e.CreateWorkflows(ctx, nil, flow, "", ""); err != nil {
			b.Fatal(err)
		}
		base := residentMB(b)
		for n := range pending {
			if _, err := e.StartExecution(ctx, engine.StartRequest{WorkflowName: "laddered", Input: map[string]any{"n": n}}); err != nil {
				b.Fatal(err)
			}
		}
		waiting := residentMB(b) - base
		rows := jobRows(b, st)

		clock.advance(30 * time.Minute)
		t0 := time.Now()
		ran, err := engine.RunDueJobs(ctx, e)
		if err != nil || ran != rows {
			b.Fatalf("first rungs: %d ran (%v), want %d", ran, err, rows)
		}
		rate := float64(ran) / time.Since(t0).Seconds()
		reminded := residentMB(b) - base
		if after := jobRows(b, st); after != rows {
			b.Fatalf("job rows after the first rungs: %d, want %d", after, rows)
		}
		p, err := e.Inbox(ctx, engine.InboxQuery{Limit: 1})
		if err != nil || p.Pending != pending {
			b.Fatalf("pending: %v (%v)", p, err)
		}
		st.Close()
		b.ReportMetric(waiting, "rss-MB")
		b.ReportMetric(reminded, "rss-MB-reminded")
		b.ReportMetric(float64(rows), "job-rows")
		if ran > 0 {
			b.ReportMetric(rate, "rungs/s")
		}
	}
}

// residentMB is the process's resident set in MB after a GC that returns
// freed memory to the system.
func residentMB(b *testing.B) float64 {
	b.Helper()
	runtime.GC()
	debug.FreeOSMemory()
	f, err := os.Open("/proc/self/status")
	if err != nil {
		b.Skipf("no /proc/self/status: %v", err)
	}
	defer f.Close()
	s := bufio.NewScanner(f)
	for s.Scan() {
		if rest, ok := strings.CutPrefix(s.Text(), "VmRSS:"); ok {
			kb, err := strconv.Atoi(strings.TrimSuffix(strings.TrimSpace(rest), " kB"))
			if err != nil {
				b.Fatal(err)
			}
			return float64(kb) / 1024
		}
	}
	b.Fatal("no VmRSS in /proc/self/status")
	return 0
}

// errCounted rolls back the transaction that counted the job rows.
var errCounted = errors.New("counted")

// jobRows counts the job rows of st: it claims all of them in a
// transaction it rolls back.
func jobRows(b *testing.B, st engine.Store) int {
	b.Helper()
	var n int
	far := time.Date(9000, 1, 1, 0, 0, 0, 0, time.UTC)
	err := st.Update(context.Background(), func(tx engine.Tx) error {
		jobs, err := tx.ClaimJobs(context.Background(), "count", far, far, 1<<30)
		n = len(jobs)
		if err != nil {
			return err
		}
		return errCounted
	})
	if !errors.Is(err, errCounted) {
		b.Fatal(err)
	}
	return n
}
