package engine

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

// transitions is Mistral's state transition table (reference §6). X→X is
// always allowed and not listed.
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

// CanTransition reports whether the table allows from → to.
func CanTransition(from, to State) bool {
	if from == to {
		return true
	}
	for _, s := range transitions[from] {
		if s == to {
			return true
		}
	}
	return false
}

// Pending lists the states of an action execution that still awaits a
// result: a completion may only move it out of these.
var Pending = []State{StateRunning, StatePaused}
