package hub

import (
	"testing"

	"go.uber.org/goleak"
)

// TestMain fails the package if a test leaves a goroutine behind: the hub
// owns goroutines per connection, and a leak there grows with every page.
func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }
