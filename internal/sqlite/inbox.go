package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"

	"github.com/sirocco-project/sirocco/internal/engine"
)

// inboxPending selects pending asynchronous action executions. It repeats
// the WHERE clause of the partial indexes of migration 0003 exactly, so that
// SQLite can use them.
const inboxPending = `is_async = 1 AND state IN ('RUNNING', 'PAUSED')`

// inboxPreview bounds the input text read per row: the list shows a preview.
const inboxPreview = 400

func (r reader) Inbox(ctx context.Context, q engine.InboxQuery) (*engine.InboxPage, error) {
	conds := []string{inboxPending}
	var args []any
	if q.ID != "" {
		conds, args = append(conds, "id = ?"), append(args, q.ID)
	}
	if q.Workflow != "" {
		conds, args = append(conds, "workflow_name = ?"), append(args, q.Workflow)
	}
	if q.Action != "" {
		conds, args = append(conds, "name = ?"), append(args, q.Action)
	}
	if q.Task != "" {
		conds, args = append(conds, "task_name = ?"), append(args, q.Task)
	}
	if q.Search != "" {
		// The action's own input, or its execution's: an approver looks
		// for "bob", which std.async_noop's empty input never holds.
		pat := "%" + likeEscape(q.Search) + "%"
		// IN (subquery) scans the executions once, not once per action.
		conds = append(conds, `(a.input LIKE ? ESCAPE '\' OR a.workflow_execution_id IN
			(SELECT e.id FROM workflow_executions e WHERE e.input LIKE ? ESCAPE '\'))`)
		args = append(args, pat, pat)
	}
	filter := strings.Join(conds, " AND ")
	// Name the partial index that yields the rows in order: the planner,
	// without statistics, would rather use the older (state, created_at)
	// index and sort every pending row.
	index := " INDEXED BY action_executions_inbox"
	switch {
	case q.ID != "":
		index = "" // the primary key
	case q.Workflow != "":
		index = " INDEXED BY action_executions_inbox_workflow"
	case q.Task != "":
		index = " INDEXED BY action_executions_inbox_task"
	case q.Action != "":
		index = " INDEXED BY action_executions_inbox_action"
	}
	filterArgs := append([]any{}, args...)

	// Walking backwards (a "previous page" link) reads the reverse order
	// and flips the rows afterwards.
	desc := q.Newest
	cursor, backwards := q.After, false
	if q.Before != nil {
		cursor, backwards = q.Before, true
		desc = !desc
	}
	if cursor != nil {
		op := ">"
		if desc {
			op = "<"
		}
		conds = append(conds, "(created_at, id) "+op+" (?, ?)")
		args = append(args, fmtTime(cursor.CreatedAt), cursor.ID)
	}
	dir := "ASC"
	if desc {
		dir = "DESC"
	}
	// The deadline is a scalar subquery rather than a LEFT JOIN so that a
	// task can never appear twice, whatever jobs exist for it.
	query := `SELECT id, name, workflow_name, task_name, task_execution_id, workflow_execution_id, state,
		substr(input, 1, ` + fmt.Sprint(inboxPreview) + `), created_at,
		(SELECT substr(e.input, 1, ` + fmt.Sprint(inboxPreview) + `) FROM workflow_executions e WHERE e.id = a.workflow_execution_id),
		(SELECT MIN(j.due_at) FROM jobs j WHERE j.ref = a.task_execution_id AND j.kind = '` + engine.JobTaskTimeout + `')
		FROM action_executions a` + index + ` WHERE ` + strings.Join(conds, " AND ") +
		` ORDER BY created_at ` + dir + `, id ` + dir + ` LIMIT ?`
	args = append(args, q.Limit+1)
	rows, err := r.db.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("inbox: %w", err)
	}
	defer rows.Close()
	p := &engine.InboxPage{Items: make([]engine.InboxItem, 0, q.Limit+1)}
	for rows.Next() {
		var it engine.InboxItem
		var wf, task, taskID, exID, exInput, due sql.NullString
		var state, created string
		if err := rows.Scan(&it.ID, &it.Action, &wf, &task, &taskID, &exID, &state, &it.InputPreview, &created, &exInput, &due); err != nil {
			return nil, fmt.Errorf("inbox: %w", err)
		}
		it.WorkflowName, it.TaskName, it.TaskExecutionID, it.WorkflowExecutionID = wf.String, task.String, taskID.String, exID.String
		it.State, it.CreatedAt, it.TimeoutAt = engine.State(state), parseTime(created), parseTimePtr(due)
		it.ExecutionInputPreview = exInput.String
		p.Items = append(p.Items, it)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("inbox: %w", err)
	}
	more := len(p.Items) > q.Limit
	if more {
		p.Items = p.Items[:q.Limit]
	}
	if backwards {
		for i, j := 0, len(p.Items)-1; i < j; i, j = i+1, j-1 {
			p.Items[i], p.Items[j] = p.Items[j], p.Items[i]
		}
	}
	if n := len(p.Items); n > 0 {
		first, last := p.Items[0].Cursor(), p.Items[n-1].Cursor()
		switch {
		case backwards:
			p.Next = &last // we came from there
			if more {
				p.Prev = &first
			}
		default:
			if more {
				p.Next = &last
			}
			if cursor != nil {
				p.Prev = &first
			}
		}
	}

	if err := r.db.QueryRowContext(ctx, `SELECT COUNT(*) FROM action_executions INDEXED BY action_executions_inbox WHERE `+inboxPending).Scan(&p.Pending); err != nil {
		return nil, fmt.Errorf("inbox count: %w", err)
	}
	p.Matching = p.Pending
	if q.Filtered() || q.ID != "" {
		err := r.db.QueryRowContext(ctx, `SELECT COUNT(*) FROM (SELECT 1 FROM action_executions a`+index+` WHERE `+filter+` LIMIT ?)`,
			append(filterArgs, engine.InboxCountCap+1)...).Scan(&p.Matching)
		if err != nil {
			return nil, fmt.Errorf("inbox count: %w", err)
		}
		if p.Matching > engine.InboxCountCap {
			p.Matching, p.MatchingCapped = engine.InboxCountCap, true
		}
	}
	return p, nil
}

// likeEscape escapes LIKE's wildcards so a search matches literally.
func likeEscape(s string) string {
	return strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(s)
}

// inboxFacetLimit bounds each facet list.
const inboxFacetLimit = 200

func (r reader) InboxFacets(ctx context.Context) (*engine.InboxFacets, error) {
	f := &engine.InboxFacets{}
	for _, c := range []struct {
		col, index string
		out        *[]string
	}{
		{"workflow_name", "action_executions_inbox_workflow", &f.Workflows},
		{"name", "action_executions_inbox_action", &f.Actions},
		{"task_name", "action_executions_inbox_task", &f.Tasks},
	} {
		vals, err := r.distinctPending(ctx, c.col, c.index)
		if err != nil {
			return nil, err
		}
		*c.out = vals
	}
	return f, nil
}

// distinctPending lists the distinct values of col among pending items by
// skipping through its partial index (one index seek per value) instead of
// grouping every pending row.
func (r reader) distinctPending(ctx context.Context, col, index string) ([]string, error) {
	query := `WITH RECURSIVE v(x) AS (
		SELECT MIN(` + col + `) FROM action_executions INDEXED BY ` + index + ` WHERE ` + inboxPending + `
		UNION ALL
		SELECT (SELECT MIN(` + col + `) FROM action_executions INDEXED BY ` + index + ` WHERE ` + inboxPending + ` AND ` + col + ` > v.x) FROM v WHERE v.x IS NOT NULL
	) SELECT x FROM v WHERE x IS NOT NULL LIMIT ?`
	rows, err := r.db.QueryContext(ctx, query, inboxFacetLimit)
	if err != nil {
		return nil, fmt.Errorf("inbox facets: %w", err)
	}
	defer rows.Close()
	out := []string{}
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			return nil, fmt.Errorf("inbox facets: %w", err)
		}
		out = append(out, s)
	}
	return out, rows.Err()
}

func (r reader) TaskTimeout(ctx context.Context, taskID string) (*time.Time, error) {
	var due sql.NullString
	err := r.db.QueryRowContext(ctx, `SELECT MIN(due_at) FROM jobs WHERE ref = ? AND kind = ?`, taskID, engine.JobTaskTimeout).Scan(&due)
	if err != nil {
		return nil, fmt.Errorf("task timeout of %s: %w", taskID, err)
	}
	return parseTimePtr(due), nil
}
