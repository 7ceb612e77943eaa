package api

import (
	"cmp"
	"slices"
	"strings"

	"github.com/labstack/echo/v4"
	"github.com/sirocco-project/sirocco/internal/engine"
	"github.com/sirocco-project/sirocco/internal/fault"
)

// actionListFields are the fields of an action in a list, in order.
var actionListFields = []string{"id", "name", "is_system", "scope", "namespace", "tags", "description", "input",
	"definition", "project_id", "created_at", "updated_at"}

// actionFilterable are the fields Mistral filters actions by.
var actionFilterable = setOf("name", "is_system", "scope", "namespace", "tags", "description", "input",
	"definition", "created_at", "updated_at")

// listActions lists the built-in and ad-hoc actions (GET /v2/actions,
// action-list) with Mistral's list parameters: filters (`--filter
// name=x`, `op:value`), sort_keys/sort_dirs (default by name, nulls
// first: the built-ins have no created_at), marker (an action's id or
// name; the page starts after it) and limit. Mistral filters and sorts
// this list in memory too: the built-ins are no rows.
func (a *API) listActions(c echo.Context) error {
	p, err := parseList(c, actionListFields)
	if err != nil {
		return a.fault(c, err)
	}
	for _, f := range p.query.Filters {
		if !actionFilterable[f.Field] {
			return a.fault(c, invalid("Unknown filter field %q for actions.", f.Field))
		}
	}
	var all []object
	for _, name := range engine.ActionNames() {
		all = append(all, builtinActionJSON(name))
	}
	defs, err := a.engine.ListActionDefinitions(c.Request().Context())
	if err != nil {
		return a.fault(c, err)
	}
	for _, d := range defs {
		all = append(all, adhocActionJSON(d))
	}
	rows := all[:0]
	for _, o := range all {
		if matchesAll(o, p.query.Filters) {
			rows = append(rows, o)
		}
	}
	keys, dirs := p.query.SortKeys, p.query.SortDirs
	if len(keys) == 0 {
		keys = []string{"name"}
	}
	if len(dirs) > len(keys) {
		return a.fault(c, invalid("The number of sort_dirs must be the same or less than the number of sort_keys."))
	}
	known := setOf(actionListFields...)
	for i, k := range keys {
		if !known[k] {
			return a.fault(c, invalid("Unknown sort key %q for actions.", k))
		}
		if i < len(dirs) && dirs[i] != "asc" && dirs[i] != "desc" {
			return a.fault(c, invalid("Unknown sort direction, must be 'desc' or 'asc'."))
		}
	}
	slices.SortStableFunc(rows, func(x, y object) int {
		for i, k := range keys {
			r := compareValues(x.get(k), y.get(k))
			if i < len(dirs) && dirs[i] == "desc" {
				r = -r
			}
			if r != 0 {
				return r
			}
		}
		return cmp.Compare(x.get("name").(string), y.get("name").(string)) // a stable page order
	})
	if m := p.query.Marker; m != "" {
		at := slices.IndexFunc(rows, func(o object) bool { return o.get("id") == m || o.get("name") == m })
		if at < 0 {
			return a.fault(c, fault.Errorf(fault.ENOTFOUND, "Marker not found [id=%s]", m))
		}
		rows = rows[at+1:]
	}
	if p.query.Limit > 0 && len(rows) > p.query.Limit {
		rows = rows[:p.query.Limit]
	}
	items := make([]object, len(rows))
	last := ""
	for i, o := range rows {
		items[i] = o.only(p.fields)
		last, _ = o.get("id").(string)
	}
	return a.page(c, "actions", p, items, last)
}

// get returns the value of key, nil when absent.
func (o object) get(key string) any {
	for _, f := range o {
		if f.key == key {
			return f.value
		}
	}
	return nil
}

// matchesAll reports whether the rendered action o passes every filter.
func matchesAll(o object, filters []engine.Filter) bool {
	for _, f := range filters {
		if !matches(o.get(f.Field), f) {
			return false
		}
	}
	return true
}

// matches applies one filter to a value: text compares as text, a
// boolean as true/false in any case, a tag list holds (eq, has, in) or
// lacks (neq, nin) the value.
func matches(v any, f engine.Filter) bool {
	if tags, ok := v.([]string); ok {
		has := slices.ContainsFunc(tags, func(t string) bool { return slices.Contains(f.Values, t) })
		switch f.Op {
		case engine.OpNeq, engine.OpNin:
			return !has
		}
		return has
	}
	s := filterText(v)
	want := f.Values[0]
	if _, ok := v.(bool); ok {
		want = strings.ToLower(want)
	}
	switch f.Op {
	case engine.OpEq:
		return s == want
	case engine.OpNeq:
		return s != want
	case engine.OpLt:
		return s < want
	case engine.OpLte:
		return s <= want
	case engine.OpGt:
		return s > want
	case engine.OpGte:
		return s >= want
	case engine.OpIn:
		return slices.Contains(f.Values, s)
	case engine.OpNin:
		return !slices.Contains(f.Values, s)
	case engine.OpHas:
		return strings.Contains(s, want)
	}
	return false
}

// filterText is a value as a filter compares it.
func filterText(v any) string {
	switch x := v.(type) {
	case string:
		return x
	case bool:
		if x {
			return "true"
		}
		return "false"
	case []string:
		return strings.Join(x, ",")
	}
	return "" // null
}

// compareValues orders two values of a field: null first, then as text.
func compareValues(x, y any) int {
	switch {
	case x == nil && y == nil:
		return 0
	case x == nil:
		return -1
	case y == nil:
		return 1
	}
	return cmp.Compare(filterText(x), filterText(y))
}
