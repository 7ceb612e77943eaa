package engine_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/sirocco-project/sirocco/internal/engine"
	"github.com/sirocco-project/sirocco/internal/fault"
)

// fakePeople is engine.People over the approval tests' people: each
// approvers entry names some of them.
type fakePeople map[string][]string

func (f fakePeople) Deciders(_ context.Context, approvers []string) ([]engine.Person, error) {
	var names []string
	for _, a := range approvers {
		names = append(names, f[a]...)
	}
	if len(approvers) == 0 {
		names = f["*"]
	}
	slices.Sort(names)
	var out []engine.Person
	for _, n := range slices.Compact(names) {
		out = append(out, engine.Person{User: n})
	}
	return out, nil
}

var linkPeople = fakePeople{
	"group:finance": {"ann", "bob", "rita"}, // rita asks: she gets none
	"user:olga":     {"olga"},
	"*":             {"ann", "bob", "olga", "rita", "root"},
}

var linkKey = []byte("0123456789abcdef0123456789abcdef")

// linkFlow starts, as rita, a workflow whose task asks std.approval with
// input (YAML, indented for the task), on an engine with decision links
// and clock, and returns the engine, the approval, and its links' tokens
// by person.
func linkFlow(t *testing.T, store, input string, clock engine.Clock, ttl time.Duration) (*engine.Engine, *engine.ActionExecution, map[string]string) {
	t.Helper()
	ctx := context.Background()
	e := newEngineOn(t, store, engine.Config{Clock: clock, People: linkPeople, Links: engine.LinkConfig{Key: linkKey, TTL: ttl}})
	def := "version: '2.0'\nwf:\n  tasks:\n    ask:\n      action: std.approval\n      input:\n" + input
	if _, err := e.CreateWorkflows(ctx, nil, def, "", ""); err != nil {
		t.Fatalf("create workflow: %v\n%s", err, def)
	}
	ex, err := e.StartExecution(ctx, engine.StartRequest{WorkflowName: "wf", CreatedBy: "rita"})
	if err != nil {
		t.Fatal(err)
	}
	settle(t, e, ex.ID, "ask")
	a := pendingAction(t, e, ex.ID, "ask")
	return e, a, tokens(t, e, a.ID)
}

// tokens returns the tokens of an approval's links by person.
func tokens(t *testing.T, e *engine.Engine, actionID string) map[string]string {
	t.Helper()
	links, err := e.DecisionLinks(context.Background(), actionID)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	for _, l := range links {
		if _, dup := out[l.User]; dup {
			t.Errorf("%s holds two links to %s", l.User, actionID)
		}
		out[l.User] = e.LinkToken(l)
	}
	return out
}

// byLink is a decision of who through token.
func byLink(who string, state engine.State, output any, comment string) engine.Completion {
	s := step{who: who, state: state, output: output, comment: comment}
	c := s.completion()
	if c.Decider != nil {
		c.Decider.Channel = engine.ViaLink
	}
	return c
}

// TestDecisionLinks: an approval's links reach each approver once (not
// who asked); opening a link any number of times changes nothing (a
// scanner's GET); a decision through a link is its person's vote, channel
// link, and uses it up: a replay, another person, a revoked and an
// expired link are refused, recorded in the audit trail, and change
// nothing; a vote the schema refuses leaves the link usable.
func TestDecisionLinks(t *testing.T) {
	t.Parallel()
	eachStore(t, func(t *testing.T, store string) {
		t.Parallel()
		ctx := context.Background()
		clock := &manualClock{now: time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)}
		e, a, tok := linkFlow(t, store, `        title: A VM
        approvers: [group:finance]
        required: 2
`+vmSchema, clock, 24*time.Hour)
		if got := mapKeys(tok); !slices.Equal(got, []string{"ann", "bob"}) {
			t.Fatalf("links issued to %v; want ann and bob (rita asked)", got)
		}
		links, _ := e.DecisionLinks(ctx, a.ID)
		for _, l := range links {
			if l.Event != engine.ApprovalRequested || !l.ExpiresAt.Equal(clock.Now().Add(24*time.Hour)) {
				t.Errorf("link of %s: issued with %s, expires %v; want approval.requested, in 24h", l.User, l.Event, l.ExpiresAt)
			}
			if url := e.LinkURL(l); url != "http://sirocco.test/links/"+tok[l.User] {
				t.Errorf("link URL %s", url)
			}
		}

		// A prefetch: opened again and again, nothing changes.
		for range 3 {
			v, err := e.OpenLink(ctx, tok["ann"])
			if err != nil || v.Link.User != "ann" || v.Status.Action.ID != a.ID || !v.RequireLogin {
				t.Fatalf("OpenLink(ann's): %+v, %v", v, err)
			}
		}
		if st, _ := e.ApprovalStatus(ctx, a.ID); len(st.Votes) != 0 || st.Action.State != engine.StateRunning {
			t.Fatalf("after opening a link: %d votes, %s; want none, RUNNING", len(st.Votes), st.Action.State)
		}
		if l, _ := e.GetDecisionLink(ctx, links[0].ID); l.UsedAt != nil || l.Version != 0 {
			t.Fatalf("opening a link wrote it: %+v", l)
		}

		answer := map[string]any{"cores": 4, "zone": "eu-west"}
		refusals := []struct {
			name  string
			token string
			c     engine.Completion
			want  error
		}{
			{"another person's", tok["ann"], byLink("bob", engine.StateSuccess, answer, ""), engine.ErrLinkPerson},
			{"no person", tok["ann"], byLink("", engine.StateSuccess, answer, ""), engine.ErrLinkPerson},
			{"a changed signature", tok["ann"][:len(tok["ann"])-2] + "AA", byLink("ann", engine.StateSuccess, answer, ""), engine.ErrLinkInvalid},
			{"another id", strings.Replace(tok["ann"], tok["ann"][:36], strings.Split(tok["bob"], ".")[0], 1), byLink("ann", engine.StateSuccess, answer, ""), engine.ErrLinkInvalid},
			{"no link at all", "not-a-token", byLink("ann", engine.StateSuccess, answer, ""), engine.ErrLinkInvalid},
		}
		for _, r := range refusals {
			if _, err := e.DecideByLink(ctx, r.token, r.c); !errors.Is(err, r.want) {
				t.Errorf("%s: %v; want %v", r.name, err, r.want)
			}
		}
		// A vote the schema refuses leaves the link as it was.
		if _, err := e.DecideByLink(ctx, tok["ann"], byLink("ann", engine.StateSuccess, map[string]any{"cores": 99, "zone": "eu-west"}, "")); fault.Code(err) != fault.EINVALID {
			t.Fatalf("an answer the schema refuses: %v; want EINVALID", err)
		}
		// ann approves through her link: her vote, channel link.
		got, err := e.DecideByLink(ctx, tok["ann"], byLink("ann", engine.StateSuccess, answer, "fine"))
		if err != nil || got.State != engine.StateRunning {
			t.Fatalf("ann's link: %v, %v; want her vote counted, still RUNNING", got, err)
		}
		st, _ := e.ApprovalStatus(ctx, a.ID)
		if len(st.Votes) != 1 || st.Votes[0].User != "ann" || st.Votes[0].Channel != engine.ViaLink {
			t.Fatalf("votes after ann's link: %+v; want ann's, via link", st.Votes)
		}
		// A replay, the same or another decision, is refused.
		for _, c := range []engine.Completion{byLink("ann", engine.StateSuccess, answer, "fine"), byLink("ann", engine.StateError, noOutput, "no")} {
			if _, err := e.DecideByLink(ctx, tok["ann"], c); !errors.Is(err, engine.ErrLinkUsed) || fault.Code(err) != fault.ECONFLICT {
				t.Errorf("ann's link again (%s): %v; want ErrLinkUsed", c.State, err)
			}
		}
		if _, err := e.OpenLink(ctx, tok["ann"]); !errors.Is(err, engine.ErrLinkUsed) {
			t.Errorf("opening a used link: %v; want ErrLinkUsed", err)
		}

		// Revoked: only an admin or its person may.
		bobLink := linkOf(t, e, a.ID, "bob")
		if _, err := e.RevokeLink(ctx, bobLink.ID, people["ann"]); fault.Code(err) != fault.EFORBIDDEN {
			t.Errorf("ann revokes bob's link: %v; want EFORBIDDEN", err)
		}
		if l, err := e.RevokeLink(ctx, bobLink.ID, people["root"]); err != nil || l.RevokedAt == nil || l.RevokedBy != "root" {
			t.Fatalf("root revokes bob's link: %+v, %v", l, err)
		}
		if _, err := e.DecideByLink(ctx, tok["bob"], byLink("bob", engine.StateSuccess, noOutput, "")); !errors.Is(err, engine.ErrLinkRevoked) {
			t.Errorf("a revoked link: %v; want ErrLinkRevoked", err)
		}
		if _, err := e.RevokeLink(ctx, linkOf(t, e, a.ID, "ann").ID, people["ann"]); fault.Code(err) != fault.ECONFLICT {
			t.Errorf("revoking a used link: %v; want ECONFLICT", err)
		}
		if st, _ := e.ApprovalStatus(ctx, a.ID); len(st.Votes) != 1 || st.Action.State != engine.StateRunning {
			t.Errorf("after the refusals: %d votes, %s; want ann's alone, RUNNING", len(st.Votes), st.Action.State)
		}
		// Every refused use by a person is in the audit trail.
		recs, _ := e.AuditRecords(ctx, a.ID)
		var refused []string
		for _, r := range recs {
			if r.Channel == engine.ViaLink && r.Outcome == engine.AuditRefused {
				refused = append(refused, r.Actor)
			}
		}
		if want := []string{"bob", "", "ann", "ann", "ann", "bob"}; !slices.Equal(refused, want) {
			t.Errorf("refused link decisions in the audit trail by %q; want %q", refused, want)
		}
	})
}

// TestDecisionLinkExpiry: a link expires after the TTL, or at the
// approval's timeout when that comes first, and then decides nothing.
func TestDecisionLinkExpiry(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	start := time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)
	clock := &manualClock{now: start}
	e, a, tok := linkFlow(t, "sqlite", `        title: Deploy
        approvers: [user:olga]
        timeout: 2h
`, clock, 0)
	l := linkOf(t, e, a.ID, "olga")
	if want := a.CreatedAt.Add(2 * time.Hour).Truncate(time.Second); !l.ExpiresAt.Equal(want) {
		t.Errorf("expires %v; want %v (the approval's timeout, before the default 7 days)", l.ExpiresAt, want)
	}
	clock.advance(2 * time.Hour)
	if _, err := e.OpenLink(ctx, tok["olga"]); !errors.Is(err, engine.ErrLinkExpired) {
		t.Errorf("opening an expired link: %v; want ErrLinkExpired", err)
	}
	if _, err := e.DecideByLink(ctx, tok["olga"], byLink("olga", engine.StateSuccess, noOutput, "")); !errors.Is(err, engine.ErrLinkExpired) {
		t.Errorf("an expired link: %v; want ErrLinkExpired", err)
	}
	if got := mustAction(t, e, a.ID); got.State != engine.StateRunning {
		t.Errorf("after the expired link: %s; want RUNNING", got.State)
	}

	// Without a timeout: the default TTL, 7 days.
	e2, a2, _ := linkFlow(t, "sqlite", "        title: Deploy\n        approvers: [user:olga]\n", clock, 0)
	if l := linkOf(t, e2, a2.ID, "olga"); !l.ExpiresAt.Equal(clock.Now().Add(engine.DefaultLinkTTL)) {
		t.Errorf("expires %v; want 7 days after %v", l.ExpiresAt, clock.Now())
	}
}

// TestDecisionLinkKey: a link signed with another key (another server's)
// is no link here; without a key no links are issued.
func TestDecisionLinkKey(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	clock := &manualClock{now: time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)}
	e, a, _ := linkFlow(t, "sqlite", "        title: Deploy\n        approvers: [user:olga]\n        require_login: false\n", clock, 0)
	l := linkOf(t, e, a.ID, "olga")
	other := engine.New(engine.Config{Store: nil, Links: engine.LinkConfig{Key: []byte("another key, another server......")}})
	if _, err := e.OpenLink(ctx, other.LinkToken(l)); !errors.Is(err, engine.ErrLinkInvalid) {
		t.Errorf("a token signed with another key: %v; want ErrLinkInvalid", err)
	}
	if v, err := e.OpenLink(ctx, e.LinkToken(l)); err != nil || v.RequireLogin {
		t.Errorf("require_login: false: %+v, %v; want a link that needs no login", v, err)
	}

	none := newEngine(t, engine.Config{People: linkPeople})
	if _, err := none.CreateWorkflows(ctx, nil, "version: '2.0'\nwf:\n  tasks:\n    ask:\n      action: std.approval\n      input:\n        title: x\n", "", ""); err != nil {
		t.Fatal(err)
	}
	ex, err := none.StartExecution(ctx, engine.StartRequest{WorkflowName: "wf", CreatedBy: "rita"})
	if err != nil {
		t.Fatal(err)
	}
	settle(t, none, ex.ID, "ask")
	if links, err := none.DecisionLinks(ctx, pendingAction(t, none, ex.ID, "ask").ID); err != nil || len(links) != 0 {
		t.Errorf("links without a key: %v, %v; want none", links, err)
	}
}

func linkOf(t *testing.T, e *engine.Engine, actionID, user string) *engine.DecisionLink {
	t.Helper()
	links, err := e.DecisionLinks(context.Background(), actionID)
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range links {
		if l.User == user {
			return l
		}
	}
	t.Fatalf("%s has no link to %s", user, actionID)
	return nil
}

// mapKeys returns m's keys, sorted.
func mapKeys(m map[string]string) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

// TestDecisionLinksLater: a reminder carries each approver's live link
// again and issues one to who has none yet (joined the group since),
// never a second one, none to who voted and none in place of a revoked
// link; an escalation issues links to the escalate_to set, whom later
// reminders then reach.
func TestDecisionLinksLater(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	clock := &manualClock{now: time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)}
	group := fakePeople{"group:finance": {"ann", "bob", "rita"}, "group:security": {"sec"}}
	e := newEngine(t, engine.Config{Clock: clock, People: group, Links: engine.LinkConfig{Key: linkKey}})
	def := "version: '2.0'\nwf:\n  tasks:\n    ask:\n      action: std.approval\n      input:\n        title: Deploy\n        approvers: [group:finance]\n        required: 3\n        escalate_after: 1h\n        escalate_to: [group:security]\n"
	if _, err := e.CreateWorkflows(ctx, nil, def, "", ""); err != nil {
		t.Fatal(err)
	}
	ex, err := e.StartExecution(ctx, engine.StartRequest{WorkflowName: "wf", CreatedBy: "rita"})
	if err != nil {
		t.Fatal(err)
	}
	settle(t, e, ex.ID, "ask")
	a := pendingAction(t, e, ex.ID, "ask")
	first := tokens(t, e, a.ID)
	if got := mapKeys(first); !slices.Equal(got, []string{"ann", "bob"}) {
		t.Fatalf("links at the request: %v", got)
	}
	// ann votes (through the dashboard); bob's link is revoked; carl
	// joins finance.
	if _, err := e.UpdateActionExecution(ctx, a.ID, step{who: "ann", state: engine.StateSuccess, output: noOutput}.completion()); err != nil {
		t.Fatal(err)
	}
	if _, err := e.RevokeLink(ctx, linkOf(t, e, a.ID, "bob").ID, people["root"]); err != nil {
		t.Fatal(err)
	}
	group["group:finance"] = append(group["group:finance"], "carl")
	clock.advance(time.Minute)
	got, err := engine.IssueLinks(ctx, e, a.ID, engine.ApprovalReminded)
	if err != nil {
		t.Fatal(err)
	}
	if keys := mapKeys(got); !slices.Equal(keys, []string{"carl"}) {
		t.Errorf("a reminder carries links for %v; want carl's alone (ann voted, bob's was revoked)", keys)
	}
	// A second reminder carries carl's link again, the same one.
	again, _ := engine.IssueLinks(ctx, e, a.ID, engine.ApprovalReminded)
	if again["carl"] != got["carl"] || len(again) != 1 {
		t.Errorf("the second reminder: %v; want carl's same link %s", again, got["carl"])
	}
	if links, _ := e.DecisionLinks(ctx, a.ID); len(links) != 3 {
		t.Errorf("%d links after the reminders; want 3 (ann, bob, carl): one per person", len(links))
	}
	// Escalated: sec gets one; the reminders then go to security.
	esc, _ := engine.IssueLinks(ctx, e, a.ID, engine.ApprovalEscalated)
	if keys := mapKeys(esc); !slices.Equal(keys, []string{"sec"}) {
		t.Errorf("the escalation carries links for %v; want sec's", keys)
	}
	if l := linkOf(t, e, a.ID, "sec"); l.Event != engine.ApprovalEscalated {
		t.Errorf("sec's link was issued with %s", l.Event)
	}
	after, _ := engine.IssueLinks(ctx, e, a.ID, engine.ApprovalReminded)
	if keys := mapKeys(after); !slices.Equal(keys, []string{"sec"}) || after["sec"] != esc["sec"] {
		t.Errorf("a reminder after the escalation carries %v; want sec's link again", after)
	}
	// Decided: no links.
	if dec, _ := engine.IssueLinks(ctx, e, a.ID, engine.ApprovalDecided); dec != nil {
		t.Errorf("approval.decided carries links: %v", dec)
	}
}
