package engine

import "time"

// Fields named *JSON hold JSON text exactly as stored and as the v2 API
// serialises it (Mistral sends such fields as JSON-encoded strings), so
// list endpoints never decode and re-encode them.

// DefaultProject is Mistral's project id when authentication is off.
const DefaultProject = "<default-project>"

// Workflow is a stored workflow definition.
type Workflow struct {
	ID            string
	Name          string
	Namespace     string
	Definition    string // YAML text of this workflow alone
	Input         string // human-readable input, e.g. `name="World", count`
	InterfaceJSON string // {"input": [...], "output": [...]}
	Tags          []string
	Scope         string
	ProjectID     string
	CreatedAt     time.Time
	UpdatedAt     *time.Time
	// Version counts the updates of the stored row: each Tx.Update* writes
	// only if the row still has this version, then increments it here and
	// in the store; else fault.ErrConflict (another writer moved it since it
	// was read). Create stores version 0.
	Version int64
}

// ActionDefinition is a stored ad-hoc action.
type ActionDefinition struct {
	ID          string
	Name        string
	Namespace   string
	Definition  string // YAML text of this action alone
	Description string
	Input       string // human-readable input, e.g. `name, punct="!"`
	Tags        []string
	Scope       string
	ProjectID   string
	CreatedAt   time.Time
	UpdatedAt   *time.Time
	// Version counts the updates of the stored row: each Tx.Update* writes
	// only if the row still has this version, then increments it here and
	// in the store; else fault.ErrConflict (another writer moved it since it
	// was read). Create stores version 0.
	Version int64
}

// Workbook is a stored workbook; its workflows and actions are stored as
// "<name>.<member>".
type Workbook struct {
	ID         string
	Name       string
	Namespace  string
	Definition string
	Tags       []string
	Scope      string
	ProjectID  string
	CreatedAt  time.Time
	UpdatedAt  *time.Time
	// Version counts the updates of the stored row: each Tx.Update* writes
	// only if the row still has this version, then increments it here and
	// in the store; else fault.ErrConflict (another writer moved it since it
	// was read). Create stores version 0.
	Version int64
}

// Execution is a workflow execution.
type Execution struct {
	ID                string
	WorkflowID        string
	WorkflowName      string
	WorkflowNamespace string
	Description       string
	Tags              []string
	ParamsJSON        string
	TaskExecutionID   *string // parent task of a sub-workflow
	RootExecutionID   *string
	State             State
	StateInfo         *string
	InputJSON         string
	OutputJSON        string
	ContextJSON       string // the initial data context: input, then vars
	// PublishedGlobalJSON holds what tasks published to the whole workflow
	// (an on-* clause's publish: global); "" or "{}" when nothing.
	PublishedGlobalJSON string
	Definition          string // the workflow's YAML as it was when the execution started
	ProjectID           string
	// CreatedBy is the account that started it ("" when authentication is
	// off, or for an in-process start); a sub-workflow inherits its
	// parent's. It never changes.
	CreatedBy string
	CreatedAt time.Time
	UpdatedAt time.Time
	// Version counts the updates of the stored row: each Tx.Update* writes
	// only if the row still has this version, then increments it here and
	// in the store; else fault.ErrConflict (another writer moved it since it
	// was read). Create stores version 0.
	Version int64
}

// Task type values.
const (
	TaskTypeAction   = "ACTION"
	TaskTypeWorkflow = "WORKFLOW"
)

// Task is a task execution.
type Task struct {
	ID                  string
	Name                string
	Type                string
	WorkflowExecutionID string
	WorkflowName        string
	WorkflowNamespace   string
	WorkflowID          string
	Tags                []string
	State               State
	StateInfo           *string
	RuntimeContextJSON  string
	InContextJSON       string // the data context the task started with
	PublishedJSON       string
	ResultJSON          string // results of its accepted action executions (Mistral's rule)
	// Processed is true once the task's transitions have run. A task that
	// finishes while its workflow is paused stays unprocessed until resume.
	Processed bool
	// ErrorHandled is true when an on-error transition fired for it, which
	// keeps its ERROR from failing the workflow (reference §3.3).
	ErrorHandled bool
	ProjectID    string
	CreatedAt    time.Time
	UpdatedAt    time.Time
	StartedAt    *time.Time
	FinishedAt   *time.Time
	// Version counts the updates of the stored row: each Tx.Update* writes
	// only if the row still has this version, then increments it here and
	// in the store; else fault.ErrConflict (another writer moved it since it
	// was read). Create stores version 0.
	Version int64
}

// ActionExecution is one run of an action, synchronous or asynchronous.
type ActionExecution struct {
	ID                  string
	Name                string
	WorkflowName        *string
	WorkflowNamespace   string
	TaskName            *string
	TaskExecutionID     *string
	WorkflowExecutionID *string
	State               State
	StateInfo           *string
	Description         string
	ProjectID           string
	Accepted            bool
	Async               bool
	// WaitsFor is whom an asynchronous action waits for: dsl.WaitsForPerson
	// or dsl.WaitsForService (the inbox's two views); "" for a synchronous
	// one. Set when it starts (actionDef.waitsFor); it never changes.
	WaitsFor   string
	InputJSON  string
	OutputJSON *string // {"result": value}; nil until it finishes
	// RequestJSON records what std.mistral_http sent: method, url, headers.
	RequestJSON *string
	// CompletedVia says who delivered the result: api, cli, dashboard or engine.
	CompletedVia *string
	CompletedAt  *time.Time
	// ItemIndex is the with-items index (0 for ordinary tasks).
	ItemIndex int
	// ApprovalJSON is, for an approval (std.approval, or an ad-hoc action
	// built on it), its request as evaluated when it started (see
	// Approval); nil for any other action.
	ApprovalJSON *string
	CreatedAt    time.Time
	UpdatedAt    time.Time
	// Version counts the updates of the stored row: each Tx.Update* writes
	// only if the row still has this version, then increments it here and
	// in the store; else fault.ErrConflict (another writer moved it since it
	// was read). Create stores version 0.
	Version int64
}

// ApprovalVote is one person's vote on an approval. A person votes once;
// an admin's override replaces their earlier vote.
type ApprovalVote struct {
	ActionExecutionID string
	User              string // "" for the local admin when authentication is off
	Approve           bool
	// Override is an admin deciding alone.
	Override bool
	// AnswerJSON is the output the vote came with, as canonical JSON: an
	// approval's answer, or what a rejection said; nil when none.
	AnswerJSON *string
	Comment    string
	Channel    string // dashboard, api or cli
	// Rule is the index of the rule of the approval's required that the
	// vote counts for, as of the last tally; -1 for none (a rejection, an
	// override, or an approval beyond what the rules ask).
	Rule int
	// Groups are the voter's groups when they voted: the tally counts
	// them, not today's.
	Groups    []string
	CreatedAt time.Time
}

// ApprovalEntry is what the store keeps of a pending approval for the
// inbox, in queryable form: who may decide it, one row each, so that "what
// waits for me" is an indexed query rather than a check of every approval;
// and what an inbox row shows. The engine writes it when the approval
// starts and again when a vote leaves it waiting (Tx.PutApprovalEntry); the
// store drops it when the approval is updated to any other state than
// RUNNING and PAUSED (a decision, a cancel, a timeout).
type ApprovalEntry struct {
	ActionExecutionID string
	// CreatedAt is the action's: a decider's approvals are walked in the
	// inbox's order.
	CreatedAt   time.Time
	Title       string
	RequestedBy string
	// Deciders are the approvers entries ("user:<name>",
	// "group:<name>"), or DecidersAny alone for an approval that names
	// none: anyone with the approver role.
	Deciders []string
	// Excluded are the users it does not wait for although among its
	// deciders: its requester and its execution's starter (unless it
	// allows self-approval), and those who voted.
	Excluded []string
	// Missing says what the votes still lack ("1 more from security").
	Missing string
}

// DecidersAny is the decider of an approval that names no approvers: anyone
// with the approver role.
const DecidersAny = "any"

// Kinds of audit records.
const (
	AuditDecision = "decision" // a person's vote or completion
	AuditOverride = "override" // an admin deciding an approval alone
	AuditTimeout  = "timeout"  // a timeout ended the wait
	AuditAdmin    = "admin"    // an administrative act
	// The rungs of an approval's timeout ladder (approval_ladder.go)
	// that decide nothing; its timeout decision is an AuditTimeout.
	AuditReminder   = "reminder"   // a reminder sent to its deciders
	AuditEscalation = "escalation" // the decision passed to escalate_to
)

// Outcomes of audit records.
const (
	AuditAccepted = "accepted"
	AuditRefused  = "refused"
)

// AuditRecord is one entry of the audit trail: an attempt to decide,
// accepted or refused (who, when, through what, with what, having been
// shown what), or an administrative act. Records are appended in the
// transaction of the attempt (Tx.AppendAudit), refused ones too, and never
// changed; the store chains them by hash (package audit).
type AuditRecord struct {
	// Seq is the record's place in the trail (1, 2, 3 … without gaps),
	// assigned by the store; Prev and Hash are the previous record's hash
	// and this one's (hex), set by the store too.
	Seq        int64
	Prev, Hash string
	At         time.Time // kept to the microsecond
	Actor      string    // the account; "" for the local admin when authentication is off
	Channel    string    // dashboard, api, cli, timeout…
	Addr       string    // the client's address, when known
	Kind       string    // AuditDecision, AuditOverride, AuditTimeout, AuditAdmin, AuditReminder or AuditEscalation
	// ActionExecutionID is the action decided on ("" for admin records
	// about no action).
	ActionExecutionID string
	State             State  // the state asked for (SUCCESS approves, ERROR rejects)
	Outcome           string // AuditAccepted or AuditRefused
	// Reason says why a refusal was refused, or an override's reason, or
	// what an accepted attempt did ("1 more from security").
	Reason  string
	Comment string
	// AnswerJSON is the output sent, as canonical JSON ("" for none).
	AnswerJSON string
	// Groups are the actor's groups at that moment (the store sorts them).
	Groups []string
	// ShownDigest is the SHA-256 (hex) of the canonical JSON of what the
	// decider was shown: the approval's title, description, context and
	// schema as evaluated (Approval.ShownDigest).
	ShownDigest string
}

// AuditQuery selects audit records: those matching every field set,
// newest first. Since is inclusive, Until exclusive.
type AuditQuery struct {
	ActionExecutionID string
	Actor             string
	Outcome           string // AuditAccepted or AuditRefused
	Kind              string // AuditDecision, AuditOverride, AuditTimeout or AuditAdmin
	Since, Until      time.Time
	// Before pages: only records with a smaller Seq (0: from the newest).
	Before int64
	Limit  int // at most MaxAuditPage; 0 means DefaultAuditPage
}

// Pages of the audit trail.
const (
	DefaultAuditPage = 100
	MaxAuditPage     = 1000
)

// AuditHead is the end of the audit trail: its last record's Seq and Hash
// in hex (0 and 64 zeros for an empty trail), and whether it carries an
// anchor (the server writes one when it holds an audit key).
type AuditHead struct {
	Seq      int64
	Hash     string
	Anchored bool
}

// Job is durable work for the engine's worker: running an action's I/O now,
// or a timer that fires at DueAt. A job row is deleted in the same
// transaction that records its effect, so a crash repeats it at worst.
type Job struct {
	ID    int64
	Kind  string
	Ref   string // the id of the record the job concerns
	DueAt time.Time
}

// Job kinds.
const (
	// JobRunAction runs an action execution's action (its I/O happens outside any transaction).
	JobRunAction = "run_action"
	// JobTaskTimeout fails a task that is still running at DueAt (the
	// timeout policy); Ref is the task execution id.
	JobTaskTimeout = "task_timeout"
	// JobTaskWaitBefore starts a task delayed by wait-before.
	JobTaskWaitBefore = "task_wait_before"
	// JobTaskRetry runs the next attempt of a task delayed by retry.
	JobTaskRetry = "task_retry"
	// JobStartWorkflow starts the sub-workflow of a workflow task.
	JobStartWorkflow = "start_workflow"
	// JobTaskWaitAfter completes a task delayed by wait-after.
	JobTaskWaitAfter = "task_wait_after"
)
