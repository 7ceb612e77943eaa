// Package engine runs Mistral v2 workflows: workflow executions, task
// executions and action executions, their states and transitions, the
// standard actions, and the durable jobs that carry work across restarts.
// It reaches persistence only through the Store interface it declares.
package engine

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	"github.com/sirocco-project/sirocco/internal/dsl"
)

// Clock tells the time; tests may substitute one.
type Clock interface{ Now() time.Time }

type systemClock struct{}

func (systemClock) Now() time.Time { return time.Now().UTC() }

// HTTPDoer sends the requests of std.http and std.mistral_http.
type HTTPDoer interface {
	Do(*http.Request) (*http.Response, error)
}

// Event tells subscribers that a record changed state. Each event is also
// a row of the record's timeline, written in the transaction that made the
// change; subscribers get it only after that transaction commits.
type Event struct {
	Kind  string // "execution", "task" or "action_execution"
	ID    string
	State State
	// ExecutionID is the workflow execution the record belongs to, if any.
	ExecutionID string
	Via         string // for action executions: who completed it
	Note        string // a comment given with a decision, or why the engine moved it
	At          time.Time
	// Async is true for an asynchronous action execution: the only kind
	// that waits in the dashboard's inbox.
	Async bool
	// Detail is true for an event that changes what a page shows without
	// changing the state (an action's request was sent); it is not a
	// timeline entry.
	Detail bool
	// Approval is true for an approval's action execution (std.approval):
	// what waits for whom may have changed.
	Approval bool
}

// Publisher receives events (the websocket hub implements it).
type Publisher interface{ Publish(Event) }

// CallbackTokens issues the secret std.mistral_http sends as
// Sirocco-Callback-Token: bound to one action execution, it lets a web
// service without an account complete that action and nothing else. The
// same action id must always yield the same token, so that a request
// repeated after a crash carries it too.
type CallbackTokens interface {
	CallbackToken(ctx context.Context, actionID string) (string, error)
}

// Config configures an Engine.
type Config struct {
	Store Store
	// BaseURL is the public URL of this server; std.mistral_http sends
	// callbacks to <BaseURL>/v2/action-executions/<id>.
	BaseURL string
	Logger  *slog.Logger
	Clock   Clock
	HTTP    HTTPDoer
	// Publisher gets state-change events; nil means none.
	Publisher Publisher
	// MaxOutputBytes bounds an action's result (callback or sync action).
	MaxOutputBytes int
	// Workers bounds the actions run concurrently by the job worker.
	Workers int
	// JobLease is how long a claimed job is reserved (DefaultJobLease).
	JobLease time.Duration
	// CallbackTokens, when set, gives std.mistral_http requests a
	// Sirocco-Callback-Token header.
	CallbackTokens CallbackTokens
	// MaxTasksPerExecution bounds the task executions of one workflow
	// execution (default DefaultMaxTasksPerExecution): a loop that never
	// ends fails its execution there instead of filling the database.
	MaxTasksPerExecution int
	// Replica describes this server process to the others sharing the
	// store (GET /v2/services); an empty ID, Host or PID is filled in.
	Replica Replica
	// HeartbeatInterval is how often the replica records that it lives
	// (DefaultHeartbeatInterval).
	HeartbeatInterval time.Duration
	// JobLog, when set, gets a JSON line (JobLogEntry) when the worker
	// starts a job it claimed and when the job ends: a trace of which
	// replica ran which job when (the fault tests check it).
	JobLog io.Writer
	// Notify configures the webhook notifier (params.notify, -notify-url).
	Notify NotifyConfig
	// Mail configures the approvers' mail (-smtp-*) and std.email.
	Mail MailConfig
	// Creators, when set, is asked before a cron trigger fires whether its
	// creator may still start executions (CreatorCheck).
	Creators CreatorCheck
	// People, when set, finds who an approval's channels (mail, decision
	// links) reach.
	People People
	// Links configures decision links (approval_links.go).
	Links LinkConfig
	// Retention, when set, purges finished executions (-retention).
	Retention *Retention
	// SSH configures std.ssh and std.ssh_proxied.
	SSH SSHConfig
	// JSTimeout bounds one run of std.javascript (DefaultJSTimeout).
	JSTimeout time.Duration
}

// DefaultMaxTasksPerExecution is the default bound on the task executions
// of one workflow execution.
const DefaultMaxTasksPerExecution = 100_000

// DefaultMaxOutputBytes is the default bound on an action result.
const DefaultMaxOutputBytes = 1 << 20

// Engine runs workflows.
type Engine struct {
	store     Store
	baseURL   string
	log       *slog.Logger
	clock     Clock
	http      HTTPDoer
	pub       Publisher
	maxOutput int
	workers   int
	jobLease  time.Duration
	cbTokens  CallbackTokens
	maxTasks  int
	self      Replica
	heartbeat time.Duration
	jobLog    *jobLog
	notify    NotifyConfig
	mail      MailConfig
	// notifyCount counts the notifier's outcomes (NotifyStats).
	notifyCount notifyCounters
	// sending holds a token per notification being sent (sendingSlots).
	sending   chan struct{}
	creators  CreatorCheck
	people    People
	links     LinkConfig
	retention *Retention
	purged    retentionCounters
	// purgeBatchDone, when set (tests), runs after each committed batch
	// of a retention run.
	purgeBatchDone atomic.Pointer[func()]
	ssh            SSHConfig
	jsTimeout      time.Duration
	// jsSlots bounds the std.javascript scripts running at once, so that
	// scripts that spin use a few cores, not all the job workers' share.
	jsSlots chan struct{}
	// after is time.After; tests replace it to drive the worker's waits.
	after func(time.Duration) <-chan time.Time
	// owner is this engine's random id, recorded as the lease owner of
	// the jobs it claims: a job's deletion and lease extension are
	// conditional on it.
	owner string

	wake    chan struct{}
	wg      sync.WaitGroup
	running atomic.Bool // the job worker runs
	// started is closed when Run first starts, for Started.
	started     chan struct{}
	startedOnce sync.Once
	specs       specCache
	wfs         workflowCache
	adhoc       adhocSpecs
}

// New returns an engine. Call Run to start its job worker.
func New(cfg Config) *Engine {
	e := &Engine{
		store:     cfg.Store,
		baseURL:   cfg.BaseURL,
		log:       cfg.Logger,
		clock:     cfg.Clock,
		http:      cfg.HTTP,
		pub:       cfg.Publisher,
		maxOutput: cfg.MaxOutputBytes,
		workers:   cfg.Workers,
		jobLease:  cfg.JobLease,
		cbTokens:  cfg.CallbackTokens,
		maxTasks:  cfg.MaxTasksPerExecution,
		retention: cfg.Retention,
		heartbeat: cfg.HeartbeatInterval,
		creators:  cfg.Creators,
		people:    cfg.People,
		links:     cfg.Links,
		ssh:       cfg.SSH,
		jsTimeout: cfg.JSTimeout,
		jsSlots:   make(chan struct{}, min(runtime.GOMAXPROCS(0), 4)),
		after:     time.After,
		owner:     newID(),
		wake:      make(chan struct{}, 1),
		notify:    cfg.Notify,
		mail:      cfg.Mail,
	}
	if e.notify.MaxAttempts <= 0 {
		e.notify.MaxAttempts = DefaultNotifyAttempts
	}
	if e.notify.Backoff <= 0 {
		e.notify.Backoff = DefaultNotifyBackoff
	}
	if e.notify.MaxBackoff <= 0 {
		e.notify.MaxBackoff = DefaultNotifyMaxBackoff
	}
	if cfg.JobLog != nil {
		e.jobLog = &jobLog{w: cfg.JobLog}
	}
	if e.heartbeat <= 0 {
		e.heartbeat = DefaultHeartbeatInterval
	}
	e.initReplica(cfg.Replica)
	if e.log == nil {
		e.log = slog.New(slog.DiscardHandler)
	}
	if e.clock == nil {
		e.clock = systemClock{}
	}
	if e.http == nil {
		e.http = &http.Client{Timeout: 60 * time.Second}
	}
	if e.maxOutput <= 0 {
		e.maxOutput = DefaultMaxOutputBytes
	}
	if e.workers <= 0 {
		e.workers = 64
	}
	e.sending = make(chan struct{}, sendingSlots(e.workers))
	if e.jobLease <= 0 {
		e.jobLease = DefaultJobLease
	}
	if e.maxTasks <= 0 {
		e.maxTasks = DefaultMaxTasksPerExecution
	}
	e.started = make(chan struct{})
	return e
}

// LeaseOwner is this engine's id as its job claims record it (random,
// one per Engine).
func (e *Engine) LeaseOwner() string { return e.owner }

// Started is closed once the job worker (Run) runs: a server waits for it
// before it accepts requests, so that it is ready as soon as it answers.
func (e *Engine) Started() <-chan struct{} { return e.started }

// MaxOutputBytes is the largest action result the engine accepts.
func (e *Engine) MaxOutputBytes() int { return e.maxOutput }

func (e *Engine) now() time.Time { return e.clock.Now().UTC() }

// newID returns a version 7 UUID: 48 bits of Unix milliseconds, then 74
// random bits. Ids made close in time sort close together, so the primary
// key and the per-execution indexes grow at their right edge instead of
// touching a random page of each B-tree for every insert: a batch of
// commits writes a few pages, not one per index per workflow.
func newID() string {
	var b [16]byte
	_, _ = rand.Read(b[6:])
	ms := uint64(time.Now().UnixMilli())
	for i := 0; i < 6; i++ {
		b[i] = byte(ms >> (40 - 8*i))
	}
	b[6] = b[6]&0x0f | 0x70
	b[8] = b[8]&0x3f | 0x80
	var s [36]byte
	hex.Encode(s[0:8], b[0:4])
	s[8] = '-'
	hex.Encode(s[9:13], b[4:6])
	s[13] = '-'
	hex.Encode(s[14:18], b[6:8])
	s[18] = '-'
	hex.Encode(s[19:23], b[8:10])
	s[23] = '-'
	hex.Encode(s[24:], b[10:])
	return string(s[:])
}

// update runs fn in a transaction, then publishes the events it collected
// and wakes the job worker if it added jobs. A store shared with other
// replicas (its Tx an Announcer) tells them the same in the transaction.
func (e *Engine) update(ctx context.Context, fn func(w *work) error) error {
	var w *work
	err := e.store.Update(ctx, func(tx Tx) error {
		// A retried transaction starts from scratch.
		w = &work{e: e, tx: tx, ctx: ctx, events: make([]Event, 0, 4)} // a start or an end moves about three records
		if err := fn(w); err != nil {
			return err
		}
		if err := w.runInstant(); err != nil {
			return err
		}
		if a, ok := tx.(Announcer); ok {
			if n := (Notice{Replica: e.self.ID, Events: w.events, Jobs: w.jobs, Definitions: w.defs}); !n.empty() {
				if err := a.Announce(ctx, n); err != nil {
					return fmt.Errorf("announce to the other replicas: %w", err)
				}
			}
		}
		changes := make([]Event, 0, len(w.events))
		for _, ev := range w.events {
			if !ev.Detail {
				changes = append(changes, ev)
			}
		}
		if len(changes) == 0 {
			return nil
		}
		return tx.AddStateChanges(ctx, changes)
	})
	if err != nil {
		return err
	}
	if w.jobs {
		e.Notify()
	}
	if e.pub != nil {
		for _, ev := range w.events {
			e.pub.Publish(ev)
		}
	}
	return nil
}

// Notify wakes the job worker.
func (e *Engine) Notify() {
	select {
	case e.wake <- struct{}{}:
	default:
	}
}

// work is the state of one engine transaction.
type work struct {
	e      *Engine
	tx     Tx
	ctx    context.Context
	events []Event
	jobs   bool
	// defs is set when the transaction changed workflow definitions: the
	// other replicas drop their workflow caches.
	defs  bool
	depth int
	// counted is the execution whose tasks tasks counts, as of this
	// transaction's writes: one count per transaction, not per task.
	counted string
	tasks   int
	// hooks caches the notification receivers of the executions this
	// transaction changed (see receivers).
	hooks map[string][]Webhook
	// refused is a vote refused by this transaction, which commits only
	// the refusal's audit record; DeliverResult returns it after.
	refused error
	// instant holds the instant actions started and not yet run (see
	// runInstant); instantRuns counts those run.
	instant     []instantRun
	instantRuns int
}

// Locking (docs/architecture.md, "Where a state change is guarded"): a
// transaction that changes anything of a workflow execution tree (the
// executions, tasks and actions under one root) first locks the tree's
// root execution, and only then reads what it will change. The root is the
// only lock an engine transaction takes, so there is one lock order; a
// transaction that had to lock two trees would lock their roots in id
// order. What was read before the lock is used only to find the root (a
// record's root never changes), never to decide or to write.

// rootOf returns the id of the root of ex's tree.
func rootOf(ex *Execution) string {
	if ex.RootExecutionID != nil {
		return *ex.RootExecutionID
	}
	return ex.ID
}

// lockTree locks the tree of execution id (its root) and returns the
// execution as read after the lock.
func (w *work) lockTree(id string) (*Execution, error) {
	if rl, ok := w.tx.(RootLocker); ok {
		if err := rl.LockRootOf(w.ctx, RootOfExecution, id); err != nil {
			return nil, err
		}
		return w.tx.GetExecution(w.ctx, id)
	}
	ex, err := w.tx.GetExecution(w.ctx, id)
	if err != nil {
		return nil, err
	}
	if err := w.tx.LockExecution(w.ctx, rootOf(ex)); err != nil {
		return nil, err
	}
	return w.tx.GetExecution(w.ctx, id)
}

// executionOf reads a task's workflow execution and its parsed definition.
func (w *work) executionOf(t *Task) (*Execution, *dsl.Workflow, error) {
	ex, err := w.tx.GetExecution(w.ctx, t.WorkflowExecutionID)
	if err != nil {
		return nil, nil, err
	}
	spec, err := w.e.specs.get(ex.Definition)
	if err != nil {
		return nil, nil, err
	}
	return ex, spec, nil
}

func (w *work) publish(ev Event) {
	if ev.At.IsZero() {
		ev.At = w.e.now()
	}
	w.events = append(w.events, ev)
}

func (w *work) addJob(kind, ref string, due time.Time) error {
	w.jobs = true
	return w.tx.AddJob(w.ctx, &Job{Kind: kind, Ref: ref, DueAt: due})
}
