package auth_test

import (
	"context"
	"sync/atomic"
	"testing"

	"github.com/sirocco-project/sirocco/internal/auth"
	"github.com/sirocco-project/sirocco/internal/fault"
	"golang.org/x/crypto/bcrypt"
)

// holdingStore is an account store whose first read named on (ListUsers
// or GetUser), in a transaction or not, stops once it has read until
// release is closed: it holds one request between its check and what
// follows, while another request runs. entered hears of every Update
// called.
type holdingStore struct {
	auth.Store
	on      string
	holding atomic.Bool
	held    chan struct{}
	release chan struct{}
	entered chan struct{}
}

func newHoldingStore(st auth.Store, on string) *holdingStore {
	return &holdingStore{Store: st, on: on, held: make(chan struct{}), release: make(chan struct{}), entered: make(chan struct{}, 16)}
}

func hold[T any](s *holdingStore, method string, v T, err error) (T, error) {
	// The first read only; not sync.Once, whose other callers would wait.
	if method == s.on && s.holding.CompareAndSwap(false, true) {
		close(s.held)
		<-s.release
	}
	return v, err
}

func (s *holdingStore) ListUsers(ctx context.Context) ([]*auth.User, error) {
	users, err := s.Store.ListUsers(ctx)
	return hold(s, "ListUsers", users, err)
}

func (s *holdingStore) GetUser(ctx context.Context, name string) (*auth.User, error) {
	u, err := s.Store.GetUser(ctx, name)
	return hold(s, "GetUser", u, err)
}

func (s *holdingStore) Update(ctx context.Context, fn func(auth.Tx) error) error {
	select {
	case s.entered <- struct{}{}:
	default:
	}
	return s.Store.Update(ctx, func(tx auth.Tx) error { return fn(holdingTx{tx, s}) })
}

type holdingTx struct {
	auth.Tx
	s *holdingStore
}

func (t holdingTx) ListUsers(ctx context.Context) ([]*auth.User, error) {
	users, err := t.Tx.ListUsers(ctx)
	return hold(t.s, "ListUsers", users, err)
}

func (t holdingTx) GetUser(ctx context.Context, name string) (*auth.User, error) {
	u, err := t.Tx.GetUser(ctx, name)
	return hold(t.s, "GetUser", u, err)
}

// TestLastAdminKeptUnderRace: two requests that each remove one of the
// last two admins (deleting or demoting it), the second arriving while
// the first stands between its check and its write, leave one admin: the
// check and the write are one transaction, so the second sees the first's
// write and is refused.
func TestLastAdminKeptUnderRace(t *testing.T) {
	t.Parallel()
	type op func(s *auth.Service, name string) error
	remove := op(func(s *auth.Service, name string) error { return s.DeleteUser(context.Background(), testActor, name) })
	demote := op(func(s *auth.Service, name string) error {
		return s.UpdateUser(context.Background(), testActor, name, auth.RoleViewer, "")
	})
	for _, tc := range []struct {
		name        string
		first, then op
	}{
		{"delete, delete", remove, remove},
		{"demote, demote", demote, demote},
		{"delete, demote", remove, demote},
		{"demote, delete", demote, remove},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			plain, st := newService(t, nil)
			if _, err := plain.Init(ctx, "admin-password"); err != nil {
				t.Fatal(err)
			}
			if _, err := plain.CreateUser(ctx, testActor, "root", auth.RoleAdmin, "root-password"); err != nil {
				t.Fatal(err)
			}
			hs := newHoldingStore(st.Auth(), "ListUsers")
			s := auth.New(auth.Config{Store: hs, BcryptCost: bcrypt.MinCost})

			first, then := make(chan error, 1), make(chan error, 1)
			go func() { first <- tc.first(s, "admin") }()
			<-hs.held // the first request has read two admins, and waits
			for len(hs.entered) > 0 {
				<-hs.entered
			}
			go func() { then <- tc.then(s, "root") }()
			// Let the first go on once the second has reached the store's
			// transaction (or finished without it).
			var thenErr error
			thenDone := false
			select {
			case <-hs.entered:
			case thenErr = <-then:
				thenDone = true
			}
			close(hs.release)
			firstErr := <-first
			if !thenDone {
				thenErr = <-then
			}

			users, err := plain.ListUsers(ctx)
			if err != nil {
				t.Fatal(err)
			}
			admins := 0
			for _, u := range users {
				if u.Role == auth.RoleAdmin {
					admins++
				}
			}
			if admins != 1 {
				t.Errorf("%d admins left (first: %v; second: %v), want 1", admins, firstErr, thenErr)
			}
			if firstErr != nil || fault.Code(thenErr) != fault.ECONFLICT {
				t.Errorf("first: %v, want nil; second: %v, want ECONFLICT (the last admin)", firstErr, thenErr)
			}
		})
	}
}

// TestChangePasswordKeepsANewRole: a role an admin gives while the user
// changes their password (after the current password was checked) is
// not overwritten with the role read at that check.
func TestChangePasswordKeepsANewRole(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	plain, st := newService(t, nil)
	if _, err := plain.Init(ctx, "admin-password"); err != nil {
		t.Fatal(err)
	}
	if _, err := plain.CreateUser(ctx, testActor, "bob", auth.RoleViewer, "bob-password"); err != nil {
		t.Fatal(err)
	}
	hs := newHoldingStore(st.Auth(), "GetUser")
	s := auth.New(auth.Config{Store: hs, BcryptCost: bcrypt.MinCost})
	done := make(chan error, 1)
	go func() {
		done <- s.ChangePassword(ctx, auth.Actor{User: "bob", Addr: "127.0.0.1"}, "bob-password", "bob-new-password", "")
	}()
	<-hs.held // the login read bob as a viewer
	if err := plain.UpdateUser(ctx, testActor, "bob", auth.RoleApprover, ""); err != nil {
		t.Fatal(err)
	}
	close(hs.release)
	if err := <-done; err != nil {
		t.Fatalf("ChangePassword: %v", err)
	}
	u, err := plain.Login(ctx, "bob", "bob-new-password", "127.0.0.1")
	if err != nil {
		t.Fatalf("login with the new password: %v", err)
	}
	if u.Role != auth.RoleApprover {
		t.Errorf("bob's role after the password change: %s, want approver (given meanwhile)", u.Role)
	}
}
