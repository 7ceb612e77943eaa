package engine

import "github.com/sirocco-project/sirocco/internal/fault"

// State is a Mistral state of a workflow execution, task execution or
// action execution. The wire values are Mistral's.
type State string

const (
	// StateIdle: a task held by pause-before; the user resumes the workflow.
	StateIdle State = "IDLE"
	// StateWaiting: a join task waiting for its inbound transitions; the engine moves it.
	StateWaiting State = "WAITING"
	// StateRunning: the engine (sync actions) or a third party (async actions) moves it on.
	StateRunning State = "RUNNING"
	// StateDelayed: waiting on a policy timer (wait-before, wait-after, retry); the timer moves it.
	StateDelayed State = "DELAYED"
	// StatePaused: a user or a PAUSED callback paused it; a user or a RUNNING callback resumes it.
	StatePaused State = "PAUSED"
	// StateSuccess is terminal.
	StateSuccess State = "SUCCESS"
	// StateError is terminal (a task rerun may revive it later).
	StateError State = "ERROR"
	// StateCancelled is terminal.
	StateCancelled State = "CANCELLED"
)

// Completed reports whether s is terminal.
func (s State) Completed() bool {
	return s == StateSuccess || s == StateError || s == StateCancelled
}

// Valid reports whether s is one of Mistral's states.
func (s State) Valid() bool {
	switch s {
	case StateIdle, StateWaiting, StateRunning, StateDelayed, StatePaused, StateSuccess, StateError, StateCancelled:
		return true
	}
	return false
}

// Record kinds, as Event.Kind names them.
const (
	KindExecution = "execution"
	KindTask      = "task"
	KindAction    = "action_execution"
)

// transitions is Mistral's state transition table (reference §6), the same
// for workflow executions, tasks and actions. X→X is always allowed and not
// listed.
var transitions = map[State][]State{
	StateIdle:      {StateRunning, StateError, StateCancelled},
	StateWaiting:   {StateRunning},
	StateRunning:   {StatePaused, StateDelayed, StateSuccess, StateError, StateCancelled},
	StateDelayed:   {StateRunning, StateError, StateCancelled},
	StatePaused:    {StateRunning, StateError, StateCancelled},
	StateSuccess:   nil,
	StateCancelled: {StateRunning},
	StateError:     {StateRunning},
}

// beyondTable are the moves the engine makes besides Mistral's table, per
// kind of record. Mistral's engine makes them too, or passes through a
// state that Sirocco skips within one transaction (never committed).
// Executions make none: their moves are checked against the table alone,
// as Mistral checks them (a paused workflow cannot be stopped with
// SUCCESS).
var beyondTable = map[string]map[State][]State{
	// A completion bypasses the table, only "already completed" is checked
	// (reference §6): a paused asynchronous action can succeed.
	KindAction: {StatePaused: {StateSuccess}},
	KindTask: {
		// pause-before: Mistral creates the task IDLE; Sirocco creates it
		// RUNNING and holds it in the same transaction.
		StateRunning: {StateIdle},
		// A satisfied join applies wait-before or pause-before (Mistral
		// passes through RUNNING); a join that can no longer be satisfied
		// fails; a workflow that ends cancels it.
		StateWaiting: {StateDelayed, StateIdle, StateError, StateCancelled},
		// pause-before after wait-before; wait-after over: the outcome the
		// task held is recorded.
		StateDelayed: {StateIdle, StateSuccess},
		// The action of a paused task succeeded: the task completes, its
		// transitions wait for the workflow's resume.
		StatePaused: {StateSuccess},
		// An error in handling a finished task's completion (a transition's
		// guard, the workflow's output) fails it, as Mistral's
		// force-fail does.
		StateSuccess: {StateError},
	},
}

// CanTransition reports whether a record of kind (KindExecution, KindTask
// or KindAction) may move from → to: Mistral's table, and the moves its
// engine makes besides for that kind.
func CanTransition(kind string, from, to State) bool {
	if from == to {
		return true
	}
	for _, s := range transitions[from] {
		if s == to {
			return true
		}
	}
	for _, s := range beyondTable[kind][from] {
		if s == to {
			return true
		}
	}
	return false
}

// errTransition is the refusal of a move the table does not allow.
func errTransition(from, to State) error {
	return fault.Errorf(fault.EINVALID, "Invalid state transition from %s to %s.", from, to)
}

// The three functions below are the only place where the engine writes an
// execution, a task or an action execution once created: each checks the
// move from its state as read (from; the same when it does not change)
// against the table, then writes guarded by that state and by the record's
// version. They also clean state_info, which the engine makes from
// outside data (text.go).

func (w *work) writeExecution(ex *Execution, from State) error {
	if !CanTransition(KindExecution, from, ex.State) {
		return errTransition(from, ex.State)
	}
	cleanInfo(&ex.StateInfo)
	return w.tx.UpdateExecution(w.ctx, ex, from)
}

func (w *work) writeTask(t *Task, from State) error {
	if !CanTransition(KindTask, from, t.State) {
		return errTransition(from, t.State)
	}
	cleanInfo(&t.StateInfo)
	return w.tx.UpdateTask(w.ctx, t, from)
}

func (w *work) writeAction(a *ActionExecution, from State) error {
	if !CanTransition(KindAction, from, a.State) {
		return errTransition(from, a.State)
	}
	cleanInfo(&a.StateInfo)
	return w.tx.UpdateActionExecution(w.ctx, a, from)
}

// Pending lists the states of an action execution that still awaits a
// result: a completion may only move it out of these.
var Pending = []State{StateRunning, StatePaused}
