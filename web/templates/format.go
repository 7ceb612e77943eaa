package templates

import (
	"fmt"
	"strings"
	"time"
)

// Duration renders d the way the page script does: "45s", "3m", "2h 5m",
// "3d 4h". Keep the two in step (web/static/live.js, formatDuration).
func Duration(d time.Duration) string {
	if d < 0 {
		d = 0
	}
	s := int64(d / time.Second)
	switch {
	case s < 60:
		return fmt.Sprintf("%ds", s)
	case s < 3600:
		return fmt.Sprintf("%dm", s/60)
	case s < 86400:
		return fmt.Sprintf("%dh %dm", s/3600, s%3600/60)
	}
	return fmt.Sprintf("%dd %dh", s/86400, s%86400/3600)
}

// When renders a time for people: UTC, to the second.
func When(t time.Time) string { return t.UTC().Format("2006-01-02 15:04:05") + " UTC" }

// ISO renders a time for machines (<time datetime>).
func ISO(t time.Time) string { return t.UTC().Format(time.RFC3339) }

// stateClass is the CSS class of a state badge.
func stateClass(state string) string { return "badge state-" + strings.ToLower(state) }

// short abbreviates an id for tables; the full id is in the link and title.
// It keeps the end: ids are version 7 UUIDs, whose first characters are a
// timestamp shared by everything created in the same minute, and whose last
// ones are random.
func short(id string) string {
	if len(id) > 8 {
		return id[len(id)-8:]
	}
	return id
}

// viaText says who completed an action, for people.
func viaText(via string) string {
	switch via {
	case "api":
		return "the API"
	case "cli":
		return "the CLI"
	case "dashboard":
		return "the dashboard"
	case "engine":
		return "the engine"
	case "":
		return "an unknown source"
	}
	return via
}

// countText renders a count with thousands separators, "10,000+" when capped.
func countText(n int, capped bool) string {
	s := fmt.Sprint(n)
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	if capped {
		s += "+"
	}
	return s
}

// outcome names a final state in words.
func outcome(state string) string {
	switch state {
	case "SUCCESS":
		return "Approved (SUCCESS)"
	case "ERROR":
		return "Rejected (ERROR)"
	case "CANCELLED":
		return "Cancelled"
	}
	return state
}

// decisionKey changes when the decision region must be redrawn: once the
// action is no longer pending. A pending action keeps its form (and what
// the person typed) while other parts of the page update.
func decisionKey(v ActionView) string {
	if v.Pending {
		return "pending"
	}
	return "done:" + v.State
}

func requestKey(r *RequestView) string {
	if r == nil {
		return "none"
	}
	return "sent"
}

// boolText renders an ARIA boolean ("true" or "false").
func boolText(b bool) string {
	if b {
		return "true"
	}
	return "false"
}

// sourceLines splits a definition's text into lines for numberedSource:
// no empty last line for the final newline, no carriage returns.
func sourceLines(text string) []string {
	text = strings.TrimSuffix(strings.ReplaceAll(text, "\r\n", "\n"), "\n")
	if text == "" {
		return nil
	}
	return strings.Split(text, "\n")
}
