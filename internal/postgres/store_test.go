package postgres_test

import (
	"context"
	"os"
	"testing"

	"github.com/sirocco-project/sirocco/internal/auth"
	"github.com/sirocco-project/sirocco/internal/engine"
	"github.com/sirocco-project/sirocco/internal/pgtest"
	"github.com/sirocco-project/sirocco/internal/postgres"
	"github.com/sirocco-project/sirocco/internal/storetest"
)

func TestMain(m *testing.M) { os.Exit(pgtest.Main(m)) }

// open opens a store on a fresh database, closed when t ends.
func open(t *testing.T) *postgres.Store {
	t.Helper()
	s, err := postgres.Open(context.Background(), pgtest.DSN(t), postgres.Options{MaxConns: 4})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// TestContract runs the contract every store meets (internal/storetest)
// against PostgreSQL.
func TestContract(t *testing.T) {
	t.Parallel()
	storetest.Run(t, storetest.Harness{Open: func(t *testing.T) (engine.Store, auth.Store) {
		s := open(t)
		return s, s.Auth()
	}})
}
