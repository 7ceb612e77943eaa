package api

import (
	"net/url"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"
	"github.com/sirocco-project/sirocco/internal/engine"
)

// listParams is a parsed list request.
type listParams struct {
	query         engine.ListQuery
	fields        []string
	includeOutput bool
}

// reserved are list parameters that are not filters.
var reserved = setOf("limit", "marker", "sort_keys", "sort_dirs", "fields", "include_output", "all_projects", "nulls", "namespace_filter")

var filterOps = setOf(engine.OpEq, engine.OpNeq, engine.OpLt, engine.OpLte, engine.OpGt, engine.OpGte, engine.OpIn, engine.OpNin, engine.OpHas)

// Caps on a list query, so that what reaches SQL stays far below SQLite's
// limits (32,766 bound values, expressions 1,000 deep): past them a 400
// names the cap rather than the database failing with a 500.
const (
	MaxListFilters = 50    // filters, counting nulls
	MaxListValues  = 1000  // filter values in all, in:/nin: lists included
	MaxSortKeys    = 10    // sort_keys (and so sort_dirs)
	maxQueryParams = 10000 // net/url's own limit (GODEBUG urlmaxqueryparams)
)

// queryValues parses the request's query string. Echo's QueryParams drops
// what net/url cannot read, and past maxQueryParams parameters it drops
// them all, which for a list would return rows its filters exclude.
func queryValues(c echo.Context) (url.Values, error) {
	q, err := url.ParseQuery(c.Request().URL.RawQuery)
	if err != nil {
		return nil, invalid("The query string cannot be read (%v; at most %d parameters).", err, maxQueryParams)
	}
	return q, nil
}

// parseList reads limit, marker, sort_keys, sort_dirs, fields, nulls and
// equality or `op:value` filters. known lists the resource's fields, for
// the `fields` check; the store checks filter and sort names again.
func parseList(c echo.Context, known []string, skip ...string) (*listParams, error) {
	q, err := queryValues(c)
	if err != nil {
		return nil, err
	}
	p := &listParams{}
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil {
			return nil, invalid("Invalid input for field/attribute limit. Value: '%s'. unable to convert to int", v)
		}
		if n <= 0 {
			return nil, invalid("Limit must be positive.")
		}
		p.query.Limit = n
	}
	p.query.Marker = q.Get("marker")
	p.query.SortKeys = splitList(q.Get("sort_keys"))
	p.query.SortDirs = splitList(q.Get("sort_dirs"))
	if len(p.query.SortKeys) > MaxSortKeys || len(p.query.SortDirs) > MaxSortKeys {
		return nil, invalid("Too many sort keys: at most %d.", MaxSortKeys)
	}
	p.query.Nulls = splitList(q.Get("nulls"))
	if v := q.Get("include_output"); v != "" {
		p.includeOutput = strings.EqualFold(v, "true") || v == "1"
	}
	if f := splitList(q.Get("fields")); len(f) > 0 {
		knownSet := setOf(known...)
		var bad []string
		for _, name := range f {
			if !knownSet[name] {
				bad = append(bad, name)
			}
		}
		if len(bad) > 0 {
			return nil, invalid("Some fields do not exist  [%s], please choose from [%s]", strings.Join(bad, ", "), strings.Join(known, ", "))
		}
		p.fields = f
		p.query.Fields = f
	}
	skipSet := setOf(skip...)
	values := 0
	for _, key := range sortedParamKeys(q) {
		if reserved[key] || skipSet[key] {
			continue
		}
		for _, raw := range q[key] {
			op, val := engine.OpEq, raw
			if before, after, ok := strings.Cut(raw, ":"); ok && filterOps[before] {
				op, val = before, after
			}
			f := engine.Filter{Field: key, Op: op, Values: []string{val}}
			if op == engine.OpIn || op == engine.OpNin {
				f.Values = splitList(val)
			}
			p.query.Filters = append(p.query.Filters, f)
			values += len(f.Values)
		}
	}
	if n := len(p.query.Filters) + len(p.query.Nulls); n > MaxListFilters {
		return nil, invalid("Too many filters: %d, at most %d (nulls included).", n, MaxListFilters)
	}
	if values > MaxListValues {
		return nil, invalid("Too many filter values: %d, at most %d in all (in: and nin: lists included).", values, MaxListValues)
	}
	return p, nil
}

func splitList(s string) []string {
	if s == "" {
		return nil
	}
	parts := strings.Split(s, ",")
	out := parts[:0]
	for _, p := range parts {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

func sortedParamKeys(q url.Values) []string {
	keys := make([]string, 0, len(q))
	for k := range q {
		keys = append(keys, k)
	}
	return sortStrings(keys)
}

// nextLink is Mistral's `next` URL for a full page.
func (a *API) nextLink(resource string, p *listParams, lastID string) string {
	v := url.Values{}
	keys, dirs := p.query.SortKeys, p.query.SortDirs
	if len(keys) == 0 {
		keys = []string{"created_at"}
	}
	for len(dirs) < len(keys) {
		dirs = append(dirs, "asc")
	}
	hasID := false
	for _, k := range keys {
		hasID = hasID || k == "id"
	}
	if !hasID {
		keys, dirs = append(keys, "id"), append(dirs, "asc")
	}
	for _, f := range p.query.Filters {
		val := strings.Join(f.Values, ",")
		if f.Op != engine.OpEq {
			val = f.Op + ":" + val
		}
		v.Add(f.Field, val)
	}
	s := a.base + "/v2/" + resource + "?sort_keys=" + strings.Join(keys, ",") + "&sort_dirs=" + strings.Join(dirs, ",")
	if enc := v.Encode(); enc != "" {
		s += "&" + enc
	}
	s += "&limit=" + strconv.Itoa(p.query.Limit) + "&marker=" + url.QueryEscape(lastID)
	if len(p.fields) > 0 {
		s += "&fields=" + strings.Join(p.fields, ",")
	}
	return s
}

// page renders a list envelope, with `next` when the page is full.
func (a *API) page(c echo.Context, resource string, p *listParams, items []object, lastID string) error {
	env := object{{resource, items}}
	if p.query.Limit > 0 && len(items) == p.query.Limit {
		env = append(env, field{"next", a.nextLink(resource, p, lastID)})
	}
	return writeJSON(c, 200, env)
}
