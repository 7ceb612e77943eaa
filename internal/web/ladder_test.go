package web_test

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"
	"github.com/sirocco-project/sirocco/internal/engine"
	"github.com/sirocco-project/sirocco/web/templates"
)

// fixedClock is an engine clock that stands still.
type fixedClock struct{ t time.Time }

func (c fixedClock) Now() time.Time { return c.t }

const ladderFlow = `---
version: '2.0'
laddered:
  tasks:
    ask:
      action: std.approval
      input:
        title: Renew the certificate
        remind_after: 30m
        remind_every: 1h
        remind_max: 2
        escalate_after: 4h
        escalate_to: [group:leads]
        timeout: 2d
        on_timeout: {state: ERROR, output: nobody answered}
`

// TestActionPageShowsTheLadder: an approval's page lists its ladder's
// rungs to come, in order, with when each is due and what it does.
func TestActionPageShowsTheLadder(t *testing.T) {
	t.Parallel()
	start := time.Date(2026, 12, 7, 9, 0, 0, 0, time.UTC)
	e := newEnvWith(t, "", func(c *engine.Config) { c.Clock = fixedClock{start} })
	if _, err := e.eng.CreateWorkflows(context.Background(), nil, ladderFlow, "", engine.ScopePrivate); err != nil {
		t.Fatal(err)
	}
	id := e.startAs("", "laddered")
	p := e.get("/actions/" + id)
	var got []string
	p.doc.Find(`[data-testid="ladder-next"] [data-testid="rung"]`).Each(func(_ int, s *goquery.Selection) {
		got = append(got, s.AttrOr("data-kind", "")+" "+s.Find("time").AttrOr("datetime", "")+" "+squashed(s.Find("span")))
	})
	want := []string{
		"reminder 2026-12-07T09:30:00Z reminder 1 of 2",
		"reminder 2026-12-07T10:30:00Z reminder 2 of 2",
		"escalation 2026-12-07T13:00:00Z to group:leads (1 required from any of them); earlier votes kept",
		"timeout 2026-12-09T09:00:00Z decides ERROR (on_timeout)",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("rungs to come:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if p.text(`[data-testid="ladder-none-done"]`) != "Nothing yet." {
		t.Errorf("what happened: %q", p.text(`[data-testid="ladder"]`))
	}
	// An approval without a ladder has no panel.
	_, other := e.startApproval("rita")
	if n := e.get("/actions/" + other).doc.Find(`[data-testid="ladder"]`).Length(); n != 0 {
		t.Errorf("a ladder panel on an action without one")
	}
}

// TestLadderPanel: the panel says what happened, and once the approval
// is decided, that nothing comes next.
func TestLadderPanel(t *testing.T) {
	t.Parallel()
	at := time.Date(2026, 12, 7, 9, 30, 0, 0, time.UTC)
	v := &templates.LadderView{Escalated: true, Done: []templates.LadderRung{
		{Kind: "reminder", Label: "Reminder", At: at, Note: "reminder 1 of 2 sent to group:finance"},
		{Kind: "escalation", Label: "Escalation", At: at.Add(time.Hour), Note: "escalated from group:finance to group:leads"},
	}}
	var buf bytes.Buffer
	if err := templates.LadderPanel(v).Render(context.Background(), &buf); err != nil {
		t.Fatal(err)
	}
	doc, err := goquery.NewDocumentFromReader(&buf)
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(doc.Find(`[data-testid="ladder-done"] li`).Map(func(_ int, s *goquery.Selection) string { return squashed(s) }), " | "); got != "2026-12-07 09:30:00 UTC Reminder reminder 1 of 2 sent to group:finance | 2026-12-07 10:30:00 UTC Escalation escalated from group:finance to group:leads" {
		t.Errorf("what happened: %q", got)
	}
	if got := squashed(doc.Find(`[data-testid="ladder-over"]`)); got != "Nothing: the approval is decided." {
		t.Errorf("what comes next: %q", got)
	}
	if doc.Find(`[data-testid="ladder-escalated"]`).Length() != 1 {
		t.Error("no word of the escalation")
	}
}
