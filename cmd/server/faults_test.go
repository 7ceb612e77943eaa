package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sirocco-project/sirocco/internal/engine"
	"github.com/sirocco-project/sirocco/internal/pgtest"
	"github.com/sirocco-project/sirocco/internal/postgres"
)

// The fault tests run replicas of the server binary over one PostgreSQL
// database and break them: kill -9 (TestFaultReplicas), a restart of the
// database (TestFaultDatabaseRestart), requests racing on two replicas
// (TestFaultRacingReplicas). CI runs them once, not again under -race.

// faultJobLease is the replicas' -job-lease: the jobs a killed replica
// had claimed run elsewhere this long after it last renewed them.
const faultJobLease = 3 * time.Second

// faultSeed is the seed of a fault test: SIROCCO_FAULT_SEED replays a run's
// kill moments, outages and results (goroutine scheduling is not replayed).
func faultSeed(t *testing.T) (uint64, *rand.Rand) {
	t.Helper()
	seed := uint64(time.Now().UnixNano())
	if s := os.Getenv("SIROCCO_FAULT_SEED"); s != "" {
		n, err := strconv.ParseUint(s, 10, 64)
		if err != nil {
			t.Fatalf("SIROCCO_FAULT_SEED=%q: %v", s, err)
		}
		seed = n
	}
	t.Logf("seed %d (SIROCCO_FAULT_SEED=%d replays it)", seed, seed)
	return seed, rand.New(rand.NewPCG(seed, 0))
}

// replica is one replica's address and its current process; each process
// (incarnation) writes a job log of its own.
type replica struct {
	addr  string
	p     *process
	life  *incarnation
	lives []*incarnation
}

// incarnation is one process of a replica: its job log, and when it was
// killed (zero while it runs).
type incarnation struct {
	jobLog string
	killed time.Time
}

// faultCluster runs replicas of bin over the database dsn.
type faultCluster struct {
	t        *testing.T
	bin, dsn string
	dir      string // the job logs
	replicas []*replica
	seq      int
}

func newFaultCluster(t *testing.T, n int, dsn string) *faultCluster {
	c := &faultCluster{t: t, bin: buildServer(t), dsn: dsn, dir: t.TempDir()}
	for range n {
		r := &replica{addr: "127.0.0.1:0"}
		c.start(r)
		r.addr = strings.TrimPrefix(r.p.URL, "http://") // fixed from now on
		c.replicas = append(c.replicas, r)
	}
	return c
}

func (c *faultCluster) start(r *replica) {
	c.seq++
	life := &incarnation{jobLog: filepath.Join(c.dir, fmt.Sprintf("jobs-%d.jsonl", c.seq))}
	r.p = startProcess(c.t, c.bin, "-addr", r.addr, "-db", c.dsn, "-seed=false",
		"-job-lease", faultJobLease.String(), "-job-log", life.jobLog)
	r.life = life
	r.lives = append(r.lives, life)
}

func (c *faultCluster) kill(r *replica) {
	r.p.kill(c.t)
	r.life.killed = time.Now() // after the process is gone
}

func (c *faultCluster) bases() []string {
	var out []string
	for _, r := range c.replicas {
		out = append(out, "http://"+r.addr)
	}
	return out
}

// TestFaultReplicas runs three replicas under the crash test's load and,
// over at least ten cycles, kills one of them (sometimes two) with SIGKILL
// at a random moment and restarts it. Requests go to the replicas in
// turn; one refused by a dead replica is retried on the next. At the end:
// no acknowledged write is lost, every workflow whose callbacks were
// delivered finished, every timer fired once, and the replicas' job logs
// show no job running on two replicas at once.
func TestFaultReplicas(t *testing.T) {
	if testing.Short() {
		t.Skip("kills and restarts replicas for about 30 s; skipped with -short")
	}
	t.Parallel()
	seed, rng := faultSeed(t)
	c := newFaultCluster(t, 3, pgtest.DSN(t))
	web := newCrashWeb()
	hook := httptest.NewServer(web)
	t.Cleanup(hook.Close)
	createWorkflow(t, c.bases()[0], crashWorkflows)

	r := &crashRun{t: t, seed: seed, bases: c.bases(), hook: hook.URL, web: web,
		client: &http.Client{Timeout: 10 * time.Second}}
	var drivers sync.WaitGroup
	for i := range crashDrivers {
		drivers.Go(func() { r.drive(i) })
	}

	const cycles = 10
	kills := 0
	for cycle := 1; cycle <= cycles; cycle++ {
		// The random moment: the only sleep that is about timing.
		time.Sleep(time.Duration(150+rng.IntN(1350)) * time.Millisecond)
		victims := []*replica{c.replicas[rng.IntN(3)]}
		if rng.IntN(4) == 0 { // two at once: one replica is left
			other := c.replicas[rng.IntN(3)]
			for other == victims[0] {
				other = c.replicas[rng.IntN(3)]
			}
			victims = append(victims, other)
		}
		for _, v := range victims {
			c.kill(v)
			kills++
		}
		down := time.Now()
		// Some outages outlast a timer (1 s, 2 s) and the job lease.
		outage := time.Duration(rng.IntN(300)) * time.Millisecond
		if rng.IntN(3) == 0 {
			outage = time.Duration(1200+rng.IntN(2400)) * time.Millisecond
		}
		time.Sleep(outage)
		for _, v := range victims {
			c.start(v)
		}
		r.addOutage(down, time.Now()) // of some replicas: the others ran
		if t.Failed() {
			break
		}
	}

	r.stopping.Store(true)
	finished := make(chan struct{})
	go func() { drivers.Wait(); close(finished) }()
	select {
	case <-finished:
	case <-time.After(7 * crashStep):
		t.Fatalf("the drivers did not finish within %v", 7*crashStep)
	}
	r.verify()
	r.verifyTimersOnce()
	c.verifyJobLogs()
	t.Logf("%d cycles, %d kills (kill -9, restart) of 3 replicas; answers by status %v", cycles, kills, r.statuses)
}

// verifyTimersOnce checks that each timer's task ran once: one task with
// one action execution where a timer (wait-before, timeout) led.
func (r *crashRun) verifyTimersOnce() {
	r.mu.Lock()
	defer r.mu.Unlock()
	timers := 0
	for _, w := range r.workflows {
		if !w.delivered {
			continue
		}
		var once []string // tasks a timer started or ended
		switch w.kind {
		case "crash_wait":
			once = []string{"tick"}
		case "crash_http":
			once = []string{"later"}
		case "crash_timeout":
			once = []string{"stuck", "handled"}
		}
		for _, task := range once {
			n, ids := r.tasksNamed(w.id, task)
			if n != 1 || len(ids) != 1 {
				r.t.Errorf("%s %s: %d tasks %s with action executions %v, want one with one (its timer fired once)", w.kind, w.id, n, task, ids)
			}
			timers++
		}
	}
	r.t.Logf("%d tasks behind a timer ran exactly once", timers)
}

// tasksNamed counts an execution's tasks named task and lists their action
// executions.
func (r *crashRun) tasksNamed(exID, task string) (int, []string) {
	n := 0
	var ids []string
	tasks, _ := r.get("/v2/executions/" + exID + "/tasks")["tasks"].([]any)
	for _, tk := range tasks {
		tk := tk.(map[string]any)
		if tk["name"] != task {
			continue
		}
		n++
		acts, _ := r.get("/v2/tasks/" + tk["id"].(string) + "/action_executions")["action_executions"].([]any)
		for _, a := range acts {
			ids = append(ids, a.(map[string]any)["id"].(string))
		}
	}
	return n, ids
}

// jobRun is a job's run on one replica, from its job log: from the start
// (logged after the claim committed) to the end (logged after the job's
// transaction committed), or to the kill of the process when it logged no
// end.
type jobRun struct {
	owner, kind, ref string
	from, to         time.Time
	killed           bool
}

// verifyJobLogs reads every process's job log and checks that no job ran
// on two replicas (or twice on one) at the same time.
func (c *faultCluster) verifyJobLogs() {
	t := c.t
	now := time.Now()
	runs := map[int64][]*jobRun{}
	lines, cut := 0, 0
	for _, r := range c.replicas {
		for _, life := range r.lives {
			f, err := os.Open(life.jobLog)
			if err != nil {
				t.Errorf("job log: %v", err)
				continue
			}
			open := map[int64]*jobRun{}
			owners := map[string]bool{}
			sc := bufio.NewScanner(f)
			for sc.Scan() {
				lines++
				var e engine.JobLogEntry
				if err := json.Unmarshal(sc.Bytes(), &e); err != nil {
					t.Errorf("%s: a line that is not whole: %q: %v", life.jobLog, sc.Text(), err)
					continue
				}
				owners[e.Owner] = true
				switch e.Event {
				case engine.JobStarted:
					if open[e.Job] != nil {
						t.Errorf("%s: job %d started twice without an end", life.jobLog, e.Job)
					}
					run := &jobRun{owner: e.Owner, kind: e.Kind, ref: e.Ref, from: e.At}
					open[e.Job] = run
					runs[e.Job] = append(runs[e.Job], run)
				case engine.JobEnded:
					run := open[e.Job]
					if run == nil {
						t.Errorf("%s: job %d ended without a start", life.jobLog, e.Job)
						continue
					}
					run.to = e.At
					delete(open, e.Job)
				}
			}
			f.Close()
			if len(owners) > 1 {
				t.Errorf("%s: one process logged as %d lease owners %v", life.jobLog, len(owners), owners)
			}
			for _, run := range open {
				// Still running when the process was killed (or now).
				run.to, run.killed = now, true
				if !life.killed.IsZero() {
					run.to = life.killed
				}
				cut++
			}
		}
	}
	again, overlaps := 0, 0
	for id, rs := range runs {
		if len(rs) < 2 {
			continue
		}
		again++
		sort.Slice(rs, func(i, j int) bool { return rs[i].from.Before(rs[j].from) })
		end := rs[0]
		for _, run := range rs[1:] {
			// Both times come from the same machine's clock. A second run
			// can only start after the first's lease ended (a killed
			// process) or the first deleted the job, so any overlap at all
			// is two replicas running one job.
			if run.from.Before(end.to) {
				overlaps++
				t.Errorf("job %d (%s %s) ran on %s from %s while %s ran it from %s to %s (killed: %v)",
					id, run.kind, run.ref, run.owner, run.from.Format(time.StampMicro),
					end.owner, end.from.Format(time.StampMicro), end.to.Format(time.StampMicro), end.killed)
			}
			if run.to.After(end.to) {
				end = run
			}
		}
	}
	if len(runs) == 0 {
		t.Error("the job logs are empty: nothing was checked")
	}
	t.Logf("job logs: %d lines, %d jobs, %d cut short by a kill, %d run again after a kill, %d overlapping", lines, len(runs), cut, again, overlaps)
}

// TestFaultDatabaseRestart runs two replicas under the crash test's load
// and restarts their PostgreSQL cluster twice, with an outage between stop
// and start. Meanwhile every replica answers 503 with "the database is
// unavailable; try again" (the API) and 503 on /readyz, at once — a request
// that hung would end in the client's timeout, counted as a connection
// error, and there must be none. After the restart the replicas recover by
// themselves: nothing acknowledged is lost and every workflow finishes.
func TestFaultDatabaseRestart(t *testing.T) {
	if testing.Short() {
		t.Skip("restarts a PostgreSQL cluster under load for about 20 s; skipped with -short")
	}
	t.Parallel()
	seed, rng := faultSeed(t)
	pg := pgtest.Private(t) // restarting it disturbs no other test
	c := newFaultCluster(t, 2, pg.NewDatabase(t))
	web := newCrashWeb()
	hook := httptest.NewServer(web)
	t.Cleanup(hook.Close)
	createWorkflow(t, c.bases()[0], crashWorkflows)

	r := &crashRun{t: t, seed: seed, bases: c.bases(), hook: hook.URL, web: web,
		client: &http.Client{Timeout: 10 * time.Second}, unavailable: true}
	var drivers sync.WaitGroup
	for i := range crashDrivers {
		drivers.Go(func() { r.drive(i) })
	}

	probe := &http.Client{Timeout: 10 * time.Second}
	const restarts = 2
	var outages []time.Duration
	for range restarts {
		time.Sleep(time.Duration(500+rng.IntN(1500)) * time.Millisecond) // the random moment
		pg.Stop(t)
		down := time.Now()
		// While it is down: every replica says so, at once.
		for _, base := range c.bases() {
			resp := sendWith(t, probe, http.MethodGet, base+"/readyz", "", nil, nil)
			if resp.Status != http.StatusServiceUnavailable || !strings.Contains(resp.Raw, "database") {
				t.Errorf("GET %s/readyz with the database down: %d %s, want 503 naming the database", base, resp.Status, resp.Raw)
			}
			resp = sendWith(t, probe, http.MethodGet, base+"/v2/executions?limit=1", "", nil, nil)
			if resp.Status != http.StatusServiceUnavailable || resp.JSON["faultstring"] != postgres.Unavailable || resp.JSON["faultcode"] != "Server" {
				t.Errorf("GET %s/v2/executions with the database down: %d %s, want 503 with faultstring %q", base, resp.Status, resp.Raw, postgres.Unavailable)
			}
		}
		time.Sleep(time.Duration(800+rng.IntN(1700)) * time.Millisecond) // the outage
		pg.Start(t)
		r.addOutage(down, time.Now())
		outages = append(outages, time.Since(down).Round(time.Millisecond))
		if t.Failed() {
			break
		}
	}

	r.stopping.Store(true)
	finished := make(chan struct{})
	go func() { drivers.Wait(); close(finished) }()
	select {
	case <-finished:
	case <-time.After(7 * crashStep):
		t.Fatalf("the drivers did not finish within %v", 7*crashStep)
	}
	for _, base := range c.bases() {
		if resp := sendWith(t, probe, http.MethodGet, base+"/readyz", "", nil, nil); resp.Status != http.StatusOK {
			t.Errorf("GET %s/readyz after the restarts: %d %s, want 200", base, resp.Status, resp.Raw)
		}
	}
	r.verify()

	r.mu.Lock()
	defer r.mu.Unlock()
	retried, connErrs := 0, 0
	for _, w := range r.workflows {
		reqs := []*crashRequest{&w.started}
		for _, cb := range w.callbacks {
			reqs = append(reqs, &cb.crashRequest)
		}
		for _, req := range reqs {
			retried += req.unavailable
			connErrs += req.connErrs
		}
	}
	if connErrs > 0 {
		t.Errorf("%d requests got no answer (a connection error or the client's 10 s timeout); want a 503 at once", connErrs)
	}
	if r.statuses[http.StatusServiceUnavailable] == 0 {
		t.Errorf("the drivers got no 503 during %d outages, so none was checked (seed %d)", restarts, seed)
	}
	for status, n := range r.statuses {
		if status >= 500 && status != http.StatusServiceUnavailable {
			t.Errorf("%d answers with status %d; only 503 may say the database is away", n, status)
		}
	}
	t.Logf("%d restarts of PostgreSQL (outages %v); the drivers got %d answers 503 (%d of them to starts and callbacks, sent again), none hung; answers by status %v",
		restarts, outages, r.statuses[http.StatusServiceUnavailable], retried, r.statuses)
}

// raceWorkflowYAML waits on one asynchronous action whose task times out
// after $.timeout seconds; nothing handles the error.
const raceWorkflowYAML = `version: '2.0'
race:
  input: [timeout]
  tasks:
    t:
      action: std.async_noop
      timeout: <% $.timeout %>
`

var csrfField = regexp.MustCompile(`name="_csrf" value="([^"]+)"`)

// TestFaultRacingReplicas races, on two replicas at once (released by a
// barrier), the same callback sent to each, the same dashboard decision
// made on each, a cancel of the workflow, and the task's timeout. Exactly
// one result is recorded for the action and one end for the workflow:
// those whose result it is get 200 (303 for the dashboard's form; a repeat
// of the same result is accepted), the others 409 naming what was
// recorded — never two different results.
func TestFaultRacingReplicas(t *testing.T) {
	if testing.Short() {
		t.Skip("races requests on two replica processes; skipped with -short")
	}
	t.Parallel()
	_, rng := faultSeed(t)
	c := newFaultCluster(t, 2, pgtest.DSN(t))
	a, b := c.bases()[0], c.bases()[1]
	createWorkflow(t, a, raceWorkflowYAML)

	api := &http.Client{Timeout: 20 * time.Second}
	dashboards := map[string]*http.Client{}
	for _, base := range []string{a, b} {
		jar, _ := cookiejar.New(nil)
		dashboards[base] = &http.Client{Timeout: 20 * time.Second, Jar: jar,
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	}
	r := &crashRun{t: t, bases: []string{a, b}, client: api}

	const rounds = 40
	winners := map[string]int{}
	for round := range rounds {
		// Timeouts from 5 ms to 100 ms: some fire before the others
		// arrive, some among them, some after.
		timeout := float64(5+rng.IntN(95)) / 1000
		ex := mustDo(t, http.StatusCreated, http.MethodPost, a+"/v2/executions",
			map[string]any{"workflow_name": "race", "input": map[string]any{"timeout": timeout}})
		exID := ex["id"].(string)
		actID, ok := r.pendingAction(exID, "t")
		if !ok {
			t.FailNow()
		}
		// The dashboard's forms, read before the race.
		csrf := map[string]string{}
		for base, cl := range dashboards {
			page := sendWith(t, cl, http.MethodGet, base+"/actions/"+actID, "", nil, nil)
			if m := csrfField.FindStringSubmatch(page.Raw); m != nil {
				csrf[base] = m[1]
			}
		}
		done := fmt.Sprintf("done %d", round)
		rejected := fmt.Sprintf("rejected %d", round)
		callback := func(base string) func() (int, string) {
			return func() (int, string) {
				resp := sendWith(t, api, http.MethodPost, base+"/v2/action-executions/"+actID, "", map[string]any{"state": "SUCCESS", "output": done}, nil)
				return resp.Status, resp.Raw
			}
		}
		decision := func(base string) func() (int, string) {
			return func() (int, string) {
				form := url.Values{"state": {"ERROR"}, "output": {strconv.Quote(rejected)}, "comment": {"no"}, "_csrf": {csrf[base]}}
				req, _ := http.NewRequest(http.MethodPost, base+"/actions/"+actID, strings.NewReader(form.Encode()))
				req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
				req.Header.Set("Origin", base)
				resp, err := dashboards[base].Do(req)
				if err != nil {
					return 0, err.Error()
				}
				defer resp.Body.Close()
				raw, _ := io.ReadAll(resp.Body)
				return resp.StatusCode, string(raw)
			}
		}
		cancelOn := []string{a, b}[round%2]
		racers := map[string]func() (int, string){
			"callback on A": callback(a), "callback on B": callback(b),
			"decision on A": decision(a), "decision on B": decision(b),
			"cancel": func() (int, string) {
				resp := sendWith(t, api, http.MethodPut, cancelOn+"/v2/executions/"+exID, "", map[string]any{"state": "CANCELLED"}, nil)
				return resp.Status, resp.Raw
			},
		}
		type answer struct {
			status int
			body   string
		}
		got := map[string]answer{}
		var mu sync.Mutex
		var ready, wg sync.WaitGroup
		barrier := make(chan struct{})
		ready.Add(len(racers))
		for name, fn := range racers {
			wg.Go(func() {
				ready.Done()
				<-barrier // released together
				status, body := fn()
				mu.Lock()
				got[name] = answer{status, body}
				mu.Unlock()
			})
		}
		ready.Wait()
		close(barrier)
		wg.Wait()

		// The timeout may still be on its way: wait for both ends.
		var act, exn map[string]any
		r.retry("the action and execution of round "+strconv.Itoa(round)+" to end", func() (bool, string) {
			act, exn = r.get("/v2/action_executions/"+actID), r.get("/v2/executions/"+exID)
			return act["state"] != "RUNNING" && exn["state"] != "RUNNING", fmt.Sprintf("action %v, execution %v", act["state"], exn["state"])
		})
		var output any
		if s, ok := act["output"].(string); ok {
			_ = json.Unmarshal([]byte(s), &output)
		}
		var actionWinner string
		switch act["state"] {
		case "SUCCESS":
			actionWinner = "callback"
			checkOutput(t, round, output, done)
		case "ERROR":
			actionWinner = "decision"
			checkOutput(t, round, output, rejected)
		case "CANCELLED":
			actionWinner = "cancel"
		default:
			t.Fatalf("round %d: the action ended %v", round, act["state"])
		}
		for name, ans := range got {
			kind := strings.Fields(name)[0]
			success := http.StatusOK
			if kind == "decision" {
				success = http.StatusSeeOther
			}
			if kind == "cancel" {
				continue // it decides the workflow: checked below
			}
			won := kind == actionWinner
			switch {
			case won && ans.status != success:
				t.Errorf("round %d: %s answered %d, want %d: the action holds its result (%v): %.300s", round, name, ans.status, success, act["state"], ans.body)
			case !won && ans.status != http.StatusConflict:
				t.Errorf("round %d: %s answered %d, want 409: the action is %v: %.300s", round, name, ans.status, act["state"], ans.body)
			case !won && kind == "callback" && !strings.Contains(ans.body, "is already completed: state "+act["state"].(string)):
				t.Errorf("round %d: %s's 409 does not name what was recorded (%v): %s", round, name, act["state"], ans.body)
			}
		}

		tasks, _ := r.get("/v2/executions/" + exID + "/tasks")["tasks"].([]any)
		if len(tasks) != 1 {
			t.Fatalf("round %d: %d tasks, want 1", round, len(tasks))
		}
		task := tasks[0].(map[string]any)
		info, _ := task["state_info"].(string)
		var exWinner string
		switch {
		case exn["state"] == "SUCCESS":
			exWinner = "callback"
		case exn["state"] == "CANCELLED":
			exWinner = "cancel"
		case exn["state"] == "ERROR" && strings.Contains(info, "Task timed out"):
			exWinner = "timeout"
		case exn["state"] == "ERROR":
			exWinner = "decision"
		default:
			t.Fatalf("round %d: the execution ended %v", round, exn["state"])
		}
		if cancel := got["cancel"]; (cancel.status == http.StatusOK) != (exWinner == "cancel") ||
			(cancel.status != http.StatusOK && cancel.status != http.StatusConflict) {
			t.Errorf("round %d: cancel answered %d, but the execution is %v: %.300s", round, cancel.status, exn["state"], cancel.body)
		}
		if exWinner != "timeout" && exWinner != actionWinner {
			t.Errorf("round %d: the action was decided by %s (%v), the workflow by %s (%v)", round, actionWinner, act["state"], exWinner, exn["state"])
		}
		wantTask := map[string]string{"callback": "SUCCESS", "decision": "ERROR", "cancel": "CANCELLED", "timeout": "ERROR"}[exWinner]
		if task["state"] != wantTask {
			t.Errorf("round %d: the task is %v (%s), want %s as the workflow was decided by %s", round, task["state"], info, wantTask, exWinner)
		}
		winners[exWinner]++
		if t.Failed() {
			t.Fatalf("round %d (timeout %gs) failed; stopping", round, timeout)
		}
	}
	t.Logf("%d rounds on two replicas; the workflow was decided by %v", rounds, winners)
}

func checkOutput(t *testing.T, round int, got any, want string) {
	t.Helper()
	if m, ok := got.(map[string]any); !ok || m["result"] != want {
		t.Errorf("round %d: the action's output is %v, want {\"result\": %q}", round, got, want)
	}
}
