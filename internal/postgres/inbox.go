package postgres

import (
	"context"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/sirocco-project/sirocco/internal/engine"
)

// inboxPending selects pending asynchronous action executions: the WHERE
// clause of the inbox's partial indexes.
const inboxPending = `a.is_async AND a.state IN ('RUNNING', 'PAUSED')`

// inboxPreview bounds the input text read per row: the list shows a preview.
const inboxPreview = 400

func (r reader) Inbox(ctx context.Context, q engine.InboxQuery) (*engine.InboxPage, error) {
	mine := q.Mine && q.Viewer != nil
	var a args
	// filter narrows the pending actions (as a); its parameters are in a,
	// and each query built below adds its own after them.
	conds := []string{inboxPending}
	if q.ID != "" && !mine {
		conds = append(conds, "a.id = "+a.add(q.ID))
	}
	if q.Workflow != "" {
		conds = append(conds, "a.workflow_name = "+a.add(q.Workflow))
	}
	if q.Action != "" {
		conds = append(conds, "a.name = "+a.add(q.Action))
	}
	if q.Task != "" {
		conds = append(conds, "a.task_name = "+a.add(q.Task))
	}
	if q.WaitsFor != "" {
		conds = append(conds, "a.waits_for = "+a.add(q.WaitsFor))
	}
	if q.Search != "" {
		// The action's own input, or its execution's; literal (LIKE's
		// wildcards escaped) and case-insensitive, as the SQLite store's.
		p := a.add("%" + likeEscape(q.Search) + "%")
		if utf8.RuneCountInString(q.Search) >= 3 {
			// The trigram index (migration 0014) names the candidates,
			// where both inputs meet; ILIKE on each input decides.
			conds = append(conds, `a.id IN (SELECT s.action_execution_id FROM inbox_search s WHERE s.body ILIKE `+p+`)
				AND (a.input ILIKE `+p+` ESCAPE '\' OR (SELECT e.input FROM workflow_executions e WHERE e.id = a.workflow_execution_id) ILIKE `+p+` ESCAPE '\')`)
		} else {
			// Under a trigram the index cannot help.
			conds = append(conds, `(a.input ILIKE `+p+` ESCAPE '\' OR a.workflow_execution_id IN
				(SELECT e.id FROM workflow_executions e WHERE e.input ILIKE `+p+` ESCAPE '\'))`)
		}
	}
	filter := strings.Join(conds, " AND ")
	filterArgs := append(args{}, a...)

	desc := q.Newest
	cursor, backwards := q.After, false
	if q.Before != nil {
		cursor, backwards = q.Before, true
		desc = !desc
	}
	dir := "ASC"
	if desc {
		dir = "DESC"
	}
	var query string
	if mine {
		walk := waitingWalk(*q.Viewer, filter, &a, cursor, dir, q.Limit+1)
		query = `WITH w(created_at, id) AS (` + walk + `) SELECT ` + inboxColumns(q.Viewer, &a) + ` FROM w JOIN action_executions a ON a.id = w.id
			LEFT JOIN approval_pending p ON p.action_execution_id = a.id WHERE ` + inboxPending +
			` ORDER BY w.created_at ` + dir + `, w.id ` + dir
	} else {
		if cursor != nil {
			op := ">"
			if desc {
				op = "<"
			}
			conds = append(conds, "(a.created_at, a.id) "+op+" ("+a.add(utc(cursor.CreatedAt))+"::timestamptz, "+a.add(cursor.ID)+"::text)")
		}
		query = `SELECT ` + inboxColumns(q.Viewer, &a) + ` FROM action_executions a LEFT JOIN approval_pending p ON p.action_execution_id = a.id
			WHERE ` + strings.Join(conds, " AND ") + ` ORDER BY a.created_at ` + dir + `, a.id ` + dir + ` LIMIT ` + a.add(q.Limit+1)
	}
	rows, err := r.db.Query(ctx, query, a...)
	if err != nil {
		return nil, fmt.Errorf("inbox: %w", err)
	}
	defer rows.Close()
	p := &engine.InboxPage{Items: make([]engine.InboxItem, 0, q.Limit+1)}
	for rows.Next() {
		var it engine.InboxItem
		var wf, task, taskID, exID, exInput, title, requestedBy, missing, desc, startedBy, req *string
		var state string
		var mayDecide bool
		if err := rows.Scan(&it.ID, &it.Action, &wf, &task, &taskID, &exID, &state, &it.InputPreview, &it.CreatedAt, &exInput, &it.TimeoutAt,
			&it.WaitsFor, &desc, &startedBy, &req, &title, &requestedBy, &missing, &mayDecide); err != nil {
			return nil, fmt.Errorf("inbox: %w", err)
		}
		it.WorkflowName, it.TaskName, it.TaskExecutionID, it.WorkflowExecutionID = deref(wf), deref(task), deref(taskID), deref(exID)
		it.Description, it.StartedBy, it.RequestLine = deref(desc), deref(startedBy), deref(req)
		it.State, it.ExecutionInputPreview = engine.State(state), deref(exInput)
		if title != nil {
			it.Approval = &engine.InboxApproval{Title: *title, RequestedBy: deref(requestedBy), Missing: deref(missing), MayDecide: mayDecide}
		}
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

	if mine {
		n, err := r.countWaiting(ctx, *q.Viewer, filter, filterArgs, engine.WaitingCountCap+1)
		if err != nil {
			return nil, err
		}
		p.Matching = min(n, engine.WaitingCountCap)
		p.MatchingCapped = n > engine.WaitingCountCap
		return p, nil
	}
	if err := r.db.QueryRow(ctx, `SELECT count(*) FROM action_executions a WHERE `+inboxPending).Scan(&p.Pending); err != nil {
		return nil, fmt.Errorf("inbox count: %w", err)
	}
	if err := r.db.QueryRow(ctx, `SELECT count(*) FROM action_executions a WHERE a.waits_for = $1 AND `+inboxPending,
		engine.WaitsForService).Scan(&p.Services); err != nil {
		return nil, fmt.Errorf("inbox count: %w", err)
	}
	p.Matching = p.Pending
	if q.Filtered() || q.ID != "" || q.WaitsFor != "" {
		ca := append(args{}, filterArgs...)
		err := r.db.QueryRow(ctx, `SELECT count(*) FROM (SELECT 1 FROM action_executions a WHERE `+filter+` LIMIT `+ca.add(engine.InboxCountCap+1)+`) m`,
			ca...).Scan(&p.Matching)
		if err != nil {
			return nil, fmt.Errorf("inbox count: %w", err)
		}
		if p.Matching > engine.InboxCountCap {
			p.Matching, p.MatchingCapped = engine.InboxCountCap, true
		}
	}
	return p, nil
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

// inboxColumns are the columns of an inbox row (the action as a, its
// approval entry as p), the last one whether it waits for v (false
// without a viewer).
func inboxColumns(v *engine.Viewer, a *args) string {
	cols := `a.id, a.name, a.workflow_name, a.task_name, a.task_execution_id, a.workflow_execution_id, a.state,
		substr(a.input, 1, ` + fmt.Sprint(inboxPreview) + `), a.created_at,
		(SELECT substr(e.input, 1, ` + fmt.Sprint(inboxPreview) + `) FROM workflow_executions e WHERE e.id = a.workflow_execution_id),
		(SELECT min(j.due_at) FROM jobs j WHERE j.ref = a.task_execution_id AND j.kind = '` + engine.JobTaskTimeout + `'),
		a.waits_for,
		(SELECT e.description FROM workflow_executions e WHERE e.id = a.workflow_execution_id),
		(SELECT e.created_by FROM workflow_executions e WHERE e.id = a.workflow_execution_id),
		trim(coalesce(a.request::jsonb ->> 'method', '') || ' ' || coalesce(a.request::jsonb ->> 'url', '')),
		p.title, p.requested_by, p.missing, `
	if v == nil {
		return cols + `false`
	}
	return cols + `(p.action_execution_id IS NOT NULL
		AND EXISTS (SELECT 1 FROM approval_eligible e WHERE e.action_execution_id = a.id AND e.principal = ANY(` + a.add(v.Principals()) + `::text[]))
		AND NOT EXISTS (SELECT 1 FROM approval_eligible e WHERE e.action_execution_id = a.id AND e.principal = ` + a.add(notPrincipal(v.User)) + `))`
}

// notPrincipal is the principal of the rows of the approvals that do not
// wait for user although among their deciders (engine.ApprovalEntry's
// Excluded).
func notPrincipal(user string) string { return "not:" + user }

// waitingWalk is the SQL of the pending approvals waiting for v, as
// (created_at, action_execution_id) rows in the inbox order dir from
// cursor, at most limit: the rows of approval_eligible for each principal
// of v's (UNION), less v's not: rows (EXCEPT). filter (on the action, as
// a, its parameters already in a) narrows it, as in the inbox.
func waitingWalk(v engine.Viewer, filter string, a *args, cursor *engine.InboxCursor, dir string, limit int) string {
	walk := func(principal string, filtered bool) string {
		q := `SELECT e.created_at, e.action_execution_id FROM approval_eligible e WHERE e.principal = ` + a.add(principal)
		if cursor != nil {
			op := ">"
			if dir == "DESC" {
				op = "<"
			}
			q += ` AND (e.created_at, e.action_execution_id) ` + op + ` (` + a.add(utc(cursor.CreatedAt)) + `::timestamptz, ` + a.add(cursor.ID) + `::text)`
		}
		if filtered && filter != inboxPending {
			q += ` AND EXISTS (SELECT 1 FROM action_executions a WHERE a.id = e.action_execution_id AND ` + filter + `)`
		}
		return q
	}
	var parts []string
	for _, pr := range v.Principals() {
		parts = append(parts, walk(pr, true))
	}
	// UNION drops an approval that names v twice (by name and by group).
	return `(` + strings.Join(parts, " UNION ") + `) EXCEPT ` + walk(notPrincipal(v.User), false) +
		` ORDER BY 1 ` + dir + `, 2 ` + dir + ` LIMIT ` + a.add(limit)
}

// countWaiting counts the approvals waiting for v that match filter (its
// parameters filterArgs), stopping at limit.
func (r reader) countWaiting(ctx context.Context, v engine.Viewer, filter string, filterArgs args, limit int) (int, error) {
	a := append(args{}, filterArgs...)
	walk := waitingWalk(v, filter, &a, nil, "ASC", limit)
	var n int
	if err := r.db.QueryRow(ctx, `SELECT count(*) FROM (`+walk+`) w`, a...).Scan(&n); err != nil {
		return 0, fmt.Errorf("approvals waiting for %s: %w", v.User, err)
	}
	return n, nil
}

func (r reader) CountWaiting(ctx context.Context, v engine.Viewer, limit int) (int, error) {
	return r.countWaiting(ctx, v, inboxPending, nil, limit)
}

func (t *tx) PutApprovalEntry(ctx context.Context, e *engine.ApprovalEntry) error {
	_, err := t.q.Exec(ctx, `INSERT INTO approval_pending (action_execution_id, title, requested_by, missing) VALUES ($1, $2, $3, $4)
		ON CONFLICT (action_execution_id) DO UPDATE SET title = excluded.title, requested_by = excluded.requested_by, missing = excluded.missing`,
		e.ActionExecutionID, e.Title, e.RequestedBy, e.Missing)
	if err != nil {
		return dbErr(err, "put approval entry")
	}
	if _, err := t.q.Exec(ctx, `DELETE FROM approval_eligible WHERE action_execution_id = $1`, e.ActionExecutionID); err != nil {
		return dbErr(err, "put approval entry")
	}
	principals := append([]string{}, e.Deciders...)
	for _, u := range e.Excluded {
		principals = append(principals, notPrincipal(u))
	}
	_, err = t.q.Exec(ctx, `INSERT INTO approval_eligible (principal, created_at, action_execution_id)
		SELECT p, $2, $3 FROM unnest($1::text[]) p ON CONFLICT DO NOTHING`, principals, utc(e.CreatedAt), e.ActionExecutionID)
	return dbErr(err, "put approval entry")
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
		col string
		out *[]string
	}{
		{"workflow_name", &f.Workflows},
		{"name", &f.Actions},
		{"task_name", &f.Tasks},
	} {
		vals, err := r.distinctPending(ctx, c.col)
		if err != nil {
			return nil, err
		}
		*c.out = vals
	}
	return f, nil
}

// distinctPending lists the distinct values of col among pending items,
// skipping through its partial index one value at a time.
func (r reader) distinctPending(ctx context.Context, col string) ([]string, error) {
	query := `WITH RECURSIVE v(x) AS (
		SELECT min(a.` + col + `) FROM action_executions a WHERE ` + inboxPending + `
		UNION ALL
		SELECT (SELECT min(a.` + col + `) FROM action_executions a WHERE ` + inboxPending + ` AND a.` + col + ` > v.x) FROM v WHERE v.x IS NOT NULL
	) SELECT x FROM v WHERE x IS NOT NULL LIMIT $1`
	out, err := collect(ctx, r.db, "inbox facets", func(s pgxScanner) (string, error) {
		var v string
		return v, s.Scan(&v)
	}, query, inboxFacetLimit)
	if out == nil && err == nil {
		out = []string{}
	}
	return out, err
}

func (r reader) TaskTimeout(ctx context.Context, taskID string) (*time.Time, error) {
	var due *time.Time
	err := r.db.QueryRow(ctx, `SELECT min(due_at) FROM jobs WHERE ref = $1 AND kind = $2`, taskID, engine.JobTaskTimeout).Scan(&due)
	if err != nil {
		return nil, fmt.Errorf("task timeout of %s: %w", taskID, err)
	}
	return due, nil
}
