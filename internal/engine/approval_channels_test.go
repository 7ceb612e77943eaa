package engine_test

import (
	"context"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/sirocco-project/sirocco/internal/engine"
	"github.com/sirocco-project/sirocco/internal/smtptest"
	"github.com/sirocco-project/sirocco/internal/storetest"
)

// TestApprovalChannelsTogether: the ladder, the decision links and the
// mail work as one. At request each finance approver is mailed their own
// link; when escalate_after passes (on the injected clock), the security
// approver is mailed a link of their own, issued at escalation, and that
// link decides — through the same vote path, channel link — under the
// escalated rules; the decision then mails the others, with no link.
func TestApprovalChannelsTogether(t *testing.T) {
	t.Parallel()
	eachStore(t, func(t *testing.T, store string) {
		t.Parallel()
		ctx := context.Background()
		clk := newManualClock()
		srv := smtptest.Start(t, smtptest.Options{})
		var st engine.Store
		for _, s := range stores {
			if s.name == store {
				st = s.open(t)
			}
		}
		e := engine.New(engine.Config{Store: storetest.CheckLocks(t, st), Clock: clk, People: mailPeople{}, BaseURL: "https://sirocco.example",
			Mail:  engine.MailConfig{Server: srv.Addr, From: "sirocco@example.com", TLS: engine.MailNoTLS},
			Links: engine.LinkConfig{Key: []byte("a key for the links of this test, long enough")}})
		if _, err := e.CreateWorkflows(ctx, nil, mailWorkflow, "", ""); err != nil {
			t.Fatal(err)
		}
		ex, err := e.StartExecution(ctx, engine.StartRequest{WorkflowName: "wf", CreatedBy: "rita"})
		if err != nil {
			t.Fatal(err)
		}
		runDue(t, e)
		a := pendingAction(t, e, ex.ID, "ask")
		linkRE := regexp.MustCompile(`https://sirocco\.example/links/[A-Za-z0-9._~-]+`)
		requested := inbox(t, srv.Messages())
		if got := strings.Join(keys(requested), " "); got != "ann@example.com bob@example.com" {
			t.Fatalf("approval.requested mailed %s, want ann and bob (rita asked; carl has no address)", got)
		}
		annLink := linkRE.FindString(requested["ann@example.com"].Text())
		if annLink == "" || annLink == linkRE.FindString(requested["bob@example.com"].Text()) {
			t.Fatalf("ann's mail carries link %q; each approver needs their own", annLink)
		}

		// Escalation: four hours on, the decision passes to security.
		before := len(srv.Messages())
		clk.advance(4 * time.Hour)
		runDue(t, e)
		runDue(t, e) // the mail of the escalation, sent after its commit
		escalated := inbox(t, srv.Messages()[before:])
		sec, ok := escalated["sec@example.com"]
		if !ok || sec.Header().Get("Subject") != "Approval escalated to you: Open port 22 on db1" {
			t.Fatalf("after escalate_after the mail went to %v; want sec's escalation", keys(escalated))
		}
		secLink := linkRE.FindString(sec.Text())
		if secLink == "" || secLink == annLink {
			t.Fatalf("sec's escalation mail carries link %q; want a link of sec's own", secLink)
		}
		token := secLink[strings.LastIndex(secLink, "/")+1:]
		view, err := e.OpenLink(ctx, token)
		if err != nil || view.Link.User != "sec" || view.Link.Event != engine.ApprovalEscalated {
			t.Fatalf("sec's link opens as %+v, %v; want sec's, issued at escalation", view, err)
		}

		// A finance approver's vote no longer counts; sec's link decides.
		annVote := engine.Completion{State: engine.StateSuccess, Via: engine.ViaAPI,
			Decider: &engine.Decider{User: "ann", Groups: []string{"finance"}, Role: "approver", MayDecide: true}}
		if _, _, err := e.DeliverResult(ctx, a.ID, annVote); err != nil {
			t.Logf("ann's vote after the escalation: %v", err)
		}
		if got, _ := e.GetActionExecution(ctx, a.ID); got.State != engine.StateRunning {
			t.Fatalf("ann (finance) decided an approval escalated to security: %s", got.State)
		}
		before = len(srv.Messages())
		secVote := engine.Completion{State: engine.StateSuccess, Comment: "fine",
			Decider: &engine.Decider{User: "sec", Groups: []string{"security"}, Role: "approver", MayDecide: true}}
		if _, err := e.DecideByLink(ctx, token, secVote); err != nil {
			t.Fatalf("sec's link: %v", err)
		}
		got, err := e.GetActionExecution(ctx, a.ID)
		if err != nil || got.State != engine.StateSuccess || got.CompletedVia == nil || *got.CompletedVia != "link" {
			t.Fatalf("after sec's link: %+v, %v; want SUCCESS via link", got, err)
		}
		runDue(t, e)
		decided := inbox(t, srv.Messages()[before:])
		for addr, m := range decided {
			if addr == "sec@example.com" || linkRE.MatchString(m.Text()) {
				t.Errorf("approval.decided mail to %s (with a link: %v): the decider gets none, nobody a link", addr, linkRE.MatchString(m.Text()))
			}
		}
		if len(decided) == 0 {
			t.Error("approval.decided mailed nobody; the others should learn nothing more is needed")
		}
	})
}
