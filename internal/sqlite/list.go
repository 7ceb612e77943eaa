package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"strings"

	"github.com/sirocco-project/sirocco/internal/engine"
	"github.com/sirocco-project/sirocco/internal/fault"
)

// resource describes a listable table: which API fields may be filtered
// and sorted on. Only these names ever reach SQL, as identifiers; values
// are always bound parameters.
type resource struct {
	table   string
	columns string // the SELECT list the scanner expects
	fields  map[string]fieldKind
	// light names the large columns a list may leave out when the query's
	// Fields do not name them (engine.ListQuery.Fields): column -> what
	// the scanner gets instead. A column that is no API field (an
	// action's request) is left out whenever Fields are given.
	light map[string]string
}

// selectList is the SELECT list of a list query: r.columns, less what
// the caller does not show.
func (r *resource) selectList(fields []string) string {
	if len(fields) == 0 || len(r.light) == 0 {
		return r.columns
	}
	cols := strings.Split(r.columns, ", ")
	for i, c := range cols {
		if instead, ok := r.light[c]; ok && !slices.Contains(fields, c) {
			cols[i] = instead
		}
	}
	return strings.Join(cols, ", ")
}

type fieldKind int

const (
	kindText fieldKind = iota
	kindTime
	kindBool
)

func invalid(format string, args ...any) error {
	return fault.Errorf(fault.EINVALID, format, args...)
}

// where builds the WHERE clause of a list query.
func (r *resource) where(ctx context.Context, db querier, q engine.ListQuery, base string, baseArgs []any) (string, []any, []string, []string, error) {
	conds := []string{}
	args := append([]any{}, baseArgs...)
	if base != "" {
		conds = append(conds, base)
	}
	for _, f := range q.Filters {
		kind, ok := r.fields[f.Field]
		if !ok {
			return "", nil, nil, nil, invalid("Unknown filter field %q for %s.", f.Field, r.table)
		}
		col := f.Field
		if kind == kindTime {
			col = "substr(" + col + ", 1, 19)"
		}
		vals := make([]any, len(f.Values))
		for i, v := range f.Values {
			vals[i] = v
			if kind == kindBool {
				switch strings.ToLower(v) {
				case "true", "1":
					vals[i] = 1
				case "false", "0":
					vals[i] = 0
				default:
					return "", nil, nil, nil, invalid("Invalid value %q for boolean field %s.", v, f.Field)
				}
			}
		}
		switch f.Op {
		case engine.OpEq, engine.OpNeq, engine.OpLt, engine.OpLte, engine.OpGt, engine.OpGte:
			if len(vals) != 1 {
				return "", nil, nil, nil, invalid("Filter %s:%s takes one value.", f.Field, f.Op)
			}
			op := map[string]string{engine.OpEq: "=", engine.OpNeq: "!=", engine.OpLt: "<", engine.OpLte: "<=", engine.OpGt: ">", engine.OpGte: ">="}[f.Op]
			if f.Op == engine.OpNeq {
				conds = append(conds, "("+col+" IS NULL OR "+col+" != ?)")
			} else {
				conds = append(conds, col+" "+op+" ?")
			}
			args = append(args, vals[0])
		case engine.OpIn, engine.OpNin:
			if len(vals) == 0 {
				return "", nil, nil, nil, invalid("Filter %s:%s needs at least one value.", f.Field, f.Op)
			}
			not := ""
			if f.Op == engine.OpNin {
				not = "NOT "
			}
			conds = append(conds, col+" "+not+"IN ("+placeholders(len(vals))+")")
			args = append(args, vals...)
		case engine.OpHas:
			if len(vals) != 1 {
				return "", nil, nil, nil, invalid("Filter %s:has takes one value.", f.Field)
			}
			conds = append(conds, "instr("+col+", ?) > 0")
			args = append(args, vals[0])
		default:
			return "", nil, nil, nil, invalid("Unknown filter operator %q.", f.Op)
		}
	}
	for _, n := range q.Nulls {
		if _, ok := r.fields[n]; !ok {
			return "", nil, nil, nil, invalid("Unknown field %q in nulls.", n)
		}
		conds = append(conds, n+" IS NULL")
	}

	keys := append([]string{}, q.SortKeys...)
	dirs := append([]string{}, q.SortDirs...)
	if len(keys) == 0 {
		keys = []string{"created_at"}
	}
	for len(dirs) < len(keys) {
		dirs = append(dirs, "asc")
	}
	if len(dirs) > len(keys) {
		return "", nil, nil, nil, invalid("The number of sort_dirs must be the same or less than the number of sort_keys.")
	}
	hasID := false
	for i, k := range keys {
		if _, ok := r.fields[k]; !ok {
			return "", nil, nil, nil, invalid("Unknown sort key %q for %s.", k, r.table)
		}
		if dirs[i] != "asc" && dirs[i] != "desc" {
			return "", nil, nil, nil, invalid("Unknown sort direction, must be 'desc' or 'asc'.")
		}
		if k == "id" {
			hasID = true
		}
	}
	if !hasID { // a tie-breaker makes pages stable
		keys = append(keys, "id")
		dirs = append(dirs, "asc")
	}

	if q.Marker != "" {
		cols := strings.Join(keys, ", ")
		row := db.QueryRowContext(ctx, "SELECT "+cols+" FROM "+r.table+" WHERE id = ?", q.Marker)
		vals := make([]any, len(keys))
		ptrs := make([]any, len(keys))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := row.Scan(ptrs...); err != nil {
			if err == sql.ErrNoRows {
				return "", nil, nil, nil, fault.Errorf(fault.ENOTFOUND, "Marker not found [id=%s]", q.Marker)
			}
			return "", nil, nil, nil, fmt.Errorf("list %s: marker: %w", r.table, err)
		}
		// Keyset: rows strictly after the marker in the sort order. With
		// one direction and a marker without NULLs, as a row value: the
		// same rows (NULL compares as neither form's "after"), but SQLite
		// seeks an index to the marker instead of reading every row
		// before it, which a client paging through 10,000 pending actions
		// felt on every page (docs/BENCHMARKS.md, issue 18 item 1).
		if rowValueKeyset(dirs, vals) {
			op := ">"
			if dirs[0] == "desc" {
				op = "<"
			}
			conds = append(conds, "("+strings.Join(keys, ", ")+") "+op+" ("+placeholders(len(keys))+")")
			args = append(args, vals...)
		} else {
			conds = append(conds, keysetOr(keys, dirs, vals, &args))
		}
	}
	clause := ""
	if len(conds) > 0 {
		clause = " WHERE " + strings.Join(conds, " AND ")
	}
	return clause, args, keys, dirs, nil
}

// keysetOr is the general keyset condition: after the marker on the first
// key, or equal on it and after on the next, and so on.
func keysetOr(keys, dirs []string, vals []any, args *[]any) string {
	var ors []string
	for i := range keys {
		var ands []string
		for j := 0; j < i; j++ {
			ands = append(ands, keys[j]+" IS ?")
			*args = append(*args, vals[j])
		}
		op := ">"
		if dirs[i] == "desc" {
			op = "<"
		}
		ands = append(ands, keys[i]+" "+op+" ?")
		*args = append(*args, vals[i])
		ors = append(ors, "("+strings.Join(ands, " AND ")+")")
	}
	return "(" + strings.Join(ors, " OR ") + ")"
}

// rowValueKeyset tells whether a keyset condition may be one row-value
// comparison: every key sorted the same way and no marker value NULL.
func rowValueKeyset(dirs []string, vals []any) bool {
	for i := range dirs {
		if dirs[i] != dirs[0] || vals[i] == nil {
			return false
		}
	}
	return len(dirs) > 1
}

// list runs a list query and scans each row with scan.
func list[T any](ctx context.Context, db querier, r *resource, q engine.ListQuery, base string, baseArgs []any, scan func(scanner) (T, error)) ([]T, error) {
	if pq, pooled := db.(poolQuerier); pooled {
		select {
		case pq.p.lists <- struct{}{}:
			defer func() { <-pq.p.lists }()
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	where, args, keys, dirs, err := r.where(ctx, db, q, base, baseArgs)
	if err != nil {
		return nil, err
	}
	order := make([]string, len(keys))
	for i := range keys {
		order[i] = keys[i] + " " + strings.ToUpper(dirs[i])
	}
	query := "SELECT " + r.selectList(q.Fields) + " FROM " + r.table + where + " ORDER BY " + strings.Join(order, ", ")
	if q.Limit > 0 {
		query += " LIMIT ?"
		args = append(args, q.Limit)
	}
	rows, err := db.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("list %s: %w", r.table, err)
	}
	defer rows.Close()
	out := make([]T, 0, min(max(q.Limit, 16), 1000))
	for rows.Next() {
		v, err := scan(rows)
		if err != nil {
			return nil, fmt.Errorf("list %s: %w", r.table, err)
		}
		out = append(out, v)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list %s: %w", r.table, err)
	}
	return out, nil
}

type scanner interface{ Scan(dest ...any) error }
