package postgres

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/jackc/pgx/v5"

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

func invalid(format string, a ...any) error {
	return fault.Errorf(fault.EINVALID, format, a...)
}

// where builds the WHERE clause of a list query, its parameters in a, and
// the sort keys and directions. base adds a condition of the caller's.
func (r *resource) where(ctx context.Context, db querier, q engine.ListQuery, a *args, base func(*args) string) (string, []string, []string, error) {
	var conds []string
	if base != nil {
		conds = append(conds, base(a))
	}
	for _, f := range q.Filters {
		kind, ok := r.fields[f.Field]
		if !ok {
			return "", nil, nil, invalid("Unknown filter field %q for %s.", f.Field, r.table)
		}
		col := f.Field
		if kind == kindTime {
			// Compared as the SQLite store compares its text times: to the
			// second, as text.
			col = "to_char(" + col + " AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS') COLLATE \"C\""
		}
		vals := make([]any, len(f.Values))
		for i, v := range f.Values {
			vals[i] = v
			if kind == kindBool {
				switch strings.ToLower(v) {
				case "true", "1":
					vals[i] = true
				case "false", "0":
					vals[i] = false
				default:
					return "", nil, nil, invalid("Invalid value %q for boolean field %s.", v, f.Field)
				}
			}
		}
		switch f.Op {
		case engine.OpEq, engine.OpNeq, engine.OpLt, engine.OpLte, engine.OpGt, engine.OpGte:
			if len(vals) != 1 {
				return "", nil, nil, invalid("Filter %s:%s takes one value.", f.Field, f.Op)
			}
			op := map[string]string{engine.OpEq: "=", engine.OpNeq: "!=", engine.OpLt: "<", engine.OpLte: "<=", engine.OpGt: ">", engine.OpGte: ">="}[f.Op]
			if f.Op == engine.OpNeq {
				p := a.add(vals[0])
				conds = append(conds, "("+col+" IS NULL OR "+col+" != "+p+")")
			} else {
				conds = append(conds, col+" "+op+" "+a.add(vals[0]))
			}
		case engine.OpIn, engine.OpNin:
			if len(vals) == 0 {
				return "", nil, nil, invalid("Filter %s:%s needs at least one value.", f.Field, f.Op)
			}
			ps := make([]string, len(vals))
			for i, v := range vals {
				ps[i] = a.add(v)
			}
			not := ""
			if f.Op == engine.OpNin {
				not = "NOT "
			}
			conds = append(conds, col+" "+not+"IN ("+strings.Join(ps, ", ")+")")
		case engine.OpHas:
			if len(vals) != 1 {
				return "", nil, nil, invalid("Filter %s:has takes one value.", f.Field)
			}
			conds = append(conds, "strpos("+col+", "+a.add(vals[0])+") > 0")
		default:
			return "", nil, nil, invalid("Unknown filter operator %q.", f.Op)
		}
	}
	for _, n := range q.Nulls {
		if _, ok := r.fields[n]; !ok {
			return "", nil, nil, invalid("Unknown field %q in nulls.", n)
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
		return "", nil, nil, invalid("The number of sort_dirs must be the same or less than the number of sort_keys.")
	}
	hasID := false
	for i, k := range keys {
		if _, ok := r.fields[k]; !ok {
			return "", nil, nil, invalid("Unknown sort key %q for %s.", k, r.table)
		}
		if dirs[i] != "asc" && dirs[i] != "desc" {
			return "", nil, nil, invalid("Unknown sort direction, must be 'desc' or 'asc'.")
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
		vals := make([]any, len(keys))
		ptrs := make([]any, len(keys))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		err := db.QueryRow(ctx, "SELECT "+strings.Join(keys, ", ")+" FROM "+r.table+" WHERE id = $1", q.Marker).Scan(ptrs...)
		if errors.Is(err, pgx.ErrNoRows) {
			return "", nil, nil, fault.Errorf(fault.ENOTFOUND, "Marker not found [id=%s]", q.Marker)
		}
		if err != nil {
			return "", nil, nil, fmt.Errorf("list %s: marker: %w", r.table, err)
		}
		// Keyset: rows strictly after the marker in the sort order; with
		// one direction and no NULL in the marker, as a row comparison,
		// which an index scan starts at (the same rows: see the SQLite
		// store's list.go).
		if rowValueKeyset(dirs, vals) {
			op := ">"
			if dirs[0] == "desc" {
				op = "<"
			}
			ps := make([]string, len(vals))
			for i, v := range vals {
				ps[i] = a.add(v)
			}
			conds = append(conds, "("+strings.Join(keys, ", ")+") "+op+" ("+strings.Join(ps, ", ")+")")
		} else {
			var ors []string
			for i := range keys {
				var ands []string
				for j := 0; j < i; j++ {
					ands = append(ands, keys[j]+" IS NOT DISTINCT FROM "+a.add(vals[j]))
				}
				op := ">"
				if dirs[i] == "desc" {
					op = "<"
				}
				ands = append(ands, keys[i]+" "+op+" "+a.add(vals[i]))
				ors = append(ors, "("+strings.Join(ands, " AND ")+")")
			}
			conds = append(conds, "("+strings.Join(ors, " OR ")+")")
		}
	}
	clause := ""
	if len(conds) > 0 {
		clause = " WHERE " + strings.Join(conds, " AND ")
	}
	return clause, keys, dirs, nil
}

// list runs a list query and scans each row with scan.
func list[T any](ctx context.Context, db querier, r *resource, q engine.ListQuery, base func(*args) string, scan func(pgxScanner) (T, error)) ([]T, error) {
	var a args
	where, keys, dirs, err := r.where(ctx, db, q, &a, base)
	if err != nil {
		return nil, err
	}
	order := make([]string, len(keys))
	for i := range keys {
		// NULLs first going up, as SQLite sorts them.
		if dirs[i] == "desc" {
			order[i] = keys[i] + " DESC NULLS LAST"
		} else {
			order[i] = keys[i] + " ASC NULLS FIRST"
		}
	}
	query := "SELECT " + r.selectList(q.Fields) + " FROM " + r.table + where + " ORDER BY " + strings.Join(order, ", ")
	if q.Limit > 0 {
		query += " LIMIT " + a.add(q.Limit)
	}
	out, err := collect(ctx, db, "list "+r.table, scan, query, a...)
	if err != nil {
		return nil, err
	}
	if out == nil {
		out = []T{}
	}
	return out, nil
}

// rowValueKeyset tells whether a keyset condition may be one row
// comparison: every key sorted the same way and no marker value NULL.
func rowValueKeyset(dirs []string, vals []any) bool {
	for i := range dirs {
		if dirs[i] != dirs[0] || vals[i] == nil {
			return false
		}
	}
	return len(dirs) > 1
}
