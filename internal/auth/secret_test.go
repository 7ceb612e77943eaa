package auth_test

import (
	"bytes"
	"context"
	"testing"

	"github.com/sirocco-project/sirocco/internal/auth"
	"golang.org/x/crypto/bcrypt"
)

// TestFormKey: the dashboard's form key comes from the database's secret,
// so a restart keeps the tokens of open pages valid; another database has
// another key.
func TestFormKey(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s, st := newService(t, nil)
	if k := s.FormKey(); k != nil {
		t.Fatalf("FormKey before Init = %x, want nil", k)
	}
	if _, err := s.Init(ctx, "a long enough password"); err != nil {
		t.Fatal(err)
	}
	restarted := auth.New(auth.Config{Store: st.Auth(), BcryptCost: bcrypt.MinCost})
	if _, err := restarted.Init(ctx, ""); err != nil {
		t.Fatal(err)
	}
	other, _ := newService(t, nil)
	if _, err := other.Init(ctx, "a long enough password"); err != nil {
		t.Fatal(err)
	}
	if k := s.FormKey(); len(k) != 32 || !bytes.Equal(k, restarted.FormKey()) || bytes.Equal(k, other.FormKey()) {
		t.Errorf("form keys %x, after a restart %x, of another database %x", k, restarted.FormKey(), other.FormKey())
	}
}
