package storetest

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/sirocco-project/sirocco/internal/auth"
	"github.com/sirocco-project/sirocco/internal/fault"
)

// testAuthStore: accounts, memberships, tokens and sessions round-trip;
// missing records are ENOTFOUND, duplicates ECONFLICT; deleting a user
// takes its tokens, sessions and memberships with it.
func testAuthStore(t *testing.T, h Harness) {
	ctx := context.Background()
	_, a := h.Open(t)
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	if err := updateAccounts(a, func(tx auth.Tx) error {
		return tx.CreateUser(ctx, &auth.User{Name: "alice", Role: auth.RoleViewer, PasswordHash: "h", CreatedAt: now})
	}); err != nil {
		t.Fatal(err)
	}
	if err := updateAccounts(a, func(tx auth.Tx) error {
		return tx.CreateUser(ctx, &auth.User{Name: "alice", Role: auth.RoleViewer, PasswordHash: "h", CreatedAt: now})
	}); fault.Code(err) != fault.ECONFLICT {
		t.Errorf("duplicate user: %v, want ECONFLICT", err)
	}
	if _, err := a.GetUser(ctx, "bob"); fault.Code(err) != fault.ENOTFOUND {
		t.Errorf("missing user: %v, want ENOTFOUND", err)
	}
	if err := updateAccounts(a, func(tx auth.Tx) error {
		return tx.CreateGroup(ctx, &auth.Group{Name: "ops", Role: auth.RoleApprover, CreatedAt: now})
	}); err != nil {
		t.Fatal(err)
	}
	if err := updateAccounts(a, func(tx auth.Tx) error { return tx.SetMember(ctx, "ops", "alice", true) }); err != nil {
		t.Fatal(err)
	}
	if err := updateAccounts(a, func(tx auth.Tx) error { return tx.SetMember(ctx, "ops", "nobody", true) }); fault.Code(err) != fault.ENOTFOUND {
		t.Errorf("member of a missing user: %v, want ENOTFOUND", err)
	}
	u, err := a.GetUser(ctx, "alice")
	if err != nil || len(u.Groups) != 1 || u.Groups[0].Role != auth.RoleApprover || !u.CreatedAt.Equal(now) {
		t.Fatalf("GetUser: %+v %v", u, err)
	}
	exp := now.Add(time.Hour)
	tok := &auth.Token{ID: "t1", Name: "n", Kind: auth.KindKeystone, Role: auth.RoleViewer, UserName: "alice", Hash: "hash1", CreatedAt: now, ExpiresAt: &exp}
	if err := updateAccounts(a, func(tx auth.Tx) error { return tx.CreateToken(ctx, tok) }); err != nil {
		t.Fatal(err)
	}
	got, err := a.TokenByHash(ctx, "hash1")
	if err != nil || got.ID != "t1" || got.ExpiresAt == nil || !got.ExpiresAt.Equal(exp) {
		t.Fatalf("TokenByHash: %+v %v", got, err)
	}
	if err := updateAccounts(a, func(tx auth.Tx) error { return tx.DeleteExpiredTokens(ctx, exp) }); err != nil {
		t.Fatal(err)
	}
	if _, err := a.TokenByHash(ctx, "hash1"); fault.Code(err) != fault.ENOTFOUND {
		t.Errorf("expired token still there: %v", err)
	}
	tok.ExpiresAt, tok.Kind, tok.Hash = nil, auth.KindAPI, "hash2"
	if err := updateAccounts(a, func(tx auth.Tx) error { return tx.CreateToken(ctx, tok) }); err != nil {
		t.Fatal(err)
	}
	if err := updateAccounts(a, func(tx auth.Tx) error {
		return tx.CreateSession(ctx, &auth.Session{Hash: "s1", UserName: "alice", CreatedAt: now, ExpiresAt: exp})
	}); err != nil {
		t.Fatal(err)
	}
	if err := updateAccounts(a, func(tx auth.Tx) error { return tx.DeleteUser(ctx, "alice") }); err != nil {
		t.Fatal(err)
	}
	if _, err := a.TokenByHash(ctx, "hash2"); fault.Code(err) != fault.ENOTFOUND {
		t.Errorf("token of a deleted user: %v, want ENOTFOUND", err)
	}
	if _, err := a.SessionByHash(ctx, "s1"); fault.Code(err) != fault.ENOTFOUND {
		t.Errorf("session of a deleted user: %v, want ENOTFOUND", err)
	}
	groups, err := a.ListGroups(ctx)
	if err != nil || len(groups) != 1 || len(groups[0].Members) != 0 {
		t.Errorf("ListGroups after deleting the member: %+v %v", groups, err)
	}
	if err := updateAccounts(a, func(tx auth.Tx) error { return tx.DeleteUser(ctx, "alice") }); fault.Code(err) != fault.ENOTFOUND {
		t.Errorf("deleting twice: %v, want ENOTFOUND", err)
	}
	// Secrets are made once.
	secret := func(v string) (got []byte, err error) {
		err = updateAccounts(a, func(tx auth.Tx) (err error) {
			got, err = tx.Secret(ctx, "k", func() []byte { return []byte(v) })
			return err
		})
		return got, err
	}
	s1, err := secret("first")
	s2, _ := secret("second")
	if err != nil || string(s1) != "first" || string(s2) != "first" {
		t.Errorf("Secret: %q %q %v", s1, s2, err)
	}
	// Callback tokens: upsert, read (they go with their execution: see
	// DeleteExecutionTakesItsJobs).
	if err := updateAccounts(a, func(tx auth.Tx) error { return tx.PutCallbackToken(ctx, "a1", "h1", now) }); err != nil {
		t.Fatal(err)
	}
	if err := updateAccounts(a, func(tx auth.Tx) error { return tx.PutCallbackToken(ctx, "a1", "h1", now) }); err != nil {
		t.Fatal(err)
	}
	if h, err := a.CallbackTokenHash(ctx, "a1"); err != nil || h != "h1" {
		t.Errorf("CallbackTokenHash: %q %v", h, err)
	}
	if _, err := a.CallbackTokenHash(ctx, "a2"); fault.Code(err) != fault.ENOTFOUND {
		t.Errorf("a callback token never issued: %v", err)
	}
}

// testDeleteUserSessionsAndTokens: a password change's queries end one
// user's sessions but one, and one kind of its tokens, touching nobody
// else's.
func testDeleteUserSessionsAndTokens(t *testing.T, h Harness) {
	ctx := context.Background()
	_, a := h.Open(t)
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	exp := now.Add(time.Hour)
	for _, name := range []string{"alice", "bob"} {
		if err := updateAccounts(a, func(tx auth.Tx) error {
			return tx.CreateUser(ctx, &auth.User{Name: name, Role: auth.RoleViewer, PasswordHash: "h", CreatedAt: now})
		}); err != nil {
			t.Fatal(err)
		}
		for _, s := range []string{"1", "2", "3"} {
			if err := updateAccounts(a, func(tx auth.Tx) error {
				return tx.CreateSession(ctx, &auth.Session{Hash: name + s, UserName: name, CreatedAt: now, ExpiresAt: exp})
			}); err != nil {
				t.Fatal(err)
			}
		}
		for _, kind := range []string{auth.KindKeystone, auth.KindAPI} {
			tok := &auth.Token{ID: name + kind, Name: "n", Kind: kind, Role: auth.RoleViewer, UserName: name, Hash: name + kind, CreatedAt: now}
			if err := updateAccounts(a, func(tx auth.Tx) error { return tx.CreateToken(ctx, tok) }); err != nil {
				t.Fatal(err)
			}
		}
	}
	endSessions := func(user, except string) (ended []string, err error) {
		err = updateAccounts(a, func(tx auth.Tx) (err error) {
			ended, err = tx.DeleteUserSessions(ctx, user, except)
			return err
		})
		return ended, err
	}
	ended, err := endSessions("alice", "alice2")
	if err != nil || len(ended) != 2 || ended[0] == "alice2" || ended[1] == "alice2" {
		t.Fatalf("DeleteUserSessions(alice, but alice2) = %v, %v; want alice1 and alice3", ended, err)
	}
	if err := updateAccounts(a, func(tx auth.Tx) error { return tx.DeleteUserTokens(ctx, "alice", auth.KindKeystone) }); err != nil {
		t.Fatal(err)
	}
	for hash, want := range map[string]bool{"alice1": false, "alice2": true, "alice3": false, "bob1": true, "bob2": true, "bob3": true} {
		if _, err := a.SessionByHash(ctx, hash); (err == nil) != want {
			t.Errorf("session %s: %v, want kept=%v", hash, err, want)
		}
	}
	for hash, want := range map[string]bool{"alice" + auth.KindKeystone: false, "alice" + auth.KindAPI: true, "bob" + auth.KindKeystone: true} {
		if _, err := a.TokenByHash(ctx, hash); (err == nil) != want {
			t.Errorf("token %s: %v, want kept=%v", hash, err, want)
		}
	}
	if ended, err := endSessions("bob", ""); err != nil || len(ended) != 3 {
		t.Errorf("DeleteUserSessions(bob, none kept) = %v, %v; want all three", ended, err)
	}
}

// updateAccounts runs fn in one transaction of the account store.
func updateAccounts(a auth.Store, fn func(auth.Tx) error) error {
	return a.Update(context.Background(), fn)
}

// testAuthTxReadsItsWrites: a transaction's reads see its own writes (a
// check and the write it allows are one transaction), and a failed
// transaction leaves nothing behind.
func testAuthTxReadsItsWrites(t *testing.T, h Harness) {
	ctx := context.Background()
	_, a := h.Open(t)
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	errStop := errors.New("stop")
	err := a.Update(ctx, func(tx auth.Tx) error {
		if err := tx.CreateUser(ctx, &auth.User{Name: "alice", Role: auth.RoleAdmin, PasswordHash: "h", CreatedAt: now}); err != nil {
			return err
		}
		if u, err := tx.GetUser(ctx, "alice"); err != nil || u.Role != auth.RoleAdmin {
			t.Errorf("GetUser in the transaction that created alice: %+v %v", u, err)
		}
		if n, err := tx.CountUsers(ctx); err != nil || n != 1 {
			t.Errorf("CountUsers in the transaction: %d %v, want 1", n, err)
		}
		return errStop
	})
	if !errors.Is(err, errStop) {
		t.Fatalf("Update: %v, want the error fn returned", err)
	}
	if n, err := a.CountUsers(ctx); err != nil || n != 0 {
		t.Errorf("after a failed transaction: %d users (%v), want 0", n, err)
	}
}
