package storetest

import (
	"context"
	"sync"
	"testing"

	"github.com/sirocco-project/sirocco/internal/engine"
)

// CheckLocks wraps a store so that every engine transaction run through it
// is checked against the locking discipline the engine promises
// (docs/architecture.md, "Where a state change is guarded"); each breach
// fails t:
//
//   - a transaction that changes a record of a workflow execution tree (an
//     execution, a task, an action execution, created or updated, or an
//     execution deleted) has locked that tree's root first, unless it
//     created the tree itself (nobody else sees it before it commits);
//   - it locks one root at most (so there is one lock order);
//   - a record it updates was read after the lock, not only before it: what
//     was read before the lock may have been changed by another transaction
//     meanwhile (under SQLite's single writer it cannot, which is why this
//     check, not a failure, shows the mistake there).
//
// The engine's tests run every flow through it; a PostgreSQL store's tests
// may do the same.
func CheckLocks(t testing.TB, s engine.Store) engine.Store {
	return &lockCheckStore{Store: s, t: t}
}

type lockCheckStore struct {
	engine.Store
	t testing.TB
}

func (s *lockCheckStore) Update(ctx context.Context, fn func(engine.Tx) error) error {
	return s.Store.Update(ctx, func(tx engine.Tx) error {
		// A retried transaction starts afresh.
		c := &lockCheckTx{Tx: tx, t: s.t, roots: map[string]string{}, created: map[string]bool{},
			before: map[string]bool{}, stale: map[string]bool{}}
		if _, ok := tx.(engine.RootLocker); ok {
			return fn(&lockCheckRootTx{c})
		}
		return fn(c)
	})
}

type lockCheckTx struct {
	engine.Tx
	t  testing.TB
	mu sync.Mutex
	// locked is the root locked ("" before the lock).
	locked string
	// roots caches the root of each execution seen.
	roots map[string]string
	// created are the executions created by this transaction.
	created map[string]bool
	// before are the records read before the lock; stale those of them
	// not read again after it.
	before, stale map[string]bool
}

func (c *lockCheckTx) fail(format string, args ...any) {
	c.t.Helper()
	c.t.Errorf("locking discipline: "+format, args...)
}

// rootOfExecution returns the root of execution id ("" if unknown).
func (c *lockCheckTx) rootOfExecution(ctx context.Context, id string) string {
	if r, ok := c.roots[id]; ok {
		return r
	}
	ex, err := c.Tx.GetExecution(ctx, id)
	if err != nil {
		return ""
	}
	return c.noteExecution(ex)
}

func (c *lockCheckTx) noteExecution(ex *engine.Execution) string {
	root := ex.ID
	if ex.RootExecutionID != nil {
		root = *ex.RootExecutionID
	}
	c.roots[ex.ID] = root
	return root
}

// read notes records read.
func (c *lockCheckTx) read(ids ...string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, id := range ids {
		if c.locked == "" {
			c.before[id] = true
		} else {
			delete(c.stale, id)
		}
	}
}

// change checks a change of record id in the tree of execution exID.
func (c *lockCheckTx) change(ctx context.Context, what, id, exID string, update bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t.Helper()
	root := c.rootOfExecution(ctx, exID)
	if c.created[root] || c.created[exID] {
		return
	}
	if root == "" || c.locked != root {
		c.fail("%s %s changed in the tree of %s without the lock of its root %q (locked: %q)", what, id, exID, root, c.locked)
		return
	}
	if update && c.stale[id] {
		c.fail("%s %s updated as read before the lock of %s, not read again after it", what, id, root)
	}
}

// lockCheckRootTx is lockCheckTx over a Tx that is an engine.RootLocker:
// the engine then locks a record's root first and reads after.
type lockCheckRootTx struct{ *lockCheckTx }

// LockRootOf finds the root as the store must (reads of the checker's
// own, not counted as the engine's), checks and records the lock as
// LockExecution does, and lets the store lock it.
func (c lockCheckRootTx) LockRootOf(ctx context.Context, kind, id string) error {
	var ex *engine.Execution
	switch kind {
	case engine.RootOfAction:
		_, _, ex, _ = c.Tx.GetActionScope(ctx, id)
	case engine.RootOfExecution:
		ex, _ = c.Tx.GetExecution(ctx, id)
	}
	if ex != nil {
		c.mu.Lock()
		root := c.noteExecution(ex)
		c.mu.Unlock()
		c.noteLock(root)
	}
	return c.Tx.(engine.RootLocker).LockRootOf(ctx, kind, id)
}

func (c *lockCheckTx) LockExecution(ctx context.Context, id string) error {
	c.noteLock(id)
	return c.Tx.LockExecution(ctx, id)
}

// noteLock checks and records the lock of root id.
func (c *lockCheckTx) noteLock(id string) {
	c.mu.Lock()
	switch {
	case c.locked == id:
	case c.locked != "":
		c.fail("a second lock in one transaction: %s after %s", id, c.locked)
	default:
		c.locked = id
		for r := range c.before {
			c.stale[r] = true
		}
	}
	c.mu.Unlock()
}

func (c *lockCheckTx) GetExecution(ctx context.Context, id string) (*engine.Execution, error) {
	ex, err := c.Tx.GetExecution(ctx, id)
	if err == nil {
		c.noteExecution(ex)
		c.read(ex.ID)
	}
	return ex, err
}

func (c *lockCheckTx) ListExecutions(ctx context.Context, q engine.ListQuery) ([]*engine.Execution, error) {
	list, err := c.Tx.ListExecutions(ctx, q)
	for _, ex := range list {
		c.noteExecution(ex)
		c.read(ex.ID)
	}
	return list, err
}

func (c *lockCheckTx) GetTask(ctx context.Context, id string) (*engine.Task, error) {
	t, err := c.Tx.GetTask(ctx, id)
	if err == nil {
		c.read(t.ID)
	}
	return t, err
}

func (c *lockCheckTx) readTasks(list []*engine.Task) {
	for _, t := range list {
		c.read(t.ID)
	}
}

func (c *lockCheckTx) ListTasks(ctx context.Context, q engine.ListQuery) ([]*engine.Task, error) {
	list, err := c.Tx.ListTasks(ctx, q)
	c.readTasks(list)
	return list, err
}

func (c *lockCheckTx) TasksOf(ctx context.Context, executionID string) ([]*engine.Task, error) {
	list, err := c.Tx.TasksOf(ctx, executionID)
	c.readTasks(list)
	return list, err
}

func (c *lockCheckTx) GetActionExecution(ctx context.Context, id string) (*engine.ActionExecution, error) {
	a, err := c.Tx.GetActionExecution(ctx, id)
	if err == nil {
		c.read(a.ID)
	}
	return a, err
}

func (c *lockCheckTx) readActions(list []*engine.ActionExecution) {
	for _, a := range list {
		c.read(a.ID)
	}
}

func (c *lockCheckTx) ListActionExecutions(ctx context.Context, q engine.ListQuery) ([]*engine.ActionExecution, error) {
	list, err := c.Tx.ListActionExecutions(ctx, q)
	c.readActions(list)
	return list, err
}

func (c *lockCheckTx) ActionExecutionsOf(ctx context.Context, taskID string) ([]*engine.ActionExecution, error) {
	list, err := c.Tx.ActionExecutionsOf(ctx, taskID)
	c.readActions(list)
	return list, err
}

func (c *lockCheckTx) GetActionScope(ctx context.Context, id string) (*engine.ActionExecution, *engine.Task, *engine.Execution, error) {
	a, t, ex, err := c.Tx.GetActionScope(ctx, id)
	if a != nil {
		c.read(a.ID)
	}
	if t != nil {
		c.read(t.ID)
	}
	if ex != nil {
		c.noteExecution(ex)
		c.read(ex.ID)
	}
	return a, t, ex, err
}

func (c *lockCheckTx) CreateExecution(ctx context.Context, ex *engine.Execution) error {
	if ex.RootExecutionID != nil {
		c.change(ctx, "execution", ex.ID, *ex.RootExecutionID, false)
	}
	c.mu.Lock()
	c.created[ex.ID] = true
	c.noteExecution(ex)
	c.mu.Unlock()
	return c.Tx.CreateExecution(ctx, ex)
}

func (c *lockCheckTx) UpdateExecution(ctx context.Context, ex *engine.Execution, from ...engine.State) error {
	c.change(ctx, "execution", ex.ID, ex.ID, true)
	return c.Tx.UpdateExecution(ctx, ex, from...)
}

func (c *lockCheckTx) DeleteExecution(ctx context.Context, id string) error {
	c.change(ctx, "execution", id, id, false)
	return c.Tx.DeleteExecution(ctx, id)
}

func (c *lockCheckTx) CreateTask(ctx context.Context, t *engine.Task) error {
	c.change(ctx, "task", t.ID, t.WorkflowExecutionID, false)
	return c.Tx.CreateTask(ctx, t)
}

func (c *lockCheckTx) UpdateTask(ctx context.Context, t *engine.Task, from ...engine.State) error {
	c.change(ctx, "task", t.ID, t.WorkflowExecutionID, true)
	return c.Tx.UpdateTask(ctx, t, from...)
}

func (c *lockCheckTx) CreateActionExecution(ctx context.Context, a *engine.ActionExecution) error {
	if a.WorkflowExecutionID != nil {
		c.change(ctx, "action execution", a.ID, *a.WorkflowExecutionID, false)
	}
	return c.Tx.CreateActionExecution(ctx, a)
}

func (c *lockCheckTx) UpdateActionExecution(ctx context.Context, a *engine.ActionExecution, from ...engine.State) error {
	if a.WorkflowExecutionID != nil {
		c.change(ctx, "action execution", a.ID, *a.WorkflowExecutionID, true)
	}
	return c.Tx.UpdateActionExecution(ctx, a, from...)
}
