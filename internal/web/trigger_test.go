package web_test

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/sirocco-project/sirocco/internal/engine"
)

// TestTriggersPage: the Triggers page (in the navigation) lists each cron
// trigger with its next run, its state and why, and its last executions
// linked; pause, resume and delete (a Sirocco extension) are offered to
// the trigger's creator and an admin only, need the form's CSRF token, are
// refused to anyone else by the engine, and are audited.
func TestTriggersPage(t *testing.T) {
	t.Parallel()
	e := approvalEnv(t)
	ctx := context.Background()
	c, err := e.eng.CreateCronTrigger(ctx, nil, engine.CronRequest{Name: "nightly", Pattern: "0 4 * * *", WorkflowName: "approve",
		WorkflowInput: map[string]any{"requester": "cron"}, CreatedBy: "rita"})
	if err != nil {
		t.Fatal(err)
	}
	// Its last execution, as a firing records it (the engine's tests
	// fire triggers on an injected clock).
	ex, err := e.eng.StartExecution(ctx, engine.StartRequest{WorkflowName: "approve", Input: map[string]any{"requester": "cron"}, CreatedBy: "rita"})
	if err != nil {
		t.Fatal(err)
	}
	err = e.st.Update(ctx, func(tx engine.Tx) error {
		cur, err := tx.GetCronTrigger(ctx, c.ID)
		if err != nil {
			return err
		}
		cur.LastExecutionsJSON = fmt.Sprintf(`[{"id": %q, "at": "2026-12-07T04:00:00Z"}]`, ex.ID)
		return tx.UpdateCronTrigger(ctx, cur)
	})
	if err != nil {
		t.Fatal(err)
	}

	viewer := e.as("val")
	p := viewer.get("/triggers")
	if p.status != http.StatusOK {
		t.Fatalf("GET /triggers as a viewer: %d", p.status)
	}
	if href, _ := p.doc.Find(`nav a[href="/triggers"]`).Attr("href"); href != "/triggers" {
		t.Errorf("the navigation has no Triggers link")
	}
	row := p.doc.Find(`[data-trigger="nightly"]`)
	if row.Length() != 1 {
		t.Fatalf("no row for the trigger: %s", p.body)
	}
	if got, want := squashed(row.Find(`[data-testid="trigger-next"]`)), c.NextExecutionTime.Format("2006-01-02 15:04:05")+" UTC"; got != want {
		t.Errorf("next run %q, want %q", got, want)
	}
	if href, _ := row.Find(`[data-testid="trigger-last"] a`).Attr("href"); href != "/executions/"+ex.ID {
		t.Errorf("last execution link %q, want /executions/%s", href, ex.ID)
	}
	if got := squashed(row.Find(`[data-testid="state"]`)); got != "ACTIVE" {
		t.Errorf("state %q, want ACTIVE", got)
	}
	if b := buttons(row); len(b) != 0 {
		t.Errorf("a viewer is offered %v", b)
	}

	// An approver who did not create it: no buttons, and a forged form
	// is refused by the engine, changing nothing.
	other := e.as("fin1")
	p = other.get("/triggers")
	if b := buttons(p.doc.Find(`[data-trigger="nightly"]`)); len(b) != 0 {
		t.Errorf("someone else is offered %v", b)
	}
	p = other.post("/triggers/nightly/pause", url.Values{"_csrf": {p.csrf()}})
	if p.status != http.StatusForbidden || !strings.Contains(p.text(`[data-testid="triggers-error"]`), "Only an admin or the trigger's creator") {
		t.Errorf("pause by someone else: %d %q", p.status, p.text(`[data-testid="triggers-error"]`))
	}

	// The creator pauses it, not without the form's token.
	rita := e.as("rita")
	p = rita.get("/triggers")
	if b := buttons(p.doc.Find(`[data-trigger="nightly"]`)); strings.Join(b, ",") != "trigger-pause,trigger-delete" {
		t.Errorf("the creator is offered %v, want Pause, Delete", b)
	}
	if q := rita.post("/triggers/nightly/pause", url.Values{}); q.status != http.StatusForbidden {
		t.Errorf("pause without the CSRF token: %d, want 403", q.status)
	}
	if got, _ := e.eng.GetCronTrigger(ctx, "nightly"); got.State != engine.CronActive {
		t.Fatalf("state %s after refused forms, want ACTIVE", got.State)
	}
	q := rita.post("/triggers/nightly/pause", url.Values{"_csrf": {p.csrf()}})
	if q.status != http.StatusSeeOther || q.header.Get("Location") != "/triggers?notice=paused" {
		t.Fatalf("pause by the creator: %d %s", q.status, q.header.Get("Location"))
	}
	p = rita.get("/triggers?notice=paused")
	row = p.doc.Find(`[data-trigger="nightly"]`)
	if got := squashed(row.Find(`[data-testid="state"]`)); got != "PAUSED" {
		t.Errorf("state after pause %q, want PAUSED", got)
	}
	if got := squashed(row.Find(`[data-testid="trigger-state-info"]`)); !strings.HasPrefix(got, "Paused by rita at ") {
		t.Errorf("state info %q, want who paused it", got)
	}
	if b := buttons(row); strings.Join(b, ",") != "trigger-resume,trigger-delete" {
		t.Errorf("a paused trigger offers %v, want Resume, Delete", b)
	}

	// A stopped trigger says why.
	err = e.st.Update(ctx, func(tx engine.Tx) error {
		cur, err := tx.GetCronTrigger(ctx, c.ID)
		if err != nil {
			return err
		}
		reason := "Its creator rita was deleted: a trigger starts executions only as an account that may start them."
		cur.State, cur.StateInfo = engine.CronStopped, &reason
		return tx.UpdateCronTrigger(ctx, cur)
	})
	if err != nil {
		t.Fatal(err)
	}
	p = viewer.get("/triggers")
	row = p.doc.Find(`[data-trigger="nightly"]`)
	if got := squashed(row.Find(`[data-testid="state"]`)); got != "STOPPED" {
		t.Errorf("state %q, want STOPPED", got)
	}
	if got := squashed(row.Find(`[data-testid="trigger-state-info"]`)); !strings.Contains(got, "Its creator rita was deleted") {
		t.Errorf("state info %q, want the reason", got)
	}

	// An admin deletes anyone's; the audit trail has the changes.
	admin := e.as("ada")
	p = admin.get("/triggers")
	if q := admin.post("/triggers/nightly/delete", url.Values{"_csrf": {p.csrf()}}); q.status != http.StatusSeeOther {
		t.Fatalf("delete by an admin: %d", q.status)
	}
	if _, err := e.eng.GetCronTrigger(ctx, "nightly"); err == nil {
		t.Errorf("the trigger is still there after delete")
	}
	recs, err := e.eng.ListAudit(ctx, engine.AuditQuery{Kind: engine.AuditAdmin, Limit: 50})
	if err != nil {
		t.Fatal(err)
	}
	var trail []string
	for _, r := range recs {
		if strings.Contains(r.Reason, "cron trigger nightly") {
			trail = append(trail, r.Actor+": "+strings.Fields(r.Reason)[0])
		}
	}
	if got, want := strings.Join(trail, "; "), "ada: delete; rita: pause; : create"; got != want {
		t.Errorf("audit trail of the trigger %q, want %q (newest first; the test created it as the server)", got, want)
	}
}
