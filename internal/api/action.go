package api

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"unicode/utf8"

	"github.com/labstack/echo/v4"
	"github.com/sirocco-project/sirocco/internal/engine"
	"github.com/sirocco-project/sirocco/internal/guard"
	"github.com/sirocco-project/sirocco/internal/jsonvalue"
)

var actionFields = []string{"id", "workflow_name", "workflow_namespace", "task_name", "task_execution_id", "state", "state_info",
	"tags", "name", "description", "project_id", "accepted", "input", "output", "created_at", "updated_at"}

// actionAttrs are the attributes an action execution body may carry.
var actionAttrs = setOf(append(actionFields, "params")...)

// callbackAttrs are those of a callback's body: an action execution's,
// and Sirocco's extensions for a person's decision (comment; override and
// reason, an admin deciding an approval alone).
var callbackAttrs = setOf(append(actionFields, "params", "comment", "override", "reason")...)

// maxRemark bounds a decision's comment and an override's reason.
const maxRemark = 4000

// actionJSON renders an action execution. withTask adds task_name, which
// Mistral's GET and list carry and its PUT and POST responses do not.
func actionJSON(a *engine.ActionExecution, withTask, withOutput bool) object {
	o := make(object, 0, 17) // every field below: one allocation, not four
	o = append(o, field{"id", a.ID}, field{"workflow_name", strOrNil(a.WorkflowName)}, field{"workflow_namespace", a.WorkflowNamespace})
	if withTask {
		o = append(o, field{"task_name", strOrNil(a.TaskName)})
	}
	o = append(o,
		field{"task_execution_id", strOrNil(a.TaskExecutionID)}, field{"state", a.State},
		field{"state_info", strOrNil(a.StateInfo)}, field{"tags", nil}, field{"name", a.Name},
		field{"description", a.Description}, field{"project_id", a.ProjectID}, field{"accepted", a.Accepted},
		field{"input", a.InputJSON},
	)
	if withOutput {
		o = append(o, field{"output", strOrNil(a.OutputJSON)})
	}
	return append(o, field{"created_at", fmtTime(a.CreatedAt)}, field{"updated_at", fmtTime(a.UpdatedAt)})
}

func (a *API) getActionExecution(c echo.Context) error {
	ae, err := a.engine.GetActionExecution(c.Request().Context(), c.Param("id"))
	if err != nil {
		return a.fault(c, err)
	}
	o := actionJSON(ae, true, true)
	d, err := a.decision(c, ae)
	if err != nil {
		return a.fault(c, err)
	}
	return writeJSON(c, http.StatusOK, append(o, d...))
}

// decision is what GET /v2/action_executions/<id> adds to Mistral's
// fields (Sirocco extensions, null until the action is finished): who
// finished it (decided_by: the person whose vote or completion did; null
// for a service's callback, a timeout, or the local admin when
// authentication is off), when (decided_at), through what (decided_via:
// dashboard, api, cli, link, engine…) and the comment they gave. Only a
// finished asynchronous action reads the audit trail, so other reads
// cost nothing more.
func (a *API) decision(c echo.Context, ae *engine.ActionExecution) (object, error) {
	var by, comment any
	if ae.Async && ae.CompletedAt != nil {
		recs, err := a.engine.AuditRecords(c.Request().Context(), ae.ID)
		if err != nil {
			return nil, err
		}
		// The last accepted decision is the one that finished it: earlier
		// ones are votes an approval's rule still counted on.
		for i := len(recs) - 1; i >= 0; i-- {
			r := recs[i]
			if r.Outcome != engine.AuditAccepted || r.State != ae.State || (r.Kind != engine.AuditDecision && r.Kind != engine.AuditOverride && r.Kind != engine.AuditTimeout) {
				continue
			}
			by, comment = strOrNil(nonEmpty(r.Actor)), strOrNil(nonEmpty(r.Comment))
			break
		}
	}
	return object{field{"decided_by", by}, field{"decided_at", fmtTimePtr(ae.CompletedAt)},
		field{"decided_via", strOrNil(ae.CompletedVia)}, field{"comment", comment}}, nil
}

// nonEmpty is s's address, or nil for "".
func nonEmpty(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

func (a *API) listActionExecutions(c echo.Context) error {
	return a.renderActions(c, nil)
}

// listTaskActionExecutions serves GET /v2/tasks/<id>/action_executions.
func (a *API) listTaskActionExecutions(c echo.Context) error {
	id := c.Param("id")
	if _, err := a.engine.GetTask(c.Request().Context(), id); err != nil {
		return a.fault(c, err)
	}
	return a.renderActions(c, &engine.Filter{Field: "task_execution_id", Op: engine.OpEq, Values: []string{id}})
}

func (a *API) renderActions(c echo.Context, scope *engine.Filter) error {
	p, err := parseList(c, actionFields)
	if err != nil {
		return a.fault(c, err)
	}
	if scope != nil {
		p.query.Filters = append(p.query.Filters, *scope)
	}
	list, err := a.engine.ListActionExecutions(c.Request().Context(), p.query)
	if err != nil {
		return a.fault(c, err)
	}
	items := make([]object, len(list))
	last := ""
	for i, ae := range list {
		items[i] = actionJSON(ae, true, p.includeOutput).only(p.fields)
		last = ae.ID
	}
	if scope != nil {
		p.query.Filters = p.query.Filters[:len(p.query.Filters)-1]
	}
	return a.page(c, "action_executions", p, items, last)
}

// updateActionExecution is the callback: PUT /v2/action_executions/<id>,
// and POST|PUT /v2/action-executions/<id> as the async-actions guide
// spells it. It delivers a state and an output.
func (a *API) updateActionExecution(c echo.Context) error {
	m, err := a.decodeBody(c, "action_ex", callbackAttrs)
	if err != nil {
		return a.fault(c, err)
	}
	state, _, err := stringField(m, "state")
	if err != nil {
		return a.fault(c, err)
	}
	var remarks [2]string
	for i, key := range []string{"comment", "reason"} {
		if remarks[i], _, err = stringField(m, key); err != nil {
			return a.fault(c, err)
		}
		remarks[i] = strings.TrimSpace(remarks[i])
		if utf8.RuneCountInString(remarks[i]) > maxRemark {
			return a.fault(c, invalid("Invalid input for field/attribute %s: at most %d characters", key, maxRemark))
		}
	}
	override, err := boolField(m, "override")
	if err != nil {
		return a.fault(c, err)
	}
	channel := via(c)
	comp := engine.Completion{State: engine.State(state), Via: channel, Comment: remarks[0], Note: decidedBy(c, remarks[0]),
		Decider: guard.Decider(c, channel), Override: override, Reason: remarks[1], Authorize: guard.AuthorizeMove(c)}
	if raw, ok := m["output"]; ok {
		v, err := callbackOutput(raw)
		if err != nil {
			return a.fault(c, err)
		}
		comp.Output, comp.HasOutput = v, true
	}
	ae, repeated, err := a.engine.DeliverResult(c.Request().Context(), c.Param("id"), comp)
	if err != nil {
		return a.fault(c, err)
	}
	if repeated {
		// The same result again: accepted, nothing changed (metrics count it apart).
		c.Response().Header().Set(RepeatedHeader, "true")
	}
	return writeJSON(c, http.StatusOK, actionJSON(ae, false, true))
}

// RepeatedHeader marks a callback answer that repeated a completion
// already recorded.
const RepeatedHeader = "Sirocco-Repeated"

// callbackOutput decodes a callback's output: any JSON value. A string
// that holds a JSON object or array is decoded, as Mistral decodes
// JSON-typed fields sent as strings; any other string stays a string.
func callbackOutput(raw json.RawMessage) (any, error) {
	v, err := jsonvalue.Decode(raw)
	if err != nil {
		return nil, invalid("Invalid input for field/attribute output: %v", err)
	}
	if s, ok := v.(string); ok {
		t := strings.TrimSpace(s)
		if strings.HasPrefix(t, "{") || strings.HasPrefix(t, "[") {
			dv, err := jsonvalue.DecodeInput([]byte(t))
			if errors.Is(err, jsonvalue.ErrTooDeep) {
				return nil, invalid("Invalid input for field/attribute output: %v", err)
			}
			if err == nil {
				return dv, nil
			}
		}
	}
	return v, nil
}

// via tells who delivered a callback, for the record people see later:
// cli for Sirocco's client verbs and the mistral CLI (python-mistralclient
// over keystoneauth1, as their User-Agent says), api for anything else.
func via(c echo.Context) string {
	ua := c.Request().UserAgent()
	if strings.HasPrefix(ua, "sirocco-cli") || strings.Contains(ua, "mistralclient") || strings.Contains(ua, "keystoneauth1") {
		return engine.ViaCLI
	}
	return engine.ViaAPI
}

// actor is the person behind an administrative request, for the audit
// trail: the account, its groups, the channel and the client's address.
func actor(c echo.Context) *engine.Decider { return guard.Decider(c, via(c)) }

// decidedBy names who delivered a result, for the action's timeline: the
// account, or "callback token", after the comment if any; only the
// comment when authentication is off.
func decidedBy(c echo.Context, comment string) string {
	name := guard.FromContext(c).Name()
	switch {
	case name == "":
		return comment
	case comment == "":
		return "by " + name
	}
	return comment + " — " + name
}

// boolField reads an optional boolean attribute (absent or null: false).
func boolField(m map[string]json.RawMessage, key string) (bool, error) {
	raw, ok := m[key]
	if !ok || string(raw) == "null" {
		return false, nil
	}
	var b bool
	if err := json.Unmarshal(raw, &b); err != nil {
		return false, invalid("Invalid input for field/attribute %s. Value: '%s'. Value should be true or false", key, raw)
	}
	return b, nil
}

// runAction serves POST /v2/action_executions: an ad-hoc action run.
func (a *API) runAction(c echo.Context) error {
	m, err := a.decodeBody(c, "action_ex", actionAttrs)
	if err != nil {
		return a.fault(c, err)
	}
	var req engine.RunRequest
	if req.Name, _, err = stringField(m, "name"); err != nil {
		return a.fault(c, err)
	}
	if req.Description, _, err = stringField(m, "description"); err != nil {
		return a.fault(c, err)
	}
	if req.Namespace, _, err = stringField(m, "workflow_namespace"); err != nil {
		return a.fault(c, err)
	}
	if req.Input, err = objectField(m, "input"); err != nil {
		return a.fault(c, err)
	}
	params, err := objectField(m, "params")
	if err != nil {
		return a.fault(c, err)
	}
	req.RunSync = truthy(params["run_sync"])
	req.SaveResult = truthy(params["save_result"])
	req.CreatedBy = guard.FromContext(c).Name()
	ae, err := a.engine.RunAction(c.Request().Context(), req)
	if err != nil {
		return a.fault(c, err)
	}
	if ae.ID == "" {
		// Not stored: Mistral answers with nulls where a stored record has values.
		return writeJSON(c, http.StatusCreated, object{
			{"id", nil}, {"workflow_name", nil}, {"workflow_namespace", ae.WorkflowNamespace}, {"task_execution_id", nil},
			{"state", ae.State}, {"state_info", nil}, {"tags", nil}, {"name", ae.Name}, {"description", nil},
			{"project_id", nil}, {"accepted", nil}, {"input", ae.InputJSON}, {"output", strOrNil(ae.OutputJSON)},
			{"created_at", nil}, {"updated_at", nil},
		})
	}
	o := actionJSON(ae, false, true)
	for i := range o {
		if o[i].key == "updated_at" {
			o[i].value = nil
		}
	}
	return writeJSON(c, http.StatusCreated, o)
}

func truthy(v any) bool {
	switch x := v.(type) {
	case bool:
		return x
	case string:
		return strings.EqualFold(x, "true")
	case int64:
		return x != 0
	}
	return false
}

// builtinActionJSON renders a built-in action.
func builtinActionJSON(name string) object {
	return object{{"id", name}, {"name", name}, {"is_system", true}, {"scope", "public"},
		{"namespace", ""}, {"tags", []string{}}, {"description", ""}, {"input", engine.ActionInput(name)},
		{"definition", nil}, {"project_id", nil}, {"created_at", nil}, {"updated_at", nil}}
}

// adhocActionJSON renders a stored ad-hoc action.
func adhocActionJSON(d *engine.ActionDefinition) object {
	return object{{"id", d.ID}, {"name", d.Name}, {"is_system", false}, {"scope", d.Scope},
		{"namespace", d.Namespace}, {"tags", d.Tags}, {"description", d.Description}, {"input", d.Input},
		{"definition", d.Definition}, {"project_id", d.ProjectID}, {"created_at", fmtTime(d.CreatedAt)},
		{"updated_at", fmtTimePtr(d.UpdatedAt)}}
}

// getAction reads one action, built-in or ad-hoc (GET /v2/actions/<name>).
func (a *API) getAction(c echo.Context) error {
	name := c.Param("name")
	if full := engine.BuiltinAction(name); full != "" {
		return writeJSON(c, http.StatusOK, builtinActionJSON(full))
	}
	d, err := a.engine.GetActionDefinition(c.Request().Context(), name, pathNamespace(c))
	if err != nil {
		return a.fault(c, err)
	}
	return writeJSON(c, http.StatusOK, adhocActionJSON(d))
}

// createActions stores the ad-hoc actions of a YAML document
// (POST /v2/actions, text/plain).
func (a *API) createActions(c echo.Context) error {
	return a.saveActions(c, a.engine.CreateActions, http.StatusCreated)
}

// updateActions replaces stored ad-hoc actions (PUT /v2/actions).
func (a *API) updateActions(c echo.Context) error {
	return a.saveActions(c, a.engine.UpdateActions, http.StatusOK)
}

func (a *API) saveActions(c echo.Context, save func(ctx context.Context, by *engine.Decider, definition, namespace, scope string) ([]*engine.ActionDefinition, error), status int) error {
	body, done, err := a.readDefinition(c)
	if err != nil {
		return a.plainFault(c, err)
	}
	defer done()
	defs, err := save(c.Request().Context(), actor(c), string(body), c.QueryParam("namespace"), c.QueryParam("scope"))
	if err != nil {
		return a.plainFault(c, err)
	}
	items := make([]object, len(defs))
	for i, d := range defs {
		items[i] = adhocActionJSON(d)
	}
	return writeJSON(c, status, object{{"actions", items}})
}

// pathNamespace is the namespace of /v2/actions/<name>/<namespace> (and
// of workbooks), or of ?namespace=.
func pathNamespace(c echo.Context) string {
	if ns := c.Param("namespace"); ns != "" {
		return ns
	}
	return c.QueryParam("namespace")
}

// deleteAction deletes a stored ad-hoc action (DELETE /v2/actions/<name>).
func (a *API) deleteAction(c echo.Context) error {
	if err := a.engine.DeleteAction(c.Request().Context(), actor(c), c.Param("name"), pathNamespace(c)); err != nil {
		return a.fault(c, err)
	}
	return c.NoContent(http.StatusNoContent)
}
