package engine

// maxInstantRuns bounds the instant actions one transaction runs: a loop
// of std.echo tasks would otherwise never commit. The rest run as jobs,
// each of which goes on with the next ones in its own transaction.
const maxInstantRuns = 32

// instantRun is an instant action started in this transaction, waiting
// for its turn in runInstant.
type instantRun struct {
	action *ActionExecution
	def    *actionDef
	input  map[string]any
}

// runsInstantly tells whether an action with this checked input may run in
// the transaction that started it: a built-in without I/O (an ad-hoc
// action's base input is an expression over its input, so those run as
// jobs, as do std.echo's with a delay).
func (d *actionDef) runsInstantly(in map[string]any) bool {
	if !d.instant || d.spec != nil {
		return false
	}
	if d.name == "std.echo" {
		s, ok := toSeconds(in["delay"])
		return ok && s == 0
	}
	return true
}

// runInstant runs the instant actions this transaction started, after the
// step that started them, as the job worker would run them after commit:
// each sees the records as they are once every task of that step exists
// (a workflow that starts two tasks is not found finished after the
// first). It saves a transaction, a job row and its lease per action,
// which for a chain of three tasks is half of its commits. An action's
// own completion may start more; past maxInstantRuns they become jobs.
func (w *work) runInstant() error {
	for len(w.instant) > 0 {
		r := w.instant[0]
		w.instant = w.instant[1:]
		if w.instantRuns >= maxInstantRuns {
			if err := w.addJob(JobRunAction, r.action.ID, w.e.now()); err != nil {
				return err
			}
			continue
		}
		w.instantRuns++
		state, result := w.e.invoke(w.ctx, r.def, r.action, r.input)
		// Read again: this transaction may have moved it since (a task
		// timed out, the execution was cancelled by a fail-on).
		a, err := w.tx.GetActionExecution(w.ctx, r.action.ID)
		if err != nil {
			return err
		}
		if a.State.Completed() {
			continue
		}
		if err := w.recordResult(a, state, result); err != nil {
			return err
		}
	}
	return nil
}
