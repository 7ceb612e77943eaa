package auth_test

import (
	"context"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/sirocco-project/sirocco/internal/auth"
	"github.com/sirocco-project/sirocco/internal/fault"
	"github.com/sirocco-project/sirocco/internal/sqlite"
	"golang.org/x/crypto/bcrypt"
)

func newService(t *testing.T, now func() time.Time) (*auth.Service, *sqlite.Store) {
	t.Helper()
	st, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "a.db"), sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	s := auth.New(auth.Config{Store: st.Auth(), BcryptCost: bcrypt.MinCost, Now: now})
	return s, st
}

// TestFirstStart: the first admin gets the given password, or a
// generated one; a second start changes nothing.
func TestFirstStart(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s, _ := newService(t, nil)
	gen, err := s.Init(ctx, "")
	if err != nil || len(gen) < 20 {
		t.Fatalf("Init: %q, %v; want a generated password", gen, err)
	}
	u, err := s.Login(ctx, "admin", gen, "127.0.0.1")
	if err != nil || u.Role != auth.RoleAdmin {
		t.Fatalf("login with the generated password: %v %v", u, err)
	}
	if !strings.HasPrefix(u.PasswordHash, "$2") {
		t.Errorf("password hash %q is not bcrypt", u.PasswordHash[:4])
	}
	if again, err := s.Init(ctx, "other-password"); err != nil || again != "" {
		t.Errorf("second Init: %q, %v; want nothing", again, err)
	}
	if _, err := s.Login(ctx, "admin", "other-password", "127.0.0.1"); err == nil {
		t.Error("a second start changed the admin's password")
	}
}

// TestRolesAndGroups: a group's role lifts its members; tokens are capped
// by their user's current role.
func TestRolesAndGroups(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s, _ := newService(t, nil)
	if _, err := s.Init(ctx, "admin-password"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.CreateUser(ctx, testActor, "bob", auth.RoleViewer, "bob-password"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.CreateUser(ctx, testActor, "bob", auth.RoleViewer, "bob-password"); fault.Code(err) != fault.ECONFLICT {
		t.Errorf("duplicate user: %v, want ECONFLICT", err)
	}
	if _, err := s.CreateUser(ctx, testActor, "x", auth.RoleViewer, "short"); fault.Code(err) != fault.EINVALID {
		t.Errorf("short password: %v, want EINVALID", err)
	}
	if err := s.CreateGroup(ctx, testActor, "ops", auth.RoleApprover); err != nil {
		t.Fatal(err)
	}
	if err := s.SetMember(ctx, testActor, "ops", "bob", true); err != nil {
		t.Fatal(err)
	}
	u, _ := s.GetUser(ctx, "bob")
	if u.Effective() != auth.RoleApprover {
		t.Errorf("bob in ops: effective role %s, want approver", u.Effective())
	}
	plain, _, err := s.CreateToken(ctx, testActor, "bob", "bob's", auth.RoleApprover, auth.KindAPI, 0)
	if err != nil {
		t.Fatal(err)
	}
	p, _, err := s.Authenticate(ctx, plain)
	if err != nil || p.Role != auth.RoleApprover || p.User != "bob" || !reflect.DeepEqual(p.Groups, []string{"ops"}) {
		t.Fatalf("Authenticate: %+v %v", p, err)
	}
	// Leaving the group caps the token at bob's own role at once, and
	// the principal's groups (what approvals count) follow.
	if err := s.SetMember(ctx, testActor, "ops", "bob", false); err != nil {
		t.Fatal(err)
	}
	if p, _, _ = s.Authenticate(ctx, plain); p.Role != auth.RoleViewer || len(p.Groups) != 0 {
		t.Errorf("after leaving ops the token acts as %s in %v, want viewer in no group", p.Role, p.Groups)
	}
	// A token differing in one character, or a prefix, is refused.
	for _, bad := range []string{plain[:len(plain)-1] + "x", plain[:len(plain)-1], "", auth.HashSecret(plain)} {
		if _, _, err := s.Authenticate(ctx, bad); !auth.IsUnauthorized(err) {
			t.Errorf("Authenticate(%q…): %v, want EUNAUTHORIZED", bad[:min(len(bad), 12)], err)
		}
	}
}

// TestTokenExpiry: a Keystone token stops working when it expires.
func TestTokenExpiry(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	s, _ := newService(t, func() time.Time { return now })
	if _, err := s.Init(ctx, "admin-password"); err != nil {
		t.Fatal(err)
	}
	u, _ := s.GetUser(ctx, "admin")
	plain, tok, err := s.KeystoneToken(ctx, u)
	if err != nil || tok.ExpiresAt == nil {
		t.Fatalf("KeystoneToken: %v %v", tok, err)
	}
	if _, _, err := s.Authenticate(ctx, plain); err != nil {
		t.Fatalf("fresh token: %v", err)
	}
	now = tok.ExpiresAt.Add(time.Second)
	if _, _, err := s.Authenticate(ctx, plain); !auth.IsUnauthorized(err) {
		t.Errorf("expired token: %v, want EUNAUTHORIZED", err)
	}
}

// TestCallbackTokens: derived per action (stable across calls), checked
// against the stored hash; a token is its own action's only.
func TestCallbackTokens(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	st, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "c.db"), sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	s := auth.New(auth.Config{Store: st.Auth(), BcryptCost: bcrypt.MinCost})
	if _, err := s.Init(ctx, "admin-password"); err != nil {
		t.Fatal(err)
	}
	a1, _ := s.CallbackToken(ctx, "a1")
	again, _ := s.CallbackToken(ctx, "a1")
	a2, _ := s.CallbackToken(ctx, "a2")
	if a1 != again || a1 == a2 {
		t.Fatalf("tokens: a1 %q again %q a2 %q; want a1 stable and distinct from a2", a1, again, a2)
	}
	if p, err := s.CallbackPrincipal(ctx, "a1", a1); err != nil || p.ActionID != "a1" {
		t.Errorf("a1 with its token: %v %v", p, err)
	}
	if _, err := s.CallbackPrincipal(ctx, "a2", a1); err == nil {
		t.Error("a1's token accepted for a2")
	}
	if _, err := s.CallbackPrincipal(ctx, "a3", a1); err == nil {
		t.Error("a token accepted for an action that was never sent")
	}
	// A restart (a new Service over the same database) derives the same token.
	s2 := auth.New(auth.Config{Store: st.Auth(), BcryptCost: bcrypt.MinCost})
	if _, err := s2.Init(ctx, ""); err != nil {
		t.Fatal(err)
	}
	if tok, _ := s2.CallbackToken(ctx, "a2"); tok != a2 {
		t.Error("the callback token changed across a restart")
	}
}

// TestEqual is the timing-safe comparison every secret check goes through.
func TestEqual(t *testing.T) {
	for _, c := range []struct {
		a, b string
		want bool
	}{{"abc", "abc", true}, {"abc", "abd", false}, {"abc", "ab", false}, {"", "", true}} {
		if got := auth.Equal(c.a, c.b); got != c.want {
			t.Errorf("Equal(%q, %q) = %v, want %v", c.a, c.b, got, c.want)
		}
	}
}

// TestRepeatedCharacterPasswordRefused: one character repeated is not a
// password, whatever its length.
func TestRepeatedCharacterPasswordRefused(t *testing.T) {
	t.Parallel()
	s, _ := newService(t, nil)
	for _, pw := range []string{"aaaaaaaa", "1111111111111", "€€€€€€€€"} {
		if _, err := s.CreateUser(context.Background(), testActor, "rep", auth.RoleViewer, pw); fault.Code(err) != fault.EINVALID {
			t.Errorf("CreateUser(%q): %v, want EINVALID", pw, err)
		}
	}
}

// TestRoleOrder: viewer < requester < approver < admin, each role
// including the ones below it; ParseRole knows them all and names them
// when it refuses one.
func TestRoleOrder(t *testing.T) {
	t.Parallel()
	order := []auth.Role{auth.RoleViewer, auth.RoleRequester, auth.RoleApprover, auth.RoleAdmin}
	if len(auth.Roles) != len(order) {
		t.Fatalf("Roles = %v, want %v", auth.Roles, order)
	}
	for i, r := range order {
		if auth.Roles[i] != r {
			t.Errorf("Roles[%d] = %s, want %s (weakest first)", i, auth.Roles[i], r)
		}
		if got, err := auth.ParseRole(" " + strings.ToUpper(string(r)) + " "); err != nil || got != r {
			t.Errorf("ParseRole(%s) = %q, %v", r, got, err)
		}
		for j, need := range order {
			if got, want := r.Allows(need), i >= j; got != want {
				t.Errorf("%s.Allows(%s) = %v, want %v", r, need, got, want)
			}
		}
	}
	_, err := auth.ParseRole("boss")
	if fault.Code(err) != fault.EINVALID || !strings.Contains(fault.Message(err), "requester") {
		t.Errorf("ParseRole(boss) = %v, want EINVALID naming every role", err)
	}
}

// countThenRace is an accounts store whose first CountUsers lets another
// replica start in between: the count says no account, and by the time
// the first admin is written another server has written it.
type countThenRace struct {
	auth.Store
	between func()
	once    bool
}

func (s *countThenRace) CountUsers(ctx context.Context) (int, error) {
	n, err := s.Store.CountUsers(ctx)
	if !s.once {
		s.once = true
		s.between()
	}
	return n, err
}

// TestFirstStartRace: two replicas starting together on a new database
// both see no account; the one that loses the race to create the first
// admin starts all the same (it used to stop: "A user named admin already
// exists"), and the winner's password is the admin's.
func TestFirstStartRace(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	_, st := newService(t, nil)
	var won string
	other := auth.New(auth.Config{Store: st.Auth(), BcryptCost: bcrypt.MinCost})
	racing := &countThenRace{Store: st.Auth(), between: func() {
		var err error
		if won, err = other.Init(ctx, ""); err != nil || won == "" {
			t.Errorf("the other replica's start: %q, %v", won, err)
		}
	}}
	s := auth.New(auth.Config{Store: racing, BcryptCost: bcrypt.MinCost})
	gen, err := s.Init(ctx, "")
	if err != nil {
		t.Fatalf("the replica that lost the race: %v", err)
	}
	if gen != "" {
		t.Errorf("the replica that lost the race shows a password (%q) no account has", gen)
	}
	if _, err := s.Login(ctx, "admin", won, "127.0.0.1"); err != nil {
		t.Errorf("login with the winner's password: %v", err)
	}
}

// TestTokenCache: a resolved token is remembered for a second: a change
// made through the same service shows at once, one made by another
// service on the same store (another replica) within the second, and an
// expiry is honoured from the cache too.
func TestTokenCache(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	clock := func() time.Time { return now }
	s, st := newService(t, clock)
	if _, err := s.Init(ctx, "admin-password"); err != nil {
		t.Fatal(err)
	}
	other := auth.New(auth.Config{Store: st.Auth(), BcryptCost: bcrypt.MinCost, Now: clock})
	if _, err := other.Init(ctx, ""); err != nil {
		t.Fatal(err)
	}
	mint := func() (string, *auth.Token) {
		t.Helper()
		plain, tok, err := s.CreateToken(ctx, testActor, "admin", "ci", auth.RoleAdmin, auth.KindAPI, 0)
		if err != nil {
			t.Fatal(err)
		}
		if _, _, err := s.Authenticate(ctx, plain); err != nil {
			t.Fatal(err)
		}
		return plain, tok
	}
	// Revoked here: refused at once.
	plain, tok := mint()
	if err := s.RevokeToken(ctx, testActor, tok.ID); err != nil {
		t.Fatal(err)
	}
	if _, _, err := s.Authenticate(ctx, plain); !auth.IsUnauthorized(err) {
		t.Errorf("a token revoked through the same service: %v, want EUNAUTHORIZED", err)
	}
	// Revoked by another replica: served from the cache until it is a
	// second old, then refused.
	plain, tok = mint()
	if err := other.RevokeToken(ctx, testActor, tok.ID); err != nil {
		t.Fatal(err)
	}
	if _, _, err := s.Authenticate(ctx, plain); err != nil {
		t.Errorf("a token revoked by another replica, within the second: %v; want it still cached", err)
	}
	now = now.Add(time.Second)
	if _, _, err := s.Authenticate(ctx, plain); !auth.IsUnauthorized(err) {
		t.Errorf("a token revoked by another replica, a second on: %v, want EUNAUTHORIZED", err)
	}
	// The user's role lowered here: the cached token follows at once.
	if _, err := s.CreateUser(ctx, testActor, "eve", auth.RoleApprover, "eve-password-1"); err != nil {
		t.Fatal(err)
	}
	eve, _, err := s.CreateToken(ctx, testActor, "eve", "eve's", auth.RoleApprover, auth.KindAPI, 0)
	if err != nil {
		t.Fatal(err)
	}
	if p, _, err := s.Authenticate(ctx, eve); err != nil || p.Role != auth.RoleApprover {
		t.Fatalf("eve's token: %v %v", p, err)
	}
	if err := s.UpdateUser(ctx, testActor, "eve", auth.RoleViewer, ""); err != nil {
		t.Fatal(err)
	}
	if p, _, err := s.Authenticate(ctx, eve); err != nil || p.Role != auth.RoleViewer {
		t.Errorf("eve's token after her role was lowered: %v %v; want viewer", p, err)
	}
	// A Keystone token expiring while cached.
	u, _ := s.GetUser(ctx, "admin")
	ks, kt, err := s.KeystoneToken(ctx, u)
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := s.Authenticate(ctx, ks); err != nil {
		t.Fatal(err)
	}
	now = kt.ExpiresAt.Add(-time.Millisecond)
	if _, _, err := s.Authenticate(ctx, ks); err != nil {
		t.Fatalf("a Keystone token a millisecond before it expires: %v", err)
	}
	now = *kt.ExpiresAt
	if _, _, err := s.Authenticate(ctx, ks); !auth.IsUnauthorized(err) {
		t.Errorf("a Keystone token expired while cached: %v, want EUNAUTHORIZED", err)
	}
}
