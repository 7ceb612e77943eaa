package main

import (
	"context"
	"log/slog"
	"path/filepath"
	"testing"

	"github.com/sirocco-project/sirocco/internal/engine"
	"github.com/sirocco-project/sirocco/internal/sqlite"
)

// seededElsewhere is a store whose list of workflows is read before
// another replica's examples committed.
type seededElsewhere struct{ engine.Store }

func (seededElsewhere) ListWorkflows(context.Context, engine.ListQuery) ([]*engine.Workflow, error) {
	return nil, nil
}

// TestSeedRace: replicas starting together on a new database both find no
// workflow; the one whose examples are then already there starts all the
// same (it stopped with a duplicate-name error).
func TestSeedRace(t *testing.T) {
	ctx := context.Background()
	st, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "db"), sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	log := slog.New(slog.DiscardHandler)
	if err := seedExamples(ctx, engine.New(engine.Config{Store: st}), log); err != nil {
		t.Fatalf("the first replica's seed: %v", err)
	}
	if err := seedExamples(ctx, engine.New(engine.Config{Store: seededElsewhere{st}}), log); err != nil {
		t.Fatalf("the second replica's seed, after the first's: %v", err)
	}
}
