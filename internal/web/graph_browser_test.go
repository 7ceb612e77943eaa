package web_test

import (
	"context"
	"os"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/sirocco-project/sirocco/internal/engine"
)

// graphChecks measures the drawn graph in the browser: node boxes pairwise
// apart, each label inside its box, no text under 12 px; it returns what
// failed, "" when all hold.
const graphChecks = `(() => {
  const nodes = [...document.querySelectorAll('[data-testid="graph-node"]')];
  if (nodes.length === 0) return "no nodes";
  const boxes = nodes.map(n => n.querySelector(".g-box").getBBox());
  for (let i = 0; i < boxes.length; i++) {
    const a = boxes[i];
    for (let j = i + 1; j < boxes.length; j++) {
      const b = boxes[j];
      if (a.x < b.x + b.width && b.x < a.x + a.width && a.y < b.y + b.height && b.y < a.y + a.height)
        return "overlap: " + nodes[i].textContent + " / " + nodes[j].textContent;
    }
    for (const t of nodes[i].querySelectorAll("text")) {
      const r = t.getBBox();
      if (r.x < a.x || r.x + r.width > a.x + a.width || r.y < a.y || r.y + r.height > a.y + a.height)
        return "label outside its box: " + t.textContent + " " + JSON.stringify([r.x, r.y, r.width, r.height]) + " in " + JSON.stringify([a.x, a.y, a.width, a.height]);
      const px = parseFloat(getComputedStyle(t).fontSize);
      if (!(px >= 12)) return "text at " + px + "px: " + t.textContent;
    }
  }
  return "";
})()`

// TestBrowserGraph: a 200-task workflow on a 400 px phone is legible (no
// overlapping boxes, labels inside them at 12 px or more) and scrolls in
// its own box, not the page (the header's menu is issue 17's phone item,
// whose test checks the whole page); an execution's graph follows its tasks live.
func TestBrowserGraph(t *testing.T) {
	ctx := browser(t)
	e := newEnv(t)
	bg := context.Background()
	if _, err := e.eng.CreateWorkflows(bg, nil, bigWorkflow("big", 200), "", engine.ScopePrivate); err != nil {
		t.Fatal(err)
	}
	if _, err := e.eng.CreateWorkflows(bg, nil, pictured, "", engine.ScopePrivate); err != nil {
		t.Fatal(err)
	}

	t.Run("200 tasks on a phone", func(t *testing.T) {
		do(t, ctx, 20*time.Second, chromedp.EmulateViewport(400, 800), chromedp.Navigate(e.url+"/workflows/big"),
			chromedp.WaitVisible(chromedp.CSS(`[data-testid="graph"]`)))
		if n := text(t, ctx, `String(document.querySelectorAll('[data-testid="graph-node"]').length)`); n != "200" {
			t.Fatalf("%s nodes drawn", n)
		}
		if got := text(t, ctx, graphChecks); got != "" {
			t.Error(got)
		}
		if os.Getenv("SIROCCO_SCREENSHOTS") == "1" {
			screenshot(t, ctx, "graph-phone.png")
		}
		if got := text(t, ctx, `(() => { const b = document.querySelector('[data-testid="graph"]');
			return [b.closest("section").getBoundingClientRect().right <= innerWidth, b.scrollWidth > b.clientWidth, b.scrollHeight > b.clientHeight].join(" ") })()`); got != "true true true" {
			t.Errorf("graph's card fits, box scrolls across, box scrolls down = %s", got)
		}
	})

	t.Run("a workflow's graph", func(t *testing.T) {
		do(t, ctx, 20*time.Second, chromedp.EmulateViewport(1280, 900), chromedp.Navigate(e.url+"/workflows/pictured"),
			chromedp.WaitVisible(chromedp.CSS(`[data-testid="graph"]`)))
		if got := text(t, ctx, graphChecks); got != "" {
			t.Error(got)
		}
		if os.Getenv("SIROCCO_SCREENSHOTS") == "1" {
			screenshot(t, ctx, "graph-workflow.png")
		}
	})

	t.Run("an execution's graph follows its tasks", func(t *testing.T) {
		ex, err := e.eng.StartExecution(bg, engine.StartRequest{WorkflowName: "pictured", Input: map[string]any{}})
		if err != nil {
			t.Fatal(err)
		}
		action := e.waitingAction(t, ex.ID)
		ask := `document.querySelector('[data-testid="graph-node"][data-shape] a[href="/actions/` + action + `"]')`
		do(t, ctx, 20*time.Second, chromedp.EmulateViewport(1280, 900), chromedp.Navigate(e.url+"/executions/"+ex.ID),
			chromedp.WaitVisible(chromedp.CSS(`[data-testid="graph"]`)))
		until(t, ctx, 10*time.Second, "the socket connects", liveNow)
		if got := text(t, ctx, graphChecks); got != "" {
			t.Error(got)
		}
		if got := text(t, ctx, `(`+ask+` || {closest: () => ({dataset: {}})}).closest("g[data-shape]").dataset.shape || ""`); got != "hexagon" {
			t.Fatalf("the waiting task, linked to its action, is drawn as %q", got)
		}
		if os.Getenv("SIROCCO_SCREENSHOTS") == "1" {
			screenshot(t, ctx, "graph.png")
		}
		// Scrolled to the right of its box (a phone's), the graph stays
		// there when it is redrawn.
		do(t, ctx, 10*time.Second, chromedp.EmulateViewport(400, 800))
		scrolled := text(t, ctx, `(() => { const b = document.querySelector('[data-testid="graph"]'); b.scrollLeft = 200; return String(b.scrollLeft) })()`)
		if scrolled == "0" {
			t.Fatal("the graph's box does not scroll at 400 px")
		}
		if _, err := e.eng.UpdateActionExecution(bg, action, engine.Completion{State: engine.StateSuccess, Output: "yes", HasOutput: true, Via: engine.ViaAPI}); err != nil {
			t.Fatal(err)
		}
		until(t, ctx, 5*time.Second, "ask turns successful without a reload",
			`[...document.querySelectorAll('[data-testid="graph-node"]')].some(n => n.querySelector(".g-label").textContent === "ask" && n.dataset.shape === "pill" && n.classList.contains("s-success"))`)
		until(t, ctx, 5*time.Second, "the path taken is drawn",
			`[...document.querySelectorAll('[data-testid="graph-edge"].taken')].some(e => e.textContent === "ask on-success → finish")`)
		if got := text(t, ctx, `String(document.querySelector('[data-testid="graph"]').scrollLeft)`); got != scrolled {
			t.Errorf("the redrawn graph is scrolled to %s, was %s", got, scrolled)
		}
		if got := text(t, ctx, graphChecks); got != "" {
			t.Error(got)
		}
		if os.Getenv("SIROCCO_SCREENSHOTS") == "1" {
			do(t, ctx, 10*time.Second, chromedp.EmulateViewport(1280, 900))
			screenshot(t, ctx, "graph-run.png")
		}
	})
}
