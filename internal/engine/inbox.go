package engine

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/sirocco-project/sirocco/internal/dsl"
	"github.com/sirocco-project/sirocco/internal/fault"
)

// The inbox is the dashboard's list of asynchronous action executions that
// await a result (RUNNING or PAUSED): what a person may approve or reject.

// Whom an asynchronous action waits for (ActionExecution.WaitsFor): the
// inbox's two views.
const (
	WaitsForPerson  = dsl.WaitsForPerson
	WaitsForService = dsl.WaitsForService
)

// Inbox page sizes.
const (
	DefaultInboxLimit = 50
	MaxInboxLimit     = 500
	// InboxCountCap bounds the count of items matching a filter: counting
	// every match of a text search would scan every pending input.
	InboxCountCap = 10000
	// WaitingCountCap bounds the count of approvals waiting for a person.
	// Every page's header shows it, and past the cap a count would walk
	// every approval the person may decide; the header then says "1000+".
	WaitingCountCap = 1000
)

// Viewer is a person who may decide approvals (the approver role or
// above), as they are now. The approvals waiting for them are the pending
// ones whose deciders name them, or one of their groups, or anyone (an
// approval that names no approvers); that they did not ask for or start
// (unless it allows self-approval); and that they have not voted on.
type Viewer struct {
	User   string
	Groups []string
}

// Principals are the decider entries that name v (ApprovalEntry.Deciders):
// user:<name>, group:<name> for each of their groups, and DecidersAny.
func (v Viewer) Principals() []string {
	out := make([]string, 0, len(v.Groups)+2)
	out = append(out, "user:"+v.User)
	for _, g := range v.Groups {
		out = append(out, "group:"+g)
	}
	return append(out, DecidersAny)
}

// InboxQuery selects and pages pending asynchronous action executions.
// Pages are keyset-paginated: After and Before are cursors from a previous
// page (InboxPage.Next and Prev), never offsets.
type InboxQuery struct {
	// ID restricts the query to one action execution (a live row fragment).
	ID       string
	Workflow string // exact workflow name
	Action   string // exact action name, e.g. std.async_noop
	Task     string // exact task name
	// Search is a case-insensitive substring of the action's input JSON or
	// of its workflow execution's input JSON.
	Search string
	// Newest sorts newest first; the default is oldest (longest waiting) first.
	Newest bool
	After  *InboxCursor // items after this one in the sort order
	Before *InboxCursor // items before this one in the sort order
	Limit  int
	// Viewer is who looks: each approval in the page says whether it
	// waits for them (InboxApproval.MayDecide). nil for nobody in
	// particular (authentication off, a viewer's role).
	Viewer *Viewer
	// Mine lists only the approvals waiting for Viewer ("Waiting for
	// me"); Matching then counts them, up to WaitingCountCap, and Pending
	// is not counted.
	Mine bool
	// WaitsFor lists only the actions that wait for a person or for a
	// service (dsl.WaitsForPerson, dsl.WaitsForService; "" for both): the
	// inbox's two views. Matching then counts them.
	WaitsFor string
}

// Filtered reports whether q narrows the inbox beyond "everything pending".
func (q InboxQuery) Filtered() bool {
	return q.Workflow != "" || q.Action != "" || q.Task != "" || q.Search != ""
}

// InboxCursor is a position in the inbox's order: an item's creation time
// and id (the id breaks ties between items created in the same microsecond).
type InboxCursor struct {
	CreatedAt time.Time
	ID        string
}

// String encodes the cursor for URLs: <unix microseconds>.<id>.
func (c InboxCursor) String() string {
	return strconv.FormatInt(c.CreatedAt.UnixMicro(), 10) + "." + c.ID
}

// ParseInboxCursor decodes a cursor made by InboxCursor.String.
func ParseInboxCursor(s string) (*InboxCursor, error) {
	micros, id, ok := strings.Cut(s, ".")
	n, err := strconv.ParseInt(micros, 10, 64)
	if !ok || err != nil || id == "" {
		return nil, fault.Errorf(fault.EINVALID, "Invalid inbox cursor %q.", s)
	}
	return &InboxCursor{CreatedAt: time.UnixMicro(n).UTC(), ID: id}, nil
}

// InboxItem is one pending asynchronous action execution.
type InboxItem struct {
	ID                  string
	Action              string
	WorkflowName        string
	TaskName            string
	TaskExecutionID     string
	WorkflowExecutionID string
	State               State
	// InputPreview is the start of the action's input JSON;
	// ExecutionInputPreview that of its workflow execution's input.
	InputPreview          string
	ExecutionInputPreview string
	CreatedAt             time.Time
	// TimeoutAt is when the task's timeout policy fails it, if it has one.
	TimeoutAt *time.Time
	// Approval is set for an approval (std.approval): what its row shows.
	Approval *InboxApproval
	// WaitsFor is whom it waits for (ActionExecution.WaitsFor).
	WaitsFor string
	// Description and StartedBy are its workflow execution's description
	// and who started it ("" for an ad-hoc action, or when unknown).
	Description string
	StartedBy   string
	// RequestLine is the method and URL of the request it sent
	// ("POST https://…", from ActionExecution.RequestJSON), "" when it
	// sent none.
	RequestLine string
}

// InboxApproval is an approval as an inbox row shows it.
type InboxApproval struct {
	Title       string
	RequestedBy string
	// Missing says what the votes still lack ("1 more from security").
	Missing string
	// MayDecide says it waits for the query's Viewer.
	MayDecide bool
}

// Cursor is the item's position in the inbox order.
func (it InboxItem) Cursor() InboxCursor { return InboxCursor{CreatedAt: it.CreatedAt, ID: it.ID} }

// InboxPage is one page of the inbox with its counts.
type InboxPage struct {
	Items []InboxItem
	// Pending counts every pending asynchronous action execution.
	Pending int
	// Matching counts those that match the query's filters, up to
	// InboxCountCap (MatchingCapped is then true).
	Matching       int
	MatchingCapped bool
	// Services counts the pending actions that wait for a service (the
	// rest wait for a person); not counted with Mine.
	Services int
	// Next and Prev are the cursors of the following and preceding pages;
	// nil when there is none.
	Next, Prev *InboxCursor
}

// InboxFacets lists the distinct names found among pending items, for the
// inbox's filters.
type InboxFacets struct {
	Workflows []string
	Actions   []string
	Tasks     []string
}

// Inbox returns a page of the pending asynchronous action executions.
func (e *Engine) Inbox(ctx context.Context, q InboxQuery) (*InboxPage, error) {
	if q.After != nil && q.Before != nil {
		return nil, fault.Errorf(fault.EINVALID, "An inbox query takes after or before, not both.")
	}
	switch {
	case q.Limit <= 0:
		q.Limit = DefaultInboxLimit
	case q.Limit > MaxInboxLimit:
		q.Limit = MaxInboxLimit
	}
	switch q.WaitsFor {
	case "", WaitsForPerson, WaitsForService:
	default:
		return nil, fault.Errorf(fault.EINVALID, "waits_for must be %q or %q, got %q.", WaitsForPerson, WaitsForService, q.WaitsFor)
	}
	if q.Mine && q.Viewer == nil {
		return &InboxPage{Items: []InboxItem{}}, nil // nobody's approvals wait for nobody
	}
	p, err := e.store.Inbox(ctx, q)
	if err != nil {
		return nil, fmt.Errorf("inbox: %w", err)
	}
	return p, nil
}

// WaitingCount counts the pending approvals waiting for v, up to
// WaitingCountCap; capped says there are more.
func (e *Engine) WaitingCount(ctx context.Context, v Viewer) (n int, capped bool, err error) {
	n, err = e.store.CountWaiting(ctx, v, WaitingCountCap+1)
	if err != nil {
		return 0, false, fmt.Errorf("approvals waiting for %s: %w", v.User, err)
	}
	if n > WaitingCountCap {
		return WaitingCountCap, true, nil
	}
	return n, false, nil
}

// InboxFacets returns the workflow, action and task names of pending items.
func (e *Engine) InboxFacets(ctx context.Context) (*InboxFacets, error) {
	f, err := e.store.InboxFacets(ctx)
	if err != nil {
		return nil, fmt.Errorf("inbox facets: %w", err)
	}
	return f, nil
}

// TaskTimeout returns when a task's timeout fires, or nil if it has none.
func (e *Engine) TaskTimeout(ctx context.Context, taskID string) (*time.Time, error) {
	return e.store.TaskTimeout(ctx, taskID)
}
