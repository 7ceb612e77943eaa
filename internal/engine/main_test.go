package engine_test

import (
	"testing"

	"go.uber.org/goleak"
)

// TestMain fails the package if a test leaves a goroutine behind: the
// engine's worker and its jobs must all stop with Run's context.
func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }
