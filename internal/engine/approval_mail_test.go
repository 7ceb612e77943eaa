package engine_test

import (
	"context"
	"errors"
	"net"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/sirocco-project/sirocco/internal/engine"
	"github.com/sirocco-project/sirocco/internal/smtptest"
	"github.com/sirocco-project/sirocco/internal/storetest"
)

// mailPeople is engine.People over a fixed list: ann and bob are in
// finance, carl too but without an address, rita asks; sec and ann are
// in security.
type mailPeople struct{}

var mailPersons = []struct {
	engine.Person
	groups []string
}{
	{engine.Person{User: "ann", Email: "ann@example.com"}, []string{"finance", "security"}},
	{engine.Person{User: "bob", Email: "bob@example.com"}, []string{"finance"}},
	{engine.Person{User: "carl"}, []string{"finance"}},
	{engine.Person{User: "rita", Email: "rita@example.com"}, []string{"finance"}},
	{engine.Person{User: "sec", Email: "sec@example.com"}, []string{"security"}},
}

func (mailPeople) Deciders(_ context.Context, approvers []string) ([]engine.Person, error) {
	var out []engine.Person
	for _, p := range mailPersons {
		if len(approvers) == 0 || slices.Contains(approvers, "user:"+p.User) ||
			slices.ContainsFunc(p.groups, func(g string) bool { return slices.Contains(approvers, "group:"+g) }) {
			out = append(out, p.Person)
		}
	}
	return out, nil
}

// brokenPeople cannot read the accounts.
type brokenPeople struct{}

func (brokenPeople) Deciders(context.Context, []string) ([]engine.Person, error) {
	return nil, errors.New("accounts store unavailable")
}

const mailWorkflow = `version: '2.0'
wf:
  tasks:
    ask:
      action: std.approval
      input:
        title: Open port 22 on db1
        description: Needed for the **migration**.
        approvers: [group:finance]
        required: 2
        escalate_after: 4h
        escalate_to: [group:security]
`

// mailEngine is an engine whose approvers get mail through srv, on
// store, whose worker does not run: the test runs the due jobs at the
// times clk says.
func mailEngine(t *testing.T, store string, clk *manualClock, srv *smtptest.Server) *engine.Engine {
	return mailEngineWith(t, store, clk, srv, mailPeople{})
}

func mailEngineWith(t *testing.T, store string, clk *manualClock, srv *smtptest.Server, people engine.People) *engine.Engine {
	t.Helper()
	var st engine.Store
	for _, s := range stores {
		if s.name == store {
			st = s.open(t)
		}
	}
	e := engine.New(engine.Config{Store: storetest.CheckLocks(t, st), Clock: clk, People: people, BaseURL: "https://sirocco.example/",
		Mail: engine.MailConfig{Server: srv.Addr, From: "sirocco@example.com", TLS: engine.MailNoTLS}})
	if _, err := e.CreateWorkflows(context.Background(), nil, mailWorkflow, "", ""); err != nil {
		t.Fatal(err)
	}
	return e
}

// inbox maps each recipient to the one message the server accepted for
// them, failing on a second.
func inbox(t *testing.T, msgs []smtptest.Message) map[string]smtptest.Message {
	t.Helper()
	out := map[string]smtptest.Message{}
	for _, m := range msgs {
		if len(m.To) != 1 {
			t.Fatalf("a message to %v: each person gets their own", m.To)
		}
		if _, dup := out[m.To[0]]; dup {
			t.Fatalf("two messages to %s", m.To[0])
		}
		out[m.To[0]] = m
	}
	return out
}

func keys(m map[string]smtptest.Message) []string {
	return slices.Sorted(func(yield func(string) bool) {
		for k := range m {
			if !yield(k) {
				return
			}
		}
	})
}

// TestApprovalMail: a requested approval mails each approver with an
// address their own message, through the job after commit (none inside
// the start's transaction); the requester and people without an address
// get none; a refused message is retried after the backoff on the
// injected clock; a decision mails the others, who no longer need to act.
func TestApprovalMail(t *testing.T) {
	t.Parallel()
	eachStore(t, func(t *testing.T, store string) {
		t.Parallel()
		ctx := context.Background()
		clk := newManualClock()
		srv := smtptest.Start(t, smtptest.Options{})
		e := mailEngine(t, store, clk, srv)
		srv.Refuse(1) // the first message is refused: a retry sends it
		ex, err := e.StartExecution(ctx, engine.StartRequest{WorkflowName: "wf", CreatedBy: "rita"})
		if err != nil {
			t.Fatal(err)
		}
		runDue(t, e)
		a := pendingAction(t, e, ex.ID, "ask")
		if a == nil {
			t.Fatal("no pending approval")
		}
		if got := len(srv.Messages()); got != 1 || srv.Refused() != 1 {
			t.Fatalf("before the backoff: %d accepted, %d refused; want 1 and 1", got, srv.Refused())
		}
		var pending *engine.Delivery
		for _, d := range deliveries(t, e, ex.ID) {
			if d.State == engine.DeliveryPending {
				pending = d
			}
		}
		if pending == nil || pending.Attempts != 1 || pending.LastError == nil || !strings.Contains(*pending.LastError, "451") ||
			!pending.NextAttemptAt.Equal(clk.Now().Add(engine.DefaultNotifyBackoff)) {
			t.Fatalf("the refused mail: %+v", pending)
		}
		clk.advance(engine.DefaultNotifyBackoff)
		runDue(t, e)
		got := inbox(t, srv.Messages())
		if want := []string{"ann@example.com", "bob@example.com"}; !slices.Equal(keys(got), want) {
			t.Fatalf("mail went to %v, want %v (not rita, who asks; not carl, who has no address)", keys(got), want)
		}
		for _, to := range []string{"ann@example.com", "bob@example.com"} {
			m := got[to]
			h := m.Header()
			body := m.Text()
			if h.Get("Subject") != "Approval requested: Open port 22 on db1" || m.From != "sirocco@example.com" || h.Get("Auto-Submitted") != "auto-generated" {
				t.Errorf("%s: from %s, headers %v", to, m.From, h)
			}
			for _, want := range []string{"Requested by: rita", "Workflow: wf (execution " + ex.ID + ")", "Still needed: 2 more approvals",
				"Needed for the **migration**.", "Open it in Sirocco: https://sirocco.example/actions/" + a.ID} {
				if !strings.Contains(body, want) {
					t.Errorf("%s: the message lacks %q:\n%s", to, want, body)
				}
			}
		}
		for _, d := range deliveries(t, e, ex.ID) {
			if d.State != engine.DeliveryDelivered || d.Event != engine.ApprovalRequested || !strings.HasPrefix(d.URL, "mailto:") {
				t.Errorf("delivery %s %s %s", d.URL, d.Event, d.State)
			}
		}
		if s := e.NotifyStats(); s.Delivered != 2 || s.Retried != 1 || s.Failed != 0 {
			t.Errorf("stats %+v, want 2 delivered, 1 retried", s)
		}

		// ann votes, bob's vote decides: every approver with an address
		// but bob hears of it (ann who voted, rita who asked).
		for _, who := range []string{"ann", "bob"} {
			c := engine.Completion{State: engine.StateSuccess, Via: engine.ViaAPI, Decider: &engine.Decider{User: who, Groups: []string{"finance"}, Role: "approver", MayDecide: true}}
			if _, _, err := e.DeliverResult(ctx, a.ID, c); err != nil {
				t.Fatal(err)
			}
		}
		before := len(srv.Messages())
		runDue(t, e)
		decided := inbox(t, srv.Messages()[before:])
		if want := []string{"ann@example.com", "rita@example.com"}; !slices.Equal(keys(decided), want) {
			t.Fatalf("the decision mailed %v, want %v (every approver but bob, who decided)", keys(decided), want)
		}
		if m := decided["ann@example.com"]; m.Header().Get("Subject") != "Approved: Open port 22 on db1" ||
			!strings.Contains(m.Text(), "Approved by bob (api)") || !strings.Contains(m.Text(), "Nothing more is needed from you.") {
			t.Errorf("the decision's message:\n%s", m.Text())
		}
	})
}

// TestApprovalMailLinksAndLadder: each person's message carries their own
// decision link and nobody else's; a reminder skips who voted; an
// escalation mails escalate_to but who voted; the retried message keeps
// its Message-ID.
func TestApprovalMailLinksAndLadder(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	clk := newManualClock()
	srv := smtptest.Start(t, smtptest.Options{})
	e := mailEngine(t, "sqlite", clk, srv)
	ex, err := e.StartExecution(ctx, engine.StartRequest{WorkflowName: "wf", CreatedBy: "rita"})
	if err != nil {
		t.Fatal(err)
	}
	runDue(t, e)
	a := pendingAction(t, e, ex.ID, "ask")
	inbox(t, srv.Messages()) // approval.requested: ann and bob
	links := map[string]string{"ann": "https://sirocco.example/links/ANN-TOKEN", "bob": "https://sirocco.example/links/BOB-TOKEN",
		"sec": "https://sirocco.example/links/SEC-TOKEN"}
	c := engine.Completion{State: engine.StateSuccess, Via: engine.ViaAPI, Decider: &engine.Decider{User: "ann", Groups: []string{"finance"}, Role: "approver", MayDecide: true}}
	if _, _, err := e.DeliverResult(ctx, a.ID, c); err != nil {
		t.Fatal(err)
	}

	before := len(srv.Messages())
	if err := engine.MailApprovalEvent(ctx, e, a.ID, engine.ApprovalReminded, links); err != nil {
		t.Fatal(err)
	}
	runDue(t, e)
	reminded := inbox(t, srv.Messages()[before:])
	if want := []string{"bob@example.com"}; !slices.Equal(keys(reminded), want) {
		t.Fatalf("the reminder went to %v, want %v (ann voted)", keys(reminded), want)
	}
	m := reminded["bob@example.com"]
	if !strings.Contains(m.Text(), "BOB-TOKEN") || strings.Contains(m.Text(), "ANN-TOKEN") || strings.Contains(m.Text(), "SEC-TOKEN") ||
		!strings.Contains(m.Text(), "Still needed: 1 more approval") || m.Header().Get("Subject") != "Reminder: approval requested: Open port 22 on db1" {
		t.Errorf("bob's reminder:\n%s", m.Text())
	}

	before = len(srv.Messages())
	srv.Refuse(1)
	if err := engine.MailApprovalEvent(ctx, e, a.ID, engine.ApprovalEscalated, links); err != nil {
		t.Fatal(err)
	}
	runDue(t, e)
	clk.advance(time.Hour)
	runDue(t, e)
	escalated := inbox(t, srv.Messages()[before:])
	if want := []string{"sec@example.com"}; !slices.Equal(keys(escalated), want) {
		t.Fatalf("the escalation went to %v, want %v (ann, in security too, voted)", keys(escalated), want)
	}
	m = escalated["sec@example.com"]
	if !strings.Contains(m.Text(), "SEC-TOKEN") || strings.Contains(m.Text(), "BOB-TOKEN") || m.Header().Get("Subject") != "Approval escalated to you: Open port 22 on db1" {
		t.Errorf("sec's message:\n%s", m.Text())
	}
	var id string
	for _, d := range deliveries(t, e, ex.ID) {
		if d.Event == engine.ApprovalEscalated {
			id = d.ID
			if d.Attempts != 2 || d.State != engine.DeliveryDelivered {
				t.Errorf("the escalation's delivery: %d attempts, %s", d.Attempts, d.State)
			}
		}
	}
	if got := m.Header().Get("Message-Id"); got != "<"+id+"@example.com>" {
		t.Errorf("Message-ID %q, want the delivery's id %s at every attempt", got, id)
	}
}

// TestApprovalMailNeverBlocks: with the SMTP server down, the approval
// starts and is decided all the same; its mail waits as pending
// deliveries with the error. When the accounts cannot be read, the
// approval starts without mail; without -smtp-* nothing is recorded.
func TestApprovalMailNeverBlocks(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	clk := newManualClock()
	e := mailEngine(t, "sqlite", clk, &smtptest.Server{Addr: closedAddr(t)})
	ex, err := e.StartExecution(ctx, engine.StartRequest{WorkflowName: "wf", CreatedBy: "rita"})
	if err != nil {
		t.Fatal(err)
	}
	runDue(t, e)
	a := pendingAction(t, e, ex.ID, "ask")
	if a == nil {
		t.Fatal("the approval did not start")
	}
	for _, d := range deliveries(t, e, ex.ID) {
		if d.State != engine.DeliveryPending || d.LastError == nil || !strings.Contains(*d.LastError, "dial") {
			t.Errorf("delivery to %s: %s %v", d.URL, d.State, d.LastError)
		}
	}
	c := engine.Completion{State: engine.StateError, Via: engine.ViaAPI, Comment: "no", Reason: "no",
		Decider: &engine.Decider{User: "ann", Groups: []string{"finance"}, Role: "approver", MayDecide: true}}
	if got, _, err := e.DeliverResult(ctx, a.ID, c); err != nil || got.State != engine.StateError {
		t.Fatalf("decide while the SMTP server is down: %v %v", got, err)
	}

	srv := smtptest.Start(t, smtptest.Options{})
	broken := mailEngineWith(t, "sqlite", clk, srv, brokenPeople{})
	ex1, err := broken.StartExecution(ctx, engine.StartRequest{WorkflowName: "wf", CreatedBy: "rita"})
	if err != nil {
		t.Fatal(err)
	}
	runDue(t, broken)
	if pendingAction(t, broken, ex1.ID, "ask") == nil {
		t.Fatal("the approval did not start while the accounts could not be read")
	}
	if d := deliveries(t, broken, ex1.ID); len(d) != 0 || len(srv.Messages()) != 0 {
		t.Errorf("with no recipients: %d deliveries, %d messages", len(d), len(srv.Messages()))
	}

	off := newEngine(t, engine.Config{People: mailPeople{}})
	if _, err := off.CreateWorkflows(ctx, nil, mailWorkflow, "", ""); err != nil {
		t.Fatal(err)
	}
	ex2, err := off.StartExecution(ctx, engine.StartRequest{WorkflowName: "wf", CreatedBy: "rita"})
	if err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the approval", func() (bool, string) { return pendingAction(t, off, ex2.ID, "ask") != nil, "not yet" })
	if d := deliveries(t, off, ex2.ID); len(d) != 0 {
		t.Errorf("without -smtp-*: %d deliveries", len(d))
	}
}

// closedAddr is a loopback address nobody listens on.
func closedAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	return addr
}
