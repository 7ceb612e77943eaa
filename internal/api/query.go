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

// parseList reads limit, marker, sort_keys, sort_dirs, fields, nulls and
// equality or `op:value` filters. known lists the resource's fields, for
// the `fields` check; the store checks filter and sort names again.
func parseList(c echo.Context, known []string, skip ...string) (*listParams, error) {
	q := c.QueryParams()
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
	}
	skipSet := setOf(skip...)
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
		}
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
