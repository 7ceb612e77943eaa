package engine

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/robfig/cron/v3"

	"github.com/sirocco-project/sirocco/internal/fault"
)

// CreatorCheck tells whether an account may still start executions: a
// cron trigger's executions are its creator's, so a creator deleted or
// demoted below requester stops the trigger instead of acting in their
// name. The server implements it over the accounts store.
type CreatorCheck interface {
	// MayStart returns "" when user may start executions, else the
	// reason they may not ("the account alice was deleted").
	MayStart(ctx context.Context, user string) (reason string, err error)
}

// CronRequest asks to create a cron trigger (Mistral's POST
// /v2/cron_triggers).
type CronRequest struct {
	Name                string
	Pattern             string
	FirstExecutionTime  string // "YYYY-MM-DD HH:MM" in UTC, as the CLI sends it; "" for none
	RemainingExecutions *int
	WorkflowID          string
	WorkflowName        string
	WorkflowNamespace   string
	WorkflowInput       map[string]any
	WorkflowParams      map[string]any
	// WorkflowInputOrder and WorkflowParamsOrder, when set, are the
	// orders the client wrote those keys in: the trigger shows them so.
	WorkflowInputOrder  []string
	WorkflowParamsOrder []string
	Scope               string
	// CreatedBy is who creates it, and so whose its executions are.
	CreatedBy string
}

// Bounds of a cron trigger's texts (Mistral's columns).
const (
	MaxCronNameLen    = 200
	MaxCronPatternLen = 100
	// cronKeepLast is how many of its last executions a trigger lists.
	cronKeepLast = 5
)

// cronParser reads five-field patterns (minute, hour, day of month,
// month, day of week) and the @yearly… @hourly descriptors, as Mistral's
// croniter does.
var cronParser = cron.NewParser(cron.Minute | cron.Hour | cron.Dom | cron.Month | cron.Dow | cron.Descriptor)

// ParseCronPattern checks a pattern; every pattern is in UTC.
func ParseCronPattern(pattern string) (cron.Schedule, error) {
	p := strings.TrimSpace(pattern)
	// robfig/cron reads a zone prefix and "@every <duration>", which
	// croniter does not: a pattern names times in UTC, always.
	if p == "" || strings.HasPrefix(p, "TZ=") || strings.HasPrefix(p, "CRON_TZ=") || strings.HasPrefix(p, "@every") {
		return nil, fault.Errorf(fault.EINVALID, "The specified pattern is not valid: %s", pattern)
	}
	s, err := cronParser.Parse(p)
	if err != nil {
		return nil, fault.Errorf(fault.EINVALID, "The specified pattern is not valid: %s", pattern)
	}
	return s, nil
}

// cronNext is the first time of pattern strictly after t, in UTC.
func cronNext(pattern string, t time.Time) (time.Time, error) {
	s, err := ParseCronPattern(pattern)
	if err != nil {
		return time.Time{}, err
	}
	next := s.Next(t.UTC())
	if next.IsZero() {
		// A pattern that names no date (30 February) never fires.
		return time.Time{}, fault.Errorf(fault.EINVALID, "The specified pattern is not valid: %s (it names no time)", pattern)
	}
	return next.UTC(), nil
}

// cronFirstTime parses first_execution_time as Mistral does
// ("YYYY-MM-DD HH:MM", UTC); seconds are accepted too.
func cronFirstTime(s string) (time.Time, error) {
	for _, layout := range []string{"2006-01-02 15:04", "2006-01-02 15:04:05"} {
		if t, err := time.ParseInLocation(layout, strings.TrimSpace(s), time.UTC); err == nil {
			return t, nil
		}
	}
	// Mistral's words (Python's strptime), after the field's name.
	return time.Time{}, fault.Errorf(fault.EINVALID, "Invalid input for field/attribute first_execution_time. time data '%s' does not match format '%%Y-%%m-%%d %%H:%%M'", s)
}

// CreateCronTrigger validates and stores a cron trigger, and schedules its
// first firing, as by in the audit trail. Errors follow Mistral 15.
func (e *Engine) CreateCronTrigger(ctx context.Context, by *Decider, req CronRequest) (*CronTrigger, error) {
	if err := checkTexts("name", req.Name, "pattern", req.Pattern, "first_execution_time", req.FirstExecutionTime,
		"workflow_id", req.WorkflowID, "workflow_name", req.WorkflowName, "workflow_namespace", req.WorkflowNamespace); err != nil {
		return nil, err
	}
	switch {
	case strings.TrimSpace(req.Name) == "":
		return nil, fault.Errorf(fault.EINVALID, "Invalid input for field/attribute name. A cron trigger needs a name.")
	case len(req.Name) > MaxCronNameLen:
		return nil, fault.Errorf(fault.EINVALID, "Invalid input for field/attribute name. At most %d bytes.", MaxCronNameLen)
	case len(req.Pattern) > MaxCronPatternLen:
		return nil, fault.Errorf(fault.EINVALID, "Invalid input for field/attribute pattern. At most %d bytes.", MaxCronPatternLen)
	case req.RemainingExecutions != nil && *req.RemainingExecutions < 1:
		return nil, fault.Errorf(fault.EINVALID, "Invalid input for field/attribute remaining_executions. Value: '%d'. Value should be greater or equal to 1", *req.RemainingExecutions)
	}
	scope := req.Scope
	switch scope {
	case "":
		scope = "private"
	case "private":
	case "public":
		// As Mistral 15.0.0-1+deb12u1 (CVE-2026-41283): admin only.
		if by != nil && !by.Admin {
			return nil, fault.Errorf(fault.EFORBIDDEN, "cron_triggers:publicize is disallowed by policy: a public cron trigger needs the admin role.")
		}
	default:
		return nil, fault.Errorf(fault.EINVALID, "Invalid input for field/attribute scope. Value: '%s'. Value should be one of: private, public", scope)
	}
	now := e.now()
	var first *time.Time
	if req.FirstExecutionTime != "" {
		t, err := cronFirstTime(req.FirstExecutionTime)
		if err != nil {
			return nil, err
		}
		first = &t
	}
	count := req.RemainingExecutions
	switch {
	case first == nil && req.Pattern == "":
		return nil, fault.Errorf(fault.EINVALID, "Pattern or first_execution_time must be specified.")
	case first != nil && first.Before(now.Add(time.Minute)):
		return nil, fault.Errorf(fault.EINVALID, "first_execution_time must be at least 1 minute in the future.")
	case first != nil && req.Pattern == "" && count != nil && *count > 1:
		return nil, fault.Errorf(fault.EINVALID, "Pattern must be provided if count is superior to 1.")
	}
	var next time.Time
	if req.Pattern != "" {
		var err error
		if next, err = cronNext(req.Pattern, now); err != nil {
			return nil, err
		}
	}
	if first != nil {
		next = *first
		if req.Pattern == "" && count == nil {
			one := 1
			count = &one
		}
	}
	ident := req.WorkflowID
	if ident == "" {
		ident = req.WorkflowName
	}
	if ident == "" {
		return nil, fault.Errorf(fault.EINVALID, "Invalid input for field/attribute workflow_name. A cron trigger needs workflow_name or workflow_id.")
	}
	wf, err := e.GetWorkflow(ctx, ident, req.WorkflowNamespace)
	if err != nil {
		return nil, err
	}
	spec, err := e.specs.get(wf.Definition)
	if err != nil {
		return nil, fmt.Errorf("load workflow %q: %w", wf.Name, err)
	}
	// As Mistral: the input is checked now, not only at each firing.
	if _, err := checkInput(spec, req.WorkflowInput); err != nil {
		return nil, err
	}
	inputJSON, err := encode(orderedParams(objectOrEmpty(req.WorkflowInput), req.WorkflowInputOrder))
	if err != nil {
		return nil, err
	}
	// Its receivers are checked now too, not at each firing.
	if err := e.checkNotify(req.WorkflowParams); err != nil {
		return nil, err
	}
	paramsJSON, err := encode(orderedParams(objectOrEmpty(req.WorkflowParams), req.WorkflowParamsOrder))
	if err != nil {
		return nil, err
	}
	c := &CronTrigger{
		ID: newID(), Name: req.Name, Pattern: req.Pattern, FirstExecutionTime: first, NextExecutionTime: next,
		RemainingExecutions: count, WorkflowID: wf.ID, WorkflowName: wf.Name, WorkflowNamespace: wf.Namespace,
		WorkflowInputJSON: inputJSON, WorkflowParamsJSON: paramsJSON, Scope: scope, ProjectID: wf.ProjectID,
		CreatedBy: req.CreatedBy, State: CronActive, LastExecutionsJSON: "[]", CreatedAt: now,
	}
	err = e.update(ctx, func(w *work) error {
		v := *c
		if err := w.tx.CreateCronTrigger(ctx, &v); err != nil {
			if fault.Code(err) == fault.ECONFLICT {
				// Mistral without projects (no auth) names the project None.
				project := c.ProjectID
				if project == DefaultProject {
					project = "None"
				}
				return fault.Errorf(fault.ECONFLICT, "Duplicate entry for cron trigger ['name', 'project_id']: %s, %s", c.Name, project)
			}
			return err
		}
		if err := w.addJob(JobCronFire, cronRef(v.ID, v.NextExecutionTime), v.NextExecutionTime); err != nil {
			return err
		}
		*c = v
		return w.auditAdmin(by, "", "", fmt.Sprintf("create cron trigger %s (id %s, workflow %s, pattern %q, next %s)",
			c.Name, c.ID, c.WorkflowName, c.Pattern, c.NextExecutionTime.Format(time.DateTime)))
	})
	if err != nil {
		return nil, err
	}
	return c, nil
}

func objectOrEmpty(m map[string]any) map[string]any {
	if m == nil {
		return map[string]any{}
	}
	return m
}

// GetCronTrigger returns a cron trigger by id or name.
func (e *Engine) GetCronTrigger(ctx context.Context, idOrName string) (*CronTrigger, error) {
	c, err := e.store.GetCronTrigger(ctx, idOrName)
	if fault.Code(err) == fault.ENOTFOUND {
		return nil, cronNotFound(idOrName)
	}
	return c, err
}

func cronNotFound(idOrName string) error {
	return fault.Errorf(fault.ENOTFOUND, "Cron trigger not found [identifier=%s]", idOrName)
}

// ListCronTriggers lists the cron triggers, oldest first.
func (e *Engine) ListCronTriggers(ctx context.Context) ([]*CronTrigger, error) {
	return e.store.ListCronTriggers(ctx)
}

// ErrCronNotYours refuses a change of someone else's cron trigger.
var ErrCronNotYours = fault.Errorf(fault.EFORBIDDEN, "Only an admin or the trigger's creator may change a cron trigger.")

// mayManageCron is the one rule for deleting, pausing and resuming a
// trigger: an admin, or the person who created it.
func mayManageCron(by *Decider, c *CronTrigger) error {
	switch {
	case by == nil:
		return fault.Errorf(fault.EFORBIDDEN, "Cron triggers are changed by a person: this credential (a token without a user) cannot.")
	case by.Admin:
		return nil
	case by.User != "" && by.User == c.CreatedBy:
		return nil
	}
	return ErrCronNotYours
}

// MayManageCron reports whether by may delete, pause or resume c (the
// dashboard shows its buttons only then).
func MayManageCron(by *Decider, c *CronTrigger) bool { return mayManageCron(by, c) == nil }

// DeleteCronTrigger deletes a trigger, as by (an admin or its creator) in
// the audit trail.
func (e *Engine) DeleteCronTrigger(ctx context.Context, by *Decider, idOrName string) error {
	return e.update(ctx, func(w *work) error {
		c, err := w.tx.GetCronTrigger(ctx, idOrName)
		if fault.Code(err) == fault.ENOTFOUND {
			return cronNotFound(idOrName)
		}
		if err != nil {
			return err
		}
		if err := mayManageCron(by, c); err != nil {
			return err
		}
		if err := w.tx.DeleteCronTrigger(ctx, c.ID, c.Version); err != nil {
			return err
		}
		return w.auditAdmin(by, "", "", fmt.Sprintf("delete cron trigger %s (id %s, workflow %s)", c.Name, c.ID, c.WorkflowName))
	})
}

// SetCronTriggerState pauses (CronPaused) or resumes (CronActive) a
// trigger, as by (an admin or its creator): a Sirocco extension. A
// resumed trigger fires next at its pattern's first time after now (the
// times it was paused through are skipped), or at once if it has only a
// first time and that has passed.
func (e *Engine) SetCronTriggerState(ctx context.Context, by *Decider, idOrName, state string) (*CronTrigger, error) {
	if state != CronActive && state != CronPaused {
		return nil, fault.Errorf(fault.EINVALID, "Invalid input for field/attribute state. Value: '%s'. Value should be one of: %s, %s", state, CronActive, CronPaused)
	}
	var out *CronTrigger
	err := e.update(ctx, func(w *work) error {
		c, err := w.tx.GetCronTrigger(ctx, idOrName)
		if fault.Code(err) == fault.ENOTFOUND {
			return cronNotFound(idOrName)
		}
		if err != nil {
			return err
		}
		if err := mayManageCron(by, c); err != nil {
			return err
		}
		if c.State == state {
			out = c
			return nil
		}
		now := e.now()
		verb := "pause"
		switch state {
		case CronPaused:
			who := "the admin"
			if by != nil && by.User != "" {
				who = by.User
			}
			c.StateInfo = strPtr(fmt.Sprintf("Paused by %s at %s UTC.", who, now.Format(time.DateTime)))
		case CronActive:
			verb = "resume"
			c.StateInfo = nil
			if c.Pattern != "" {
				if c.NextExecutionTime, err = cronNext(c.Pattern, now); err != nil {
					return err
				}
			} else if c.NextExecutionTime.Before(now) {
				// Whole seconds, as every due time: the job's ref names
				// it, and the store keeps microseconds.
				c.NextExecutionTime = now.Truncate(time.Second)
			}
			if err := w.addJob(JobCronFire, cronRef(c.ID, c.NextExecutionTime), c.NextExecutionTime); err != nil {
				return err
			}
		}
		c.State, c.UpdatedAt = state, &now
		if err := w.tx.UpdateCronTrigger(ctx, c); err != nil {
			return err
		}
		out = c
		return w.auditAdmin(by, "", "", fmt.Sprintf("%s cron trigger %s (id %s, workflow %s)", verb, c.Name, c.ID, c.WorkflowName))
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// refuseTriggered refuses to delete a workflow that cron triggers start,
// as Mistral does.
func (w *work) refuseTriggered(wf *Workflow, idOrName, namespace string) error {
	list, err := w.tx.ListCronTriggers(w.ctx)
	if err != nil {
		return err
	}
	var ids []string
	for _, c := range list {
		if c.WorkflowID == wf.ID {
			ids = append(ids, c.ID)
		}
	}
	if len(ids) == 0 {
		return nil
	}
	return fault.Errorf(fault.EINVALID, "Can't delete workflow that has cron triggers associated. [workflow_identifier=%s, namespace=%s], [cron_trigger_id(s)=%s]",
		idOrName, namespace, strings.Join(ids, ", "))
}

// CronExecution is one of the last executions a trigger started.
type CronExecution struct {
	ID string    `json:"id"`
	At time.Time `json:"at"` // the due time it was started for
}

// LastExecutions decodes c's last executions, newest first.
func (c *CronTrigger) LastExecutions() []CronExecution {
	var out []CronExecution
	_ = json.Unmarshal([]byte(c.LastExecutionsJSON), &out)
	return out
}

// cronDescription is the description of an execution a trigger started,
// as Mistral writes it (a JSON text with Python's separators).
func cronDescription(c *CronTrigger) string {
	q := func(s string) string { b, _ := json.Marshal(s); return string(b) }
	return fmt.Sprintf(`{"description": %s, "triggered_by": {"type": "cron_trigger", "id": %s, "name": %s}}`,
		q(fmt.Sprintf("Workflow execution created by cron trigger '(%s)'.", c.ID)), q(c.ID), q(c.Name))
}

// cronRef is the job ref of a trigger's firing at due: a job whose due
// time is no longer the trigger's next time (it was paused and resumed,
// or fired by another job) is stale and does nothing.
func cronRef(id string, due time.Time) string {
	return id + " " + due.UTC().Truncate(time.Microsecond).Format(time.RFC3339Nano)
}

func parseCronRef(ref string) (id string, due time.Time, err error) {
	id, at, ok := strings.Cut(ref, " ")
	if !ok {
		return "", time.Time{}, errors.New("cron job ref without a time")
	}
	due, err = time.Parse(time.RFC3339Nano, at)
	return id, due, err
}
