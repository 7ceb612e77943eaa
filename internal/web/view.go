package web

import (
	"net/url"
	"sort"
	"time"

	"github.com/sirocco-project/sirocco/internal/engine"
	"github.com/sirocco-project/sirocco/internal/jsonview"
	"github.com/sirocco-project/sirocco/web/templates"
)

// Bounds on text shown as it is; JSON values have jsonview's.
const (
	maxStateInfo = 8 << 10
	maxNote      = 2 << 10
)

// jsonBlock formats a stored JSON value shown on its own; rawURL is where
// the page links when the value does not fit. Every stored value a page
// shows goes through here or jsonCell: json.Indent costs the square of the
// nesting depth, and a value may come from outside or from expressions.
func jsonBlock(s, rawURL string) templates.JSONText { return jsonText(s, jsonview.Block, rawURL) }

// jsonCell formats a stored JSON value for a table cell.
func jsonCell(s, rawURL string) templates.JSONText { return jsonText(s, jsonview.Line, rawURL) }

func jsonText(s string, lim jsonview.Limits, rawURL string) templates.JSONText {
	v := jsonview.Format(s, lim)
	t := templates.JSONText{Text: v.Text, Shortened: v.Shortened()}
	if t.Shortened {
		t.RawURL = rawURL
	}
	return t
}

// clip bounds text shown as it is.
func clip(s string, max int) string {
	t, _ := jsonview.Clip(s, max)
	return t
}

// clipPtr is clip for an optional text; nil is "".
func clipPtr(s *string, max int) string {
	if s == nil {
		return ""
	}
	return clip(*s, max)
}

func actionURL(id string) string    { return "/actions/" + url.PathEscape(id) }
func executionURL(id string) string { return "/executions/" + url.PathEscape(id) }

// rawURL is where a stored value downloads whole (see raw.go): kind is
// "actions", "executions" or "tasks", file one of rawFiles[kind].
func rawURL(kind, id, file string) string {
	return "/" + kind + "/" + url.PathEscape(id) + "/" + file
}

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
		out = append(out, templates.TimelineEntry{At: ev.At, What: what, State: string(ev.State), Via: ev.Via, Note: clip(ev.Note, maxNote)})
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
