package api

import (
	"cmp"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/sirocco-project/sirocco/internal/engine"
	"github.com/sirocco-project/sirocco/internal/fault"
)

// registerCron adds /v2/cron_triggers (Mistral 15's cron-trigger-create,
// -list, -get and -delete).
func (a *API) registerCron(e *echo.Echo) {
	e.POST("/v2/cron_triggers", a.createCronTrigger)       // cron-trigger-create
	e.GET("/v2/cron_triggers", a.listCronTriggers)         // cron-trigger-list
	e.GET("/v2/cron_triggers/:id", a.getCronTrigger)       // cron-trigger-get (name or id)
	e.DELETE("/v2/cron_triggers/:id", a.deleteCronTrigger) // cron-trigger-delete (an admin or its creator)
}

// cronFields are the fields of a cron trigger: Mistral's, in its order,
// then Sirocco's (the workflow's namespace, who created it, its state and
// why, its last executions).
var cronFields = []string{"id", "name", "workflow_name", "workflow_id", "workflow_input", "workflow_params", "project_id",
	"scope", "pattern", "remaining_executions", "first_execution_time", "next_execution_time", "created_at", "updated_at",
	"namespace", "created_by", "state", "state_info", "last_executions"}

// cronAttrs are what a create body may hold: the resource's attributes,
// as WSME accepts them (the read-only ones are ignored).
var cronAttrs = setOf(cronFields...)

func cronJSON(c *engine.CronTrigger) object {
	var remaining any
	if c.RemainingExecutions != nil {
		remaining = *c.RemainingExecutions
	}
	var pattern any
	if c.Pattern != "" {
		pattern = c.Pattern
	}
	last := make([]object, 0, 5)
	for _, x := range c.LastExecutions() {
		last = append(last, object{{"id", x.ID}, {"at", fmtTime(x.At)}})
	}
	return object{{"id", c.ID}, {"name", c.Name}, {"workflow_name", c.WorkflowName}, {"workflow_id", c.WorkflowID},
		{"workflow_input", c.WorkflowInputJSON}, {"workflow_params", engine.MaskParams(c.WorkflowParamsJSON)}, {"project_id", c.ProjectID},
		{"scope", c.Scope}, {"pattern", pattern}, {"remaining_executions", remaining},
		{"first_execution_time", fmtTimePtr(c.FirstExecutionTime)}, {"next_execution_time", fmtTime(c.NextExecutionTime)},
		{"created_at", fmtTime(c.CreatedAt)}, {"updated_at", fmtTimePtr(c.UpdatedAt)},
		{"namespace", c.WorkflowNamespace}, {"created_by", c.CreatedBy}, {"state", c.State}, {"state_info", strOrNil(c.StateInfo)},
		{"last_executions", last}}
}

func (a *API) createCronTrigger(c echo.Context) error {
	m, err := a.decodeBody(c, "cron_trigger", cronAttrs)
	if err != nil {
		return a.fault(c, err)
	}
	var req engine.CronRequest
	for key, dst := range map[string]*string{
		"name": &req.Name, "pattern": &req.Pattern, "first_execution_time": &req.FirstExecutionTime,
		"workflow_name": &req.WorkflowName, "workflow_id": &req.WorkflowID, "namespace": &req.WorkflowNamespace, "scope": &req.Scope,
	} {
		if *dst, _, err = stringField(m, key); err != nil {
			return a.fault(c, err)
		}
	}
	if raw, ok := m["remaining_executions"]; ok && string(raw) != "null" {
		var n int
		if err := json.Unmarshal(raw, &n); err != nil {
			return a.fault(c, invalid("Invalid input for field/attribute remaining_executions. Value: '%s'. unable to convert to int", raw))
		}
		req.RemainingExecutions = &n
	}
	if req.WorkflowInput, req.WorkflowInputOrder, err = cronObjectField(m, "workflow_input"); err != nil {
		return a.fault(c, err)
	}
	if req.WorkflowParams, req.WorkflowParamsOrder, err = cronObjectField(m, "workflow_params"); err != nil {
		return a.fault(c, err)
	}
	if req.WorkflowNamespace == "" {
		// As an execution's start: the params may name the namespace.
		if ns, ok := req.WorkflowParams["namespace"].(string); ok {
			req.WorkflowNamespace = ns
		}
	}
	by := actor(c)
	if by == nil {
		// Its executions would be no one's, and outlive the credential.
		return a.fault(c, fault.Errorf(fault.EFORBIDDEN, "Cron triggers start executions as their creator: this credential (a token without a user) cannot create one."))
	}
	req.CreatedBy = by.User
	ct, err := a.engine.CreateCronTrigger(c.Request().Context(), by, req)
	if err != nil {
		return a.fault(c, err)
	}
	// Mistral's create answer has no updated_at.
	return writeJSON(c, http.StatusCreated, cronJSON(ct).without("updated_at"))
}

// cronObjectField is objectField whose refusals name the field (WSME's
// "JsonType field value must be a dictionary" does not).
func cronObjectField(m map[string]json.RawMessage, key string) (map[string]any, []string, error) {
	v, order, err := orderedObjectField(m, key)
	if err != nil && !strings.Contains(fault.Message(err), key) {
		return nil, nil, invalid("Invalid input for field/attribute %s. %s", key, fault.Message(err))
	}
	return v, order, err
}

func (a *API) getCronTrigger(c echo.Context) error {
	ct, err := a.engine.GetCronTrigger(c.Request().Context(), c.Param("id"))
	if err != nil {
		return a.fault(c, err)
	}
	return writeJSON(c, http.StatusOK, cronJSON(ct))
}

func (a *API) deleteCronTrigger(c echo.Context) error {
	if err := a.engine.DeleteCronTrigger(c.Request().Context(), actor(c), c.Param("id")); err != nil {
		return a.fault(c, err)
	}
	return c.NoContent(http.StatusNoContent)
}

// cronSortable are the fields a list sorts on.
var cronSortable = setOf("id", "name", "workflow_name", "pattern", "scope", "created_at", "updated_at", "next_execution_time", "state")

// listCronTriggers lists the triggers with Mistral's list parameters:
// equality (and in/nin/neq) filters on the text fields, sort keys, limit,
// marker and fields. Triggers are few, so the list is read whole and
// ordered here.
func (a *API) listCronTriggers(c echo.Context) error {
	p, err := parseList(c, cronFields)
	if err != nil {
		return a.fault(c, err)
	}
	for _, k := range p.query.SortKeys {
		if !cronSortable[k] {
			return a.fault(c, invalid("Unknown sort key %q for cron triggers.", k))
		}
	}
	for _, d := range p.query.SortDirs {
		if d != "asc" && d != "desc" {
			return a.fault(c, invalid("Unknown sort direction %q: want asc or desc.", d))
		}
	}
	all, err := a.engine.ListCronTriggers(c.Request().Context())
	if err != nil {
		return a.fault(c, err)
	}
	rows := make([]object, 0, len(all))
	for _, ct := range all {
		o := cronJSON(ct)
		ok, err := cronMatches(o, p.query.Filters)
		if err != nil {
			return a.fault(c, err)
		}
		if ok {
			rows = append(rows, o)
		}
	}
	keys, dirs := append(slices.Clone(p.query.SortKeys), "created_at", "id"), p.query.SortDirs
	slices.SortStableFunc(rows, func(x, y object) int {
		for i, k := range keys {
			r := cmp.Compare(cronSortText(x, k), cronSortText(y, k))
			if i < len(dirs) && dirs[i] == "desc" {
				r = -r
			}
			if r != 0 {
				return r
			}
		}
		return 0
	})
	if p.query.Marker != "" {
		i := slices.IndexFunc(rows, func(o object) bool { return cronText(o, "id") == p.query.Marker })
		if i < 0 {
			return a.fault(c, invalid("Unknown marker %q: no cron trigger has this id.", p.query.Marker))
		}
		rows = rows[i+1:]
	}
	if p.query.Limit > 0 && len(rows) > p.query.Limit {
		rows = rows[:p.query.Limit]
	}
	lastID := ""
	for i, o := range rows {
		lastID = cronText(o, "id")
		rows[i] = o.only(p.fields)
	}
	return a.page(c, "cron_triggers", p, rows, lastID)
}

// cronText is a field of a rendered trigger as text ("" for null), for
// filters and sorting (times sort as their text does).
func cronText(o object, key string) string {
	for _, f := range o {
		if f.key == key {
			switch v := f.value.(type) {
			case string:
				return v
			case int:
				return strconv.Itoa(v)
			}
			return ""
		}
	}
	return ""
}

// cronSortText is cronText padded so that numbers sort as numbers.
func cronSortText(o object, key string) string {
	v := cronText(o, key)
	if key == "remaining_executions" && v != "" {
		return fmt.Sprintf("%020s", v)
	}
	return v
}

// cronMatches applies list filters to a rendered trigger.
func cronMatches(o object, filters []engine.Filter) (bool, error) {
	for _, f := range filters {
		if !cronAttrs[f.Field] || f.Field == "last_executions" {
			return false, invalid("Unknown filter field %q for cron triggers.", f.Field)
		}
		v := cronText(o, f.Field)
		in := slices.Contains(f.Values, v)
		switch f.Op {
		case engine.OpEq, engine.OpIn:
			if !in {
				return false, nil
			}
		case engine.OpNeq, engine.OpNin:
			if in {
				return false, nil
			}
		default:
			return false, invalid("Filter %s:%s is not offered for cron triggers: use eq, neq, in or nin.", f.Field, f.Op)
		}
	}
	return true, nil
}
