package engine

import (
	"context"
	"time"
)

// Store is what the engine needs from persistence. The SQLite store in
// internal/sqlite implements it; a PostgreSQL one can later. Correctness
// never rests on SQLite's single writer: every state transition is a
// guarded update (UPDATE … WHERE state IN (…)) that fails with fault.ErrConflict
// when another writer moved the record first, and LockExecution serialises
// the work on one workflow execution across replicas.
type Store interface {
	Reader
	ReplicaStore
	// Update runs fn in one write transaction and commits it when fn returns
	// nil. After Update returns nil the changes are durable. fn may run more
	// than once (a store may retry it): it must have no effect but its
	// writes, and leave results only from its last run.
	Update(ctx context.Context, fn func(Tx) error) error
	// NextJobDue returns when the earliest job is due (ok false when none).
	NextJobDue(ctx context.Context) (due time.Time, ok bool, err error)
	Close() error
}

// Reader holds the read queries of the API and the dashboard. Get methods
// return an error with code fault.ENOTFOUND for unknown ids.
type Reader interface {
	EnvironmentReader
	// GetWorkflow finds a workflow by id, or by name within namespace.
	GetWorkflow(ctx context.Context, idOrName, namespace string) (*Workflow, error)
	ListWorkflows(ctx context.Context, q ListQuery) ([]*Workflow, error)
	GetExecution(ctx context.Context, id string) (*Execution, error)
	ListExecutions(ctx context.Context, q ListQuery) ([]*Execution, error)
	GetTask(ctx context.Context, id string) (*Task, error)
	ListTasks(ctx context.Context, q ListQuery) ([]*Task, error)
	GetActionExecution(ctx context.Context, id string) (*ActionExecution, error)
	// GetActionScope returns an action execution with its task and workflow
	// execution, read together; task and execution are nil for an ad-hoc
	// action.
	GetActionScope(ctx context.Context, id string) (*ActionExecution, *Task, *Execution, error)
	ListActionExecutions(ctx context.Context, q ListQuery) ([]*ActionExecution, error)
	// StateChanges returns the timeline of one record (or, for an
	// execution id, of the execution and everything in it), oldest first.
	StateChanges(ctx context.Context, ref string) ([]Event, error)
	// Inbox pages the pending asynchronous action executions (the dashboard's
	// inbox) with their counts; see InboxQuery.
	Inbox(ctx context.Context, q InboxQuery) (*InboxPage, error)
	// InboxFacets lists the distinct workflow, action and task names of
	// pending asynchronous action executions.
	InboxFacets(ctx context.Context) (*InboxFacets, error)
	// CountWaiting counts the pending approvals waiting for v (see
	// Viewer), stopping at limit: an indexed walk of the approvals v may
	// decide, never a check of each pending one.
	CountWaiting(ctx context.Context, v Viewer, limit int) (int, error)
	// GetActionDefinition finds an ad-hoc action by id, or by name within
	// namespace.
	GetActionDefinition(ctx context.Context, idOrName, namespace string) (*ActionDefinition, error)
	ListActionDefinitions(ctx context.Context) ([]*ActionDefinition, error)
	GetWorkbook(ctx context.Context, name, namespace string) (*Workbook, error)
	ListWorkbooks(ctx context.Context) ([]*Workbook, error)
	// TaskTimeout returns the due time of a task's timeout job, nil if none.
	TaskTimeout(ctx context.Context, taskID string) (*time.Time, error)
	// ApprovalVotes returns the votes on an approval, in the order they
	// were first cast.
	ApprovalVotes(ctx context.Context, actionID string) ([]*ApprovalVote, error)
	// AuditRecords returns the audit records about an action execution
	// ("" for all of them), oldest first.
	AuditRecords(ctx context.Context, actionID string) ([]*AuditRecord, error)
	// ListAudit pages the audit trail, newest first; see AuditQuery.
	ListAudit(ctx context.Context, q AuditQuery) ([]*AuditRecord, error)
	// AuditHead returns the end of the audit trail (seq 0 when empty).
	AuditHead(ctx context.Context) (AuditHead, error)
	DeliveryReader
	CronReader
	LinkReader
	ClaimReader
}

// Tx is a write transaction.
type Tx interface {
	Reader
	IdempotencyTx
	DeliveryTx
	CronTx
	RetentionTx
	EnvironmentTx
	LinkTx
	ClaimTx

	// LockExecution serialises work on one workflow execution: completions
	// of parallel tasks must not both decide the workflow's end. SQLite's
	// single writer already does; PostgreSQL would SELECT … FOR UPDATE.
	LockExecution(ctx context.Context, id string) error

	CreateWorkflow(ctx context.Context, w *Workflow) error
	UpdateWorkflow(ctx context.Context, w *Workflow) error
	DeleteWorkflow(ctx context.Context, id string) error

	CreateActionDefinition(ctx context.Context, d *ActionDefinition) error
	UpdateActionDefinition(ctx context.Context, d *ActionDefinition) error
	DeleteActionDefinition(ctx context.Context, id string) error

	CreateWorkbook(ctx context.Context, b *Workbook) error
	UpdateWorkbook(ctx context.Context, b *Workbook) error
	DeleteWorkbook(ctx context.Context, id string) error

	CreateExecution(ctx context.Context, e *Execution) error
	// UpdateExecution writes e's mutable fields if the stored state is one
	// of from (any state when from is empty); else fault.ErrConflict.
	UpdateExecution(ctx context.Context, e *Execution, from ...State) error
	DeleteExecution(ctx context.Context, id string) error

	CreateTask(ctx context.Context, t *Task) error
	UpdateTask(ctx context.Context, t *Task, from ...State) error
	// TasksOf returns the task executions of a workflow execution, oldest first.
	TasksOf(ctx context.Context, executionID string) ([]*Task, error)
	// TaskCount counts the task executions of a workflow execution.
	TaskCount(ctx context.Context, executionID string) (int, error)
	// CountTasks counts the tasks of an execution, and among them the busy
	// ones: those that still run or whose transitions have not run (neither
	// WAITING nor finished and processed).
	CountTasks(ctx context.Context, executionID string) (busy, total int, err error)

	CreateActionExecution(ctx context.Context, a *ActionExecution) error
	UpdateActionExecution(ctx context.Context, a *ActionExecution, from ...State) error
	// ActionExecutionsOf returns the action executions of a task, oldest first.
	ActionExecutionsOf(ctx context.Context, taskID string) ([]*ActionExecution, error)

	// AddStateChanges appends events to the timeline.
	AddStateChanges(ctx context.Context, events []Event) error

	// PutApprovalVote records a vote: a new one, or one that replaces the
	// same person's vote on the same approval (an override, or a new
	// tally's rule). Its place in the order of votes is the first one's.
	PutApprovalVote(ctx context.Context, v *ApprovalVote) error
	// PutApprovalEntry records what the inbox keeps of a pending approval
	// (who may decide it, what its row shows), replacing an earlier entry
	// of the same action. The store drops the entry when
	// UpdateActionExecution moves the approval (its ApprovalJSON set) to
	// a state other than RUNNING and PAUSED, and with the action.
	PutApprovalEntry(ctx context.Context, e *ApprovalEntry) error
	// AppendAudit appends an audit record to the trail, chained to the
	// one before (the store seals it), and sets its Seq, Prev and Hash.
	AppendAudit(ctx context.Context, r *AuditRecord) error

	AddJob(ctx context.Context, j *Job) error
	// DeleteJob deletes a job that owner claimed and still holds (the
	// lease_owner its claim recorded); else fault.ErrConflict: another
	// worker took the expired lease over, and this transaction must change
	// nothing.
	DeleteJob(ctx context.Context, id int64, owner string) error
	// ExtendJobLease keeps a running job reserved until until, if owner
	// still holds it; else fault.ErrConflict.
	ExtendJobLease(ctx context.Context, id int64, owner string, until time.Time) error
	// ClaimJobs leases up to limit jobs due by now until leaseUntil to
	// owner (recorded as the job's lease_owner), so that no other worker
	// runs them meanwhile; an expired lease makes a job due again (the
	// worker that held it died or stalled) and the next claim replaces its
	// owner.
	ClaimJobs(ctx context.Context, owner string, now, leaseUntil time.Time, limit int) ([]*Job, error)
}

// Kinds of record RootLocker.LockRootOf takes.
const (
	RootOfAction    = "action_execution"
	RootOfExecution = "execution"
)

// RootLocker is implemented by a Tx that can find and lock the root of a
// record's execution tree in one statement (PostgreSQL: SELECT … FOR
// UPDATE of the root, found by a subquery). The engine then reads what it
// changes once, after the lock, instead of once to find the root and
// again under the lock: on the callback's path, a round trip and a read
// of the action's scope fewer.
type RootLocker interface {
	// LockRootOf locks the root execution of the tree that the record of
	// kind (RootOfAction or RootOfExecution) with id belongs to. A record
	// in no tree (an ad-hoc action) or that does not exist locks nothing
	// and is no error: the read that follows says so.
	LockRootOf(ctx context.Context, kind, id string) error
}

// SerialTx is implemented by a Tx whose store runs one write transaction
// at a time (SQLite's single writer): nothing another transaction writes
// can appear between two reads of it, so what it read before LockExecution
// is still current after it, and the engine's completion of an action (the
// callback's hot path) does not read it again. A store whose transactions
// run concurrently (PostgreSQL) must not implement it.
type SerialTx interface{ SerialTx() }

// Filter operators of list queries (Mistral's `op:value` syntax).
const (
	OpEq  = "eq"
	OpNeq = "neq"
	OpLt  = "lt"
	OpLte = "lte"
	OpGt  = "gt"
	OpGte = "gte"
	OpIn  = "in"
	OpNin = "nin"
	OpHas = "has"
)

// Filter is one condition of a list query on a named field.
type Filter struct {
	Field  string
	Op     string
	Values []string // one value, except for in and nin
}

// ListQuery selects, orders and pages a list. Field names are the API's;
// the store accepts only the ones it knows and answers fault.EINVALID otherwise.
type ListQuery struct {
	Limit    int // 0: no limit
	Marker   string
	SortKeys []string
	SortDirs []string // "asc" or "desc", one per key
	Filters  []Filter
	Nulls    []string // fields that must be NULL
	// Fields are the fields the caller shows (nil: all of them). A store
	// may then leave the large ones not named empty ("{}" or nil: an
	// action's input, output, request and approval), which is most of what
	// a callback service polling for work would otherwise read.
	Fields []string
}
