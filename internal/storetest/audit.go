package storetest

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sirocco-project/sirocco/internal/audit"
	"github.com/sirocco-project/sirocco/internal/auth"
	"github.com/sirocco-project/sirocco/internal/engine"
)

// verifyTrail reads the whole trail back and checks it as audit verify
// does (without a key): numbered from 1 without gaps, each record linked
// to the one before and hashing to its hash, ending at the head. It
// returns the records, oldest first.
func verifyTrail(t *testing.T, s engine.Store) []*engine.AuditRecord {
	t.Helper()
	ctx := context.Background()
	recs, err := s.AuditRecords(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	h, err := s.AuditHead(ctx)
	if err != nil {
		t.Fatal(err)
	}
	head := audit.Head{Seq: h.Seq}
	if head.Hash, err = audit.ParseHash(h.Hash); err != nil {
		t.Fatalf("the head's hash %q: %v", h.Hash, err)
	}
	chain := make([]audit.Record, len(recs))
	for i, r := range recs {
		rec, err := r.Record()
		if r.Prev == "" || r.Hash == "" {
			err = errors.Join(err, errors.New("not sealed"))
		}
		chain[i] = *rec
		if err != nil {
			t.Fatalf("record %d: %v", r.Seq, err)
		}
	}
	if err := audit.Verify(chain, nil, &head); err != nil {
		t.Fatalf("the trail does not verify: %v", err)
	}
	return recs
}

// testAuditChain: appends from many concurrent updates, group-committed
// together, some of which fail after appending (so that their batch runs
// again, a savepoint each), form one gapless chain of exactly the
// committed records, which verifies as read back (times to the
// microsecond, groups sorted); a failed update leaves the chain as it was.
func testAuditChain(t *testing.T, h Harness) {
	s, _ := h.Open(t)
	ctx := context.Background()
	if head, err := s.AuditHead(ctx); err != nil || head.Seq != 0 || head.Hash != strings.Repeat("0", 64) || head.Anchored {
		t.Errorf("the head of an empty trail: %+v, %v; want seq 0, the zero hash, no anchor", head, err)
	}
	const n = 60
	errUndo := errors.New("undo")
	start := make(chan struct{})
	var wg sync.WaitGroup
	results := make([]error, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			results[i] = s.Update(ctx, func(tx engine.Tx) error {
				// Nanoseconds the store does not keep: it seals the time it keeps.
				r := &engine.AuditRecord{At: t0.Add(time.Duration(i)*time.Second + 1234567), Actor: fmt.Sprintf("user%02d", i), Channel: "api",
					Kind: engine.AuditDecision, ActionExecutionID: "a", State: engine.StateSuccess, Outcome: engine.AuditAccepted,
					Groups: []string{"b", "a"}}
				if err := tx.AppendAudit(ctx, r); err != nil {
					return err
				}
				if i%4 == 3 {
					return errUndo // after writing: the batch is rolled back and run again
				}
				return nil
			})
		}()
	}
	close(start)
	wg.Wait()
	committed := map[string]bool{}
	for i, err := range results {
		switch {
		case i%4 == 3 && !errors.Is(err, errUndo):
			t.Errorf("update %d: %v, want its own error", i, err)
		case i%4 != 3 && err != nil:
			t.Errorf("update %d: %v", i, err)
		case err == nil:
			committed[fmt.Sprintf("user%02d", i)] = true
		}
	}
	recs := verifyTrail(t, s)
	if len(recs) != len(committed) {
		t.Fatalf("%d records, want the %d committed", len(recs), len(committed))
	}
	for _, r := range recs {
		if !committed[r.Actor] {
			t.Errorf("record %d of %s, whose update failed", r.Seq, r.Actor)
		}
		delete(committed, r.Actor)
		if strings.Join(r.Groups, ",") != "a,b" {
			t.Errorf("record %d: groups %v, want them sorted", r.Seq, r.Groups)
		}
	}
	// One more failed update, alone: the head stays where it was.
	before, _ := s.AuditHead(ctx)
	err := s.Update(ctx, func(tx engine.Tx) error {
		if err := tx.AppendAudit(ctx, &engine.AuditRecord{At: t0, Actor: "ghost", Channel: "api", Kind: engine.AuditAdmin, Outcome: engine.AuditAccepted}); err != nil {
			return err
		}
		return errUndo
	})
	if !errors.Is(err, errUndo) {
		t.Fatalf("the failing update: %v", err)
	}
	if after, _ := s.AuditHead(ctx); after != before {
		t.Errorf("a failed update moved the head from %+v to %+v", before, after)
	}
	update(t, s, func(ctx context.Context, tx engine.Tx) error {
		return tx.AppendAudit(ctx, &engine.AuditRecord{At: t0, Actor: "next", Channel: "api", Kind: engine.AuditAdmin, Outcome: engine.AuditAccepted})
	})
	if recs := verifyTrail(t, s); recs[len(recs)-1].Seq != before.Seq+1 {
		t.Errorf("the record after a failed update is %d, want %d", recs[len(recs)-1].Seq, before.Seq+1)
	}
	// A record the chain cannot hold (an unknown kind) is refused, and
	// its update with it.
	err = s.Update(ctx, func(tx engine.Tx) error {
		return tx.AppendAudit(ctx, &engine.AuditRecord{At: t0, Channel: "api", Kind: "vote", Outcome: engine.AuditAccepted})
	})
	if err == nil {
		t.Error("a record of an unknown kind was appended")
	}
}

// testListAudit: the trail is paged newest first, by seq, and filtered by
// action, actor, outcome, kind and a time range (since inclusive, until
// exclusive); every field is read back.
func testListAudit(t *testing.T, h Harness) {
	s, _ := h.Open(t)
	ctx := context.Background()
	kinds := []string{engine.AuditDecision, engine.AuditOverride, engine.AuditTimeout, engine.AuditAdmin}
	var all []*engine.AuditRecord
	update(t, s, func(ctx context.Context, tx engine.Tx) error {
		for i := range 12 {
			r := &engine.AuditRecord{At: t0.Add(time.Duration(i) * time.Hour), Actor: []string{"ann", "bob", "cid"}[i%3], Channel: "dashboard",
				Addr: "192.0.2.1", Kind: kinds[i%4], ActionExecutionID: fmt.Sprintf("a%d", i%2), State: engine.StateSuccess,
				Outcome: []string{engine.AuditAccepted, engine.AuditRefused}[i%2], Reason: fmt.Sprintf("r%d", i), Comment: "c",
				AnswerJSON: `{"n":1}`, Groups: []string{"g"}, ShownDigest: strings.Repeat("0f", 32)}
			if err := tx.AppendAudit(ctx, r); err != nil {
				return err
			}
			all = append(all, r)
		}
		return nil
	})
	seqs := func(recs []*engine.AuditRecord) string {
		var b strings.Builder
		for _, r := range recs {
			fmt.Fprintf(&b, "%d ", r.Seq)
		}
		return strings.TrimSpace(b.String())
	}
	for _, tc := range []struct {
		name string
		q    engine.AuditQuery
		want string
	}{
		{"all", engine.AuditQuery{}, "12 11 10 9 8 7 6 5 4 3 2 1"},
		{"a page", engine.AuditQuery{Limit: 5}, "12 11 10 9 8"},
		{"the next page", engine.AuditQuery{Limit: 5, Before: 8}, "7 6 5 4 3"},
		{"the last page", engine.AuditQuery{Limit: 5, Before: 3}, "2 1"},
		{"action", engine.AuditQuery{ActionExecutionID: "a1"}, "12 10 8 6 4 2"},
		{"actor", engine.AuditQuery{Actor: "bob"}, "11 8 5 2"},
		{"outcome", engine.AuditQuery{Outcome: engine.AuditAccepted, Limit: 3}, "11 9 7"},
		{"kind", engine.AuditQuery{Kind: engine.AuditAdmin}, "12 8 4"},
		{"since", engine.AuditQuery{Since: t0.Add(9 * time.Hour)}, "12 11 10"},
		{"until", engine.AuditQuery{Until: t0.Add(2 * time.Hour)}, "2 1"},
		{"range, actor, page", engine.AuditQuery{Since: t0.Add(time.Hour), Until: t0.Add(11 * time.Hour), Actor: "ann", Before: 10}, "7 4"},
		{"nothing", engine.AuditQuery{Actor: "nobody"}, ""},
	} {
		got, err := s.ListAudit(ctx, tc.q)
		if err != nil || seqs(got) != tc.want {
			t.Errorf("%s: %s, %v; want %s", tc.name, seqs(got), err, tc.want)
		}
	}
	got, err := s.ListAudit(ctx, engine.AuditQuery{Limit: 1})
	if err != nil || len(got) != 1 || fmt.Sprintf("%+v", got[0]) != fmt.Sprintf("%+v", all[11]) {
		t.Errorf("the newest record read back:\n%+v\nwant\n%+v", got, all[11])
	}
	if _, err := s.ListAudit(ctx, engine.AuditQuery{Limit: engine.MaxAuditPage + 1}); err == nil {
		t.Errorf("a page of %d was served", engine.MaxAuditPage+1)
	}
	if head, err := s.AuditHead(ctx); err != nil || head.Seq != 12 || head.Hash != all[11].Hash {
		t.Errorf("AuditHead = %+v, %v; want 12 and the last record's hash", head, err)
	}
}

// testAuditOutlivesItsSubjects: deleting an execution or a user keeps the
// records about them, and the chain, which holds the engine's records and
// the accounts' in one order, still verifies.
func testAuditOutlivesItsSubjects(t *testing.T, h Harness) {
	s, a := h.Open(t)
	ctx := context.Background()
	seed(t, s, 1)
	if err := updateAccounts(a, func(tx auth.Tx) error {
		if err := tx.CreateUser(ctx, &auth.User{Name: "alice", Role: auth.RoleApprover, PasswordHash: "h", CreatedAt: t0}); err != nil {
			return err
		}
		return tx.AppendAudit(ctx, &auth.AuditRecord{At: t0, By: auth.Actor{User: "root", Groups: []string{"z", "a"}, Channel: "api", Addr: "192.0.2.3"},
			What: "create user alice (role approver)"})
	}); err != nil {
		t.Fatal(err)
	}
	update(t, s, func(ctx context.Context, tx engine.Tx) error {
		return tx.AppendAudit(ctx, &engine.AuditRecord{At: t0.Add(time.Second), Actor: "alice", Channel: "dashboard", Kind: engine.AuditDecision,
			ActionExecutionID: "a00", State: engine.StateSuccess, Outcome: engine.AuditAccepted})
	})
	update(t, s, func(ctx context.Context, tx engine.Tx) error { return tx.DeleteExecution(ctx, "ex") })
	if err := updateAccounts(a, func(tx auth.Tx) error {
		if err := tx.DeleteUser(ctx, "alice"); err != nil {
			return err
		}
		return tx.AppendAudit(ctx, &auth.AuditRecord{At: t0.Add(2 * time.Second), What: "delete user alice"})
	}); err != nil {
		t.Fatal(err)
	}
	recs := verifyTrail(t, s)
	if len(recs) != 3 {
		t.Fatalf("%d records, want 3", len(recs))
	}
	want := []struct{ actor, channel, kind, action, reason, groups string }{
		{"root", "api", engine.AuditAdmin, "", "create user alice (role approver)", "a,z"},
		{"alice", "dashboard", engine.AuditDecision, "a00", "", ""},
		{"", "server", engine.AuditAdmin, "", "delete user alice", ""}, // no actor: the server's own
	}
	for i, w := range want {
		r := recs[i]
		if r.Actor != w.actor || r.Channel != w.channel || r.Kind != w.kind || r.ActionExecutionID != w.action || r.Reason != w.reason ||
			strings.Join(r.Groups, ",") != w.groups || r.Outcome != engine.AuditAccepted {
			t.Errorf("record %d: %+v, want %+v", r.Seq, r, w)
		}
	}
	if recs[0].Addr != "192.0.2.3" {
		t.Errorf("the admin record's address: %q", recs[0].Addr)
	}
}
