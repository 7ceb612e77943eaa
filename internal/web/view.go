package web

import (
	"bytes"
	"encoding/json"
	"net/url"
	"sort"
	"time"

	"github.com/sirocco-project/sirocco/internal/engine"
	"github.com/sirocco-project/sirocco/web/templates"
)

// prettyJSON indents stored JSON text for reading; text that is not JSON
// is shown as it is.
func prettyJSON(s string) string {
	if s == "" {
		return ""
	}
	var buf bytes.Buffer
	if err := json.Indent(&buf, []byte(s), "", "  "); err != nil {
		return s
	}
	return buf.String()
}

// compactJSON renders stored JSON on one line, for table cells.
func compactJSON(s string) string {
	var buf bytes.Buffer
	if err := json.Compact(&buf, []byte(s)); err != nil {
		return s
	}
	return buf.String()
}

func actionURL(id string) string    { return "/actions/" + url.PathEscape(id) }
func executionURL(id string) string { return "/executions/" + url.PathEscape(id) }

func workflowURL(name, namespace string) string {
	u := "/workflows/" + url.PathEscape(name)
	if namespace != "" {
		u += "?namespace=" + url.QueryEscape(namespace)
	}
	return u
}

// timelineEntries maps events to the timeline, naming what changed;
// names maps record ids to labels ("task approve").
func timelineEntries(events []engine.Event, names map[string]string) []templates.TimelineEntry {
	sort.SliceStable(events, func(i, j int) bool { return events[i].At.Before(events[j].At) })
	out := make([]templates.TimelineEntry, 0, len(events))
	for _, ev := range events {
		what := names[ev.ID]
		if what == "" {
			what = kindLabel(ev.Kind)
		}
		out = append(out, templates.TimelineEntry{At: ev.At, What: what, State: string(ev.State), Via: ev.Via, Note: ev.Note})
	}
	return out
}

func kindLabel(kind string) string {
	switch kind {
	case "action_execution":
		return "action"
	}
	return kind
}

func execRow(ex *engine.Execution) templates.ExecutionRow {
	return templates.ExecutionRow{
		ID: ex.ID, URL: executionURL(ex.ID), Workflow: ex.WorkflowName, WorkflowURL: workflowURL(ex.WorkflowName, ex.WorkflowNamespace),
		State: string(ex.State), Description: ex.Description, CreatedAt: ex.CreatedAt, UpdatedAt: ex.UpdatedAt,
	}
}

// since is how long ago t was, for "waiting" columns.
func (s *Server) since(t time.Time) string { return templates.Duration(s.now().Sub(t)) }
