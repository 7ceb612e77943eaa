package engine_test

import (
	"testing"

	"go.uber.org/goleak"

	"github.com/sirocco-project/sirocco/internal/pgtest"
)

// TestMain fails the package if a test leaves a goroutine behind: the
// engine's worker and its jobs must all stop with Run's context, and a
// PostgreSQL store's pool with its Close. The throwaway cluster, if a test
// started one, is gone before the check.
func TestMain(m *testing.M) { goleak.VerifyTestMain(withCluster{m}) }

// withCluster runs the tests through pgtest.Main, which removes the
// cluster afterwards.
type withCluster struct{ m *testing.M }

func (w withCluster) Run() int { return pgtest.Main(w.m) }
