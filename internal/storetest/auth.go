package storetest

import (
	"context"
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
	if err := a.CreateUser(ctx, &auth.User{Name: "alice", Role: auth.RoleViewer, PasswordHash: "h", CreatedAt: now}); err != nil {
		t.Fatal(err)
	}
	if err := a.CreateUser(ctx, &auth.User{Name: "alice", Role: auth.RoleViewer, PasswordHash: "h", CreatedAt: now}); fault.Code(err) != fault.ECONFLICT {
		t.Errorf("duplicate user: %v, want ECONFLICT", err)
	}
	if _, err := a.GetUser(ctx, "bob"); fault.Code(err) != fault.ENOTFOUND {
		t.Errorf("missing user: %v, want ENOTFOUND", err)
	}
	if err := a.CreateGroup(ctx, &auth.Group{Name: "ops", Role: auth.RoleApprover, CreatedAt: now}); err != nil {
		t.Fatal(err)
	}
	if err := a.SetMember(ctx, "ops", "alice", true); err != nil {
		t.Fatal(err)
	}
	if err := a.SetMember(ctx, "ops", "nobody", true); fault.Code(err) != fault.ENOTFOUND {
		t.Errorf("member of a missing user: %v, want ENOTFOUND", err)
	}
	u, err := a.GetUser(ctx, "alice")
	if err != nil || len(u.Groups) != 1 || u.Groups[0].Role != auth.RoleApprover || !u.CreatedAt.Equal(now) {
		t.Fatalf("GetUser: %+v %v", u, err)
	}
	exp := now.Add(time.Hour)
	tok := &auth.Token{ID: "t1", Name: "n", Kind: auth.KindKeystone, Role: auth.RoleViewer, UserName: "alice", Hash: "hash1", CreatedAt: now, ExpiresAt: &exp}
	if err := a.CreateToken(ctx, tok); err != nil {
		t.Fatal(err)
	}
	got, err := a.TokenByHash(ctx, "hash1")
	if err != nil || got.ID != "t1" || got.ExpiresAt == nil || !got.ExpiresAt.Equal(exp) {
		t.Fatalf("TokenByHash: %+v %v", got, err)
	}
	if err := a.DeleteExpiredTokens(ctx, exp); err != nil {
		t.Fatal(err)
	}
	if _, err := a.TokenByHash(ctx, "hash1"); fault.Code(err) != fault.ENOTFOUND {
		t.Errorf("expired token still there: %v", err)
	}
	tok.ExpiresAt, tok.Kind, tok.Hash = nil, auth.KindAPI, "hash2"
	if err := a.CreateToken(ctx, tok); err != nil {
		t.Fatal(err)
	}
	if err := a.CreateSession(ctx, &auth.Session{Hash: "s1", UserName: "alice", CreatedAt: now, ExpiresAt: exp}); err != nil {
		t.Fatal(err)
	}
	if err := a.DeleteUser(ctx, "alice"); err != nil {
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
	if err := a.DeleteUser(ctx, "alice"); fault.Code(err) != fault.ENOTFOUND {
		t.Errorf("deleting twice: %v, want ENOTFOUND", err)
	}
	// Secrets are made once.
	s1, err := a.Secret(ctx, "k", func() []byte { return []byte("first") })
	s2, _ := a.Secret(ctx, "k", func() []byte { return []byte("second") })
	if err != nil || string(s1) != "first" || string(s2) != "first" {
		t.Errorf("Secret: %q %q %v", s1, s2, err)
	}
	// Callback tokens: upsert, read (they go with their execution: see
	// DeleteExecutionTakesItsJobs).
	if err := a.PutCallbackToken(ctx, "a1", "h1", now); err != nil {
		t.Fatal(err)
	}
	if err := a.PutCallbackToken(ctx, "a1", "h1", now); err != nil {
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
		if err := a.CreateUser(ctx, &auth.User{Name: name, Role: auth.RoleViewer, PasswordHash: "h", CreatedAt: now}); err != nil {
			t.Fatal(err)
		}
		for _, s := range []string{"1", "2", "3"} {
			if err := a.CreateSession(ctx, &auth.Session{Hash: name + s, UserName: name, CreatedAt: now, ExpiresAt: exp}); err != nil {
				t.Fatal(err)
			}
		}
		for _, kind := range []string{auth.KindKeystone, auth.KindAPI} {
			tok := &auth.Token{ID: name + kind, Name: "n", Kind: kind, Role: auth.RoleViewer, UserName: name, Hash: name + kind, CreatedAt: now}
			if err := a.CreateToken(ctx, tok); err != nil {
				t.Fatal(err)
			}
		}
	}
	ended, err := a.DeleteUserSessions(ctx, "alice", "alice2")
	if err != nil || len(ended) != 2 || ended[0] == "alice2" || ended[1] == "alice2" {
		t.Fatalf("DeleteUserSessions(alice, but alice2) = %v, %v; want alice1 and alice3", ended, err)
	}
	if err := a.DeleteUserTokens(ctx, "alice", auth.KindKeystone); err != nil {
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
	if ended, err := a.DeleteUserSessions(ctx, "bob", ""); err != nil || len(ended) != 3 {
		t.Errorf("DeleteUserSessions(bob, none kept) = %v, %v; want all three", ended, err)
	}
}
