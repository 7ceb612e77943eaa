package sqlite

import (
	"cmp"
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/sirocco-project/sirocco/internal/engine"
	"github.com/sirocco-project/sirocco/internal/jsonvalue"
)

// inboxPending selects pending asynchronous action executions. It repeats
// the WHERE clause of the partial indexes of migration 0003 exactly, so that
// SQLite can use them.
const inboxPending = `is_async = 1 AND state IN ('RUNNING', 'PAUSED')`

// inboxPreview bounds the input text read per row: the list shows a preview.
const inboxPreview = 400

func (r reader) Inbox(ctx context.Context, q engine.InboxQuery) (*engine.InboxPage, error) {
	mine := q.Mine && q.Viewer != nil
	conds := []string{inboxPending}
	var args []any
	if q.ID != "" && !mine {
		conds, args = append(conds, "a.id = ?"), append(args, q.ID)
	}
	if q.Workflow != "" {
		conds, args = append(conds, "a.workflow_name = ?"), append(args, q.Workflow)
	}
	if q.Action != "" {
		conds, args = append(conds, "a.name = ?"), append(args, q.Action)
	}
	if q.Task != "" {
		conds, args = append(conds, "a.task_name = ?"), append(args, q.Task)
	}
	if q.WaitsFor != "" {
		conds, args = append(conds, "a.waits_for = ?"), append(args, q.WaitsFor)
	}
	useIndex := false
	if indexedSearch(q.Search) {
		var err error
		if useIndex, err = r.fewCandidates(ctx, q.Search); err != nil {
			return nil, err
		}
	}
	if q.Search != "" {
		// The action's own input, or its execution's: an approver looks
		// for "bob", which std.async_noop's empty input never holds.
		pat := "%" + likeEscape(q.Search) + "%"
		if useIndex {
			// The trigram index (migration 0029) names the candidates;
			// LIKE, on their rows, decides, so the results are the same
			// as the scan's below.
			// The index lags (migration 0030): the actions recorded since
			// it was last brought in step are candidates too.
			conds = append(conds, `(a.id IN (SELECT d.action_execution_id FROM inbox_fts f JOIN inbox_docs d ON d.docid = f.rowid WHERE inbox_fts MATCH ?)
				OR a.id IN (SELECT j.value FROM inbox_lag l, json_each(l.entered) j))
				AND (a.input LIKE ? ESCAPE '\' OR (SELECT e.input FROM workflow_executions e WHERE e.id = a.workflow_execution_id) LIKE ? ESCAPE '\')`)
			args = append(args, ftsTrigrams(q.Search), pat, pat)
		} else {
			// IN (subquery) scans the executions once, not once per action.
			conds = append(conds, `(a.input LIKE ? ESCAPE '\' OR a.workflow_execution_id IN
				(SELECT e.id FROM workflow_executions e WHERE e.input LIKE ? ESCAPE '\'))`)
			args = append(args, pat, pat)
		}
	}
	filter := strings.Join(conds, " AND ")
	// Name the partial index that yields the rows in order: the planner,
	// without statistics, would rather use the older (state, created_at)
	// index and sort every pending row.
	index := " INDEXED BY action_executions_inbox"
	switch {
	case q.ID != "":
		index = "" // the primary key
	case useIndex:
		// The search's candidates, each looked up by primary key, then
		// sorted: left to itself the planner walks every pending row.
		index = " INDEXED BY sqlite_autoindex_action_executions_1"
	case q.Workflow != "":
		index = " INDEXED BY action_executions_inbox_workflow"
	case q.Task != "":
		index = " INDEXED BY action_executions_inbox_task"
	case q.Action != "":
		index = " INDEXED BY action_executions_inbox_action"
	case q.WaitsFor != "":
		index = " INDEXED BY action_executions_inbox_waits"
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
	dir := "ASC"
	if desc {
		dir = "DESC"
	}
	// The approval's row and, for a viewer, whether it waits for them.
	cols, colArgs := inboxColumns(q.Viewer)
	var query string
	if mine {
		walk, walkArgs := waitingWalk(*q.Viewer, filter, filterArgs, cursor, dir, q.Limit+1)
		// CROSS JOIN keeps the walk outside: each of its rows is then one
		// look-up by primary key.
		query = `WITH w(created_at, id) AS (` + walk + `) SELECT ` + cols + ` FROM w CROSS JOIN action_executions a ON a.id = w.id
			LEFT JOIN approval_pending p ON p.action_execution_id = a.id WHERE ` + inboxPending +
			` ORDER BY w.created_at ` + dir + `, w.id ` + dir
		args = append(walkArgs, colArgs...) // in the order of the text: the walk comes first
	} else {
		if cursor != nil {
			op := ">"
			if desc {
				op = "<"
			}
			conds = append(conds, "(a.created_at, a.id) "+op+" (?, ?)")
			args = append(args, fmtTime(cursor.CreatedAt), cursor.ID)
		}
		query = `SELECT ` + cols + ` FROM action_executions a` + index + ` LEFT JOIN approval_pending p ON p.action_execution_id = a.id
			WHERE ` + strings.Join(conds, " AND ") + ` ORDER BY a.created_at ` + dir + `, a.id ` + dir + ` LIMIT ?`
		args = append(append(colArgs, args...), q.Limit+1)
	}
	rows, err := r.db.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("inbox: %w", err)
	}
	defer rows.Close()
	p := &engine.InboxPage{Items: make([]engine.InboxItem, 0, q.Limit+1)}
	for rows.Next() {
		var it engine.InboxItem
		var wf, task, taskID, exID, exInput, due, title, requestedBy, missing, desc, startedBy, req sql.NullString
		var state, created string
		var mayDecide int
		if err := rows.Scan(&it.ID, &it.Action, &wf, &task, &taskID, &exID, &state, &it.InputPreview, &created, &exInput, &due,
			&it.WaitsFor, &desc, &startedBy, &req, &title, &requestedBy, &missing, &mayDecide); err != nil {
			return nil, fmt.Errorf("inbox: %w", err)
		}
		it.WorkflowName, it.TaskName, it.TaskExecutionID, it.WorkflowExecutionID = wf.String, task.String, taskID.String, exID.String
		it.Description, it.StartedBy, it.RequestLine = desc.String, startedBy.String, req.String
		it.State, it.CreatedAt, it.TimeoutAt = engine.State(state), parseTime(created), parseTimePtr(due)
		it.ExecutionInputPreview = exInput.String
		if title.Valid {
			it.Approval = &engine.InboxApproval{Title: title.String, RequestedBy: requestedBy.String, Missing: missing.String, MayDecide: mayDecide != 0}
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
		// What waits for the viewer, as the header counts it (Pending is
		// not counted: the page shows only theirs).
		n, err := r.countWaiting(ctx, *q.Viewer, filter, filterArgs, engine.WaitingCountCap+1)
		if err != nil {
			return nil, err
		}
		p.Matching = min(n, engine.WaitingCountCap)
		p.MatchingCapped = n > engine.WaitingCountCap
		return p, nil
	}
	if err := r.db.QueryRowContext(ctx, `SELECT COUNT(*) FROM action_executions INDEXED BY action_executions_inbox WHERE `+inboxPending).Scan(&p.Pending); err != nil {
		return nil, fmt.Errorf("inbox count: %w", err)
	}
	if err := r.db.QueryRowContext(ctx, `SELECT COUNT(*) FROM action_executions INDEXED BY action_executions_inbox_waits WHERE waits_for = ? AND `+inboxPending,
		engine.WaitsForService).Scan(&p.Services); err != nil {
		return nil, fmt.Errorf("inbox count: %w", err)
	}
	p.Matching = p.Pending
	if q.Filtered() || q.ID != "" || q.WaitsFor != "" {
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

// inboxColumns are the columns of an inbox row (the action as a, its
// approval entry as p), the last one whether it waits for v (0 without a
// viewer), and that column's arguments.
func inboxColumns(v *engine.Viewer) (string, []any) {
	cols := `a.id, a.name, a.workflow_name, a.task_name, a.task_execution_id, a.workflow_execution_id, a.state,
		substr(a.input, 1, ` + fmt.Sprint(inboxPreview) + `), a.created_at,
		(SELECT substr(e.input, 1, ` + fmt.Sprint(inboxPreview) + `) FROM workflow_executions e WHERE e.id = a.workflow_execution_id),
		(SELECT MIN(j.due_at) FROM jobs j WHERE j.ref = a.task_execution_id AND j.kind = '` + engine.JobTaskTimeout + `'),
		a.waits_for,
		(SELECT e.description FROM workflow_executions e WHERE e.id = a.workflow_execution_id),
		(SELECT e.created_by FROM workflow_executions e WHERE e.id = a.workflow_execution_id),
		CASE WHEN json_valid(a.request) THEN trim(ifnull(json_extract(a.request, '$.method'), '') || ' ' || ifnull(json_extract(a.request, '$.url'), '')) END,
		p.title, p.requested_by, p.missing, `
	// The deadline is a scalar subquery rather than a LEFT JOIN so that a
	// task can never appear twice, whatever jobs exist for it.
	if v == nil {
		return cols + `0`, nil
	}
	principals, _ := json.Marshal(v.Principals())
	return cols + `(p.action_execution_id IS NOT NULL
		AND EXISTS (SELECT 1 FROM approval_eligible e WHERE e.action_execution_id = a.id AND e.principal IN (SELECT value FROM json_each(?)))
		AND NOT EXISTS (SELECT 1 FROM approval_eligible e WHERE e.action_execution_id = a.id AND e.principal = ?))`,
		[]any{string(principals), notPrincipal(v.User)}
}

// notPrincipal is the principal of the rows of the approvals that do not
// wait for user although among their deciders (engine.ApprovalEntry's
// Excluded).
func notPrincipal(user string) string { return "not:" + user }

// waitingWalk is the SQL of the pending approvals waiting for v, as
// (created_at, action_execution_id) rows in the inbox order dir from
// cursor, at most limit: the ordered walks of approval_eligible's primary
// key for each principal of v's, merged (UNION), less the walk of v's
// not: rows (EXCEPT). SQLite merges compound selects that share an order
// as it reads them, so the walks stop once limit rows are found: the cost
// follows how far back in time the rows lie, not how many approvals wait
// for others, or how many v voted on. filter (on the action, as a)
// narrows it, as in the inbox, at one look-up per row walked.
func waitingWalk(v engine.Viewer, filter string, filterArgs []any, cursor *engine.InboxCursor, dir string, limit int) (string, []any) {
	var args []any
	walk := func(principal string, filtered bool) string {
		q := `SELECT e.created_at, e.action_execution_id FROM approval_eligible e WHERE e.principal = ?`
		args = append(args, principal)
		if cursor != nil {
			op := ">"
			if dir == "DESC" {
				op = "<"
			}
			q += ` AND (e.created_at, e.action_execution_id) ` + op + ` (?, ?)`
			args = append(args, fmtTime(cursor.CreatedAt), cursor.ID)
		}
		if filtered && filter != inboxPending {
			q += ` AND EXISTS (SELECT 1 FROM action_executions a WHERE a.id = e.action_execution_id AND ` + filter + `)`
			args = append(args, filterArgs...)
		}
		return q
	}
	var parts []string
	for _, pr := range v.Principals() {
		parts = append(parts, walk(pr, true))
	}
	// UNION drops an approval that names v twice (by name and by group).
	q := strings.Join(parts, " UNION ") + " EXCEPT " + walk(notPrincipal(v.User), false) +
		` ORDER BY 1 ` + dir + `, 2 ` + dir + ` LIMIT ?`
	return q, append(args, limit)
}

// countWaiting counts the approvals waiting for v that match filter,
// stopping at limit.
func (r reader) countWaiting(ctx context.Context, v engine.Viewer, filter string, filterArgs []any, limit int) (int, error) {
	walk, args := waitingWalk(v, filter, filterArgs, nil, "ASC", limit)
	var n int
	if err := r.db.QueryRowContext(ctx, `SELECT COUNT(*) FROM (`+walk+`)`, args...).Scan(&n); err != nil {
		return 0, fmt.Errorf("approvals waiting for %s: %w", v.User, err)
	}
	return n, nil
}

func (r reader) CountWaiting(ctx context.Context, v engine.Viewer, limit int) (int, error) {
	return r.countWaiting(ctx, v, inboxPending, nil, limit)
}

func (t *tx) PutApprovalEntry(ctx context.Context, e *engine.ApprovalEntry) error {
	_, err := t.db.ExecContext(ctx, `INSERT INTO approval_pending (action_execution_id, title, requested_by, missing) VALUES (?, ?, ?, ?)
		ON CONFLICT (action_execution_id) DO UPDATE SET title = excluded.title, requested_by = excluded.requested_by, missing = excluded.missing`,
		e.ActionExecutionID, e.Title, e.RequestedBy, e.Missing)
	if err != nil {
		return dbErr(err, "put approval entry")
	}
	if _, err := t.db.ExecContext(ctx, `DELETE FROM approval_eligible WHERE action_execution_id = ?`, e.ActionExecutionID); err != nil {
		return dbErr(err, "put approval entry")
	}
	principals := append([]string(nil), e.Deciders...)
	for _, u := range e.Excluded {
		principals = append(principals, notPrincipal(u))
	}
	for _, pr := range principals {
		_, err := t.db.ExecContext(ctx, `INSERT OR IGNORE INTO approval_eligible (principal, created_at, action_execution_id) VALUES (?, ?, ?)`,
			pr, fmtTime(e.CreatedAt), e.ActionExecutionID)
		if err != nil {
			return dbErr(err, "put approval entry")
		}
	}
	return nil
}

// searchCandidates bounds the candidates the trigram index may hand the
// search: up to it, their rows are read and sorted (a rare text: a few
// milliseconds over 100,000 pending actions, where reading every input
// took 35-95); past it, the inbox is walked in order, LIKE on each row,
// which stops at a page (a common text: "ticket" in every one of 100,000
// inputs, 7 ms this way, 420 ms through the index).
const searchCandidates = 2000

// fewCandidates reports whether the trigram index names at most
// searchCandidates pending actions for a search of s.
func (r reader) fewCandidates(ctx context.Context, s string) (bool, error) {
	var n int
	err := r.db.QueryRowContext(ctx, `SELECT (SELECT count(*) FROM (SELECT 1 FROM inbox_fts WHERE inbox_fts MATCH ? LIMIT ?))
		+ (SELECT count(*) FROM inbox_lag l, json_each(l.entered))`,
		ftsTrigrams(s), searchCandidates+1).Scan(&n)
	if err != nil {
		return false, fmt.Errorf("inbox search: %w", err)
	}
	return n <= searchCandidates, nil
}

// indexedSearch reports whether the trigram index can answer a search for
// s: it needs a whole trigram (three characters).
func indexedSearch(s string) bool { return utf8.RuneCountInString(s) >= 3 }

// ftsTrigrams is the FTS5 query of the documents holding every trigram of
// s (in any case): each trigram one quoted term, every character literal.
// The index keeps no positions (detail=none, cheaper to keep in step), so
// it cannot tell whether they follow each other; the LIKE that re-checks
// the candidates does.
func ftsTrigrams(s string) string {
	r := []rune(s)
	seen := make(map[string]bool, len(r))
	var b strings.Builder
	for i := 0; i+3 <= len(r); i++ {
		t := string(r[i : i+3])
		if seen[t] {
			continue
		}
		seen[t] = true
		if b.Len() > 0 {
			b.WriteString(" AND ")
		}
		b.WriteString(`"` + strings.ReplaceAll(t, `"`, `""`) + `"`)
	}
	return b.String()
}

// inboxTouch is an asynchronous action an update created or moved, and
// whether it was left in the inbox.
type inboxTouch struct {
	id      string
	pending bool
	created bool // by this update: never in the search index before
}

// syncInboxSearch brings the inbox's search index (migration 0029) in
// step with the actions touched, in at most two statements: each statement
// into the full-text table costs far more than each row. The actions'
// states as the transaction leaves them decide: an action created and
// finished in one batch never enters.
func syncInboxSearch(ctx context.Context, q txQuerier, touched []inboxTouch) error {
	last := lastTouches(touched)
	if out, _ := jsonIDs(last, func(t inboxTouch) bool { return !t.pending && !t.created }); out != "" {
		_, err := q.ExecContext(ctx, `DELETE FROM inbox_docs WHERE action_execution_id IN (SELECT value FROM json_each(?))`, out)
		if err != nil {
			return fmt.Errorf("inbox search index: %w", err)
		}
	}
	if in, _ := jsonIDs(last, func(t inboxTouch) bool { return t.pending }); in != "" {
		_, err := q.ExecContext(ctx, `INSERT OR IGNORE INTO inbox_docs (action_execution_id)
			SELECT a.id FROM json_each(?) j CROSS JOIN action_executions a ON a.id = j.value
			WHERE `+inboxPending, in)
		if err != nil {
			return fmt.Errorf("inbox search index: %w", err)
		}
	}
	return nil
}

// lastTouches is touched with each action once: its last state, and
// created if any of its touches created it.
func lastTouches(touched []inboxTouch) []inboxTouch {
	at := make(map[string]int, len(touched))
	out := make([]inboxTouch, 0, len(touched))
	for _, t := range touched {
		i, ok := at[t.id]
		if !ok {
			at[t.id] = len(out)
			out = append(out, t)
			continue
		}
		out[i].pending = t.pending
		out[i].created = out[i].created || t.created
	}
	return out
}

// jsonIDs is a JSON array of the ids of the touches keep keeps ("" for
// none), and how many.
func jsonIDs(touched []inboxTouch, keep func(inboxTouch) bool) (string, int) {
	var b []byte
	n := 0
	for _, t := range touched {
		if keep(t) {
			b = jsonvalue.AppendString(append(b, ','), t.id)
			n++
		}
	}
	if n == 0 {
		return "", 0
	}
	b[0] = '['
	return string(append(b, ']')), n
}

// inboxLag is what the search index lags behind the inbox (migration
// 0030): how many ids inbox_lag holds, and since when. The writer owns
// it; it only decides when the lag is applied, so after a crash a guess
// (Open: "some, long due") is enough.
type inboxLag struct {
	ids   int
	since time.Time
	// fresh are the actions created pending since the lag was last
	// applied: never indexed, so their leaving needs no record.
	fresh map[string]struct{}
}

// Bounds of the lag: its ids are each a look-up of every indexed search
// until applied.
const (
	lagMaxIDs = 1024
	// DefaultSearchLag is how long the search index may lag behind the
	// inbox (Options.SearchLag).
	DefaultSearchLag = time.Second
)

// due reports whether the lag, with more touches, is to be applied now.
func (l inboxLag) due(more int, now time.Time, maxAge time.Duration) bool {
	return l.ids+more >= lagMaxIDs || l.ids > 0 && now.Sub(l.since) >= maxAge
}

// stepInboxSearch brings a batch's touches (q.inbox) to the search index:
// recorded in inbox_lag, or, when the lag is due, applied with everything
// recorded before. It returns the lag as it is once the batch commits.
func (s *Store) stepInboxSearch(ctx context.Context, q txQuerier, now time.Time) (inboxLag, error) {
	touched, lag := *q.inbox, s.lag
	if s.searchLag < 0 || lag.due(len(touched), now, s.searchLag) {
		if lag.ids > 0 {
			if err := applyInboxLag(ctx, q); err != nil {
				return lag, err
			}
		}
		return inboxLag{}, syncInboxSearch(ctx, q, touched)
	}
	last := lastTouches(touched)
	in, nIn := jsonIDs(last, func(t inboxTouch) bool { return t.pending })
	out, nOut := jsonIDs(last, func(t inboxTouch) bool {
		_, fresh := lag.fresh[t.id]
		return !t.pending && !t.created && !fresh
	})
	if nIn+nOut == 0 {
		return lag, nil
	}
	if _, err := q.ExecContext(ctx, `INSERT INTO inbox_lag (entered, exited) VALUES (?, ?)`, cmp.Or(in, "[]"), cmp.Or(out, "[]")); err != nil {
		return lag, fmt.Errorf("inbox search index: %w", err)
	}
	if lag.ids == 0 {
		lag.since = now
	}
	lag.ids += nIn + nOut
	if lag.fresh == nil {
		lag.fresh = map[string]struct{}{}
	}
	for _, t := range last {
		switch {
		case t.created && t.pending:
			lag.fresh[t.id] = struct{}{} // (the batch may not commit: then the action does not exist)
		case !t.pending:
			delete(lag.fresh, t.id)
		}
	}
	return lag, nil
}

// applyInboxLag applies every row of inbox_lag to the search index and
// empties it. The actions' states now decide, as a row may be followed by
// others touching the same actions.
func applyInboxLag(ctx context.Context, q txQuerier) error {
	for _, stmt := range []string{
		`DELETE FROM inbox_docs WHERE action_execution_id IN (SELECT a.id FROM inbox_lag l, json_each(l.exited) j
			CROSS JOIN action_executions a ON a.id = j.value WHERE NOT (` + inboxPending + `))`,
		`INSERT OR IGNORE INTO inbox_docs (action_execution_id) SELECT a.id FROM inbox_lag l, json_each(l.entered) j
			CROSS JOIN action_executions a ON a.id = j.value WHERE ` + inboxPending,
		`DELETE FROM inbox_lag`,
	} {
		if _, err := q.ExecContext(ctx, stmt); err != nil {
			return fmt.Errorf("inbox search index: %w", err)
		}
	}
	return nil
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
