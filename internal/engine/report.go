package engine

import (
	"context"
	"time"
)

// EstimatedSeconds is Mistral's estimate, for an execution's report, of
// the seconds a running execution has left: the mean run time of the
// last 20 successful executions of its workflow less its own so far (1
// when past it, -1 without any to go by); 0 for one not running.
func (e *Engine) EstimatedSeconds(ctx context.Context, ex *Execution) (int, error) {
	if ex.State != StateRunning {
		return 0, nil
	}
	prev, err := e.store.ListExecutions(ctx, ListQuery{
		Filters: []Filter{
			{Field: "workflow_id", Op: OpEq, Values: []string{ex.WorkflowID}},
			{Field: "state", Op: OpEq, Values: []string{string(StateSuccess)}},
		},
		SortKeys: []string{"created_at"}, SortDirs: []string{"desc"}, Limit: 20,
	})
	if err != nil || len(prev) == 0 {
		return -1, err
	}
	var sum time.Duration
	for _, p := range prev {
		sum += p.UpdatedAt.Sub(p.CreatedAt)
	}
	left := sum/time.Duration(len(prev)) - e.now().Sub(ex.CreatedAt)
	if left < 0 {
		return 1, nil
	}
	return int(left / time.Second), nil
}
