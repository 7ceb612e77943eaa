package sqlite

import (
	"context"
	"errors"
	"path/filepath"
	"testing"

	"github.com/sirocco-project/sirocco/internal/engine"
)

// TestBulkListsWaitForASlot: list queries on the reader pool take a slot
// of its lists (fewer than the cores, so that the writer keeps one); one
// that finds none waits, and gives up with its context. Lists inside a
// write transaction never wait: the writer must not queue behind readers.
func TestBulkListsWaitForASlot(t *testing.T) {
	ctx := context.Background()
	s, err := Open(ctx, filepath.Join(t.TempDir(), "b.db"), Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	lists := s.readers.lists
	for range cap(lists) {
		lists <- struct{}{}
	}
	held := true
	release := func() {
		if held {
			for range cap(lists) {
				<-lists
			}
			held = false
		}
	}
	defer release()

	cancelled, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := s.ListExecutions(cancelled, engine.ListQuery{}); !errors.Is(err, context.Canceled) {
		t.Fatalf("a list with every slot taken: %v; want it to wait, then context.Canceled", err)
	}
	if err := s.Update(ctx, func(tx engine.Tx) error {
		_, err := tx.TasksOf(ctx, "nope")
		return err
	}); err != nil {
		t.Fatalf("a list inside a write transaction with every slot taken: %v", err)
	}
	release()
	if _, err := s.ListExecutions(ctx, engine.ListQuery{}); err != nil {
		t.Fatalf("a list with a slot free: %v", err)
	}
}
