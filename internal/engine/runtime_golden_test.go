package engine_test

import (
	"context"
	"flag"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/sirocco-project/sirocco/internal/engine"
)

var update = flag.Bool("update", false, "rewrite the golden files of testdata/runtime_context")

// recordingStore keeps every runtime_context the engine writes to a task,
// in order, so that tests can compare them with golden files: rows stored
// by one version of the engine must read the same in the next.
type recordingStore struct {
	engine.Store
	// mu is held across each write transaction and its recording, so that
	// whoever saw a commit's effects and then asks for the report finds
	// it recorded. The store has one writer anyway.
	mu     sync.Mutex
	order  []string            // task ids, first written first
	names  map[string]string   // task id → name
	writes map[string][]string // task id → runtime contexts written
}

func newRecordingStore(st engine.Store) *recordingStore {
	return &recordingStore{Store: st, names: map[string]string{}, writes: map[string][]string{}}
}

func (s *recordingStore) Update(ctx context.Context, fn func(engine.Tx) error) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	var tx *recordingTx
	err := s.Store.Update(ctx, func(inner engine.Tx) error {
		tx = &recordingTx{Tx: inner} // a retried transaction starts afresh
		return fn(tx)
	})
	if err != nil || tx == nil {
		return err
	}
	for _, t := range tx.tasks {
		if _, ok := s.names[t.id]; !ok {
			s.order = append(s.order, t.id)
			s.names[t.id] = t.name
		}
		// Only changes count: how often a task is written is not the
		// runtime context's business.
		if w := s.writes[t.id]; len(w) == 0 || w[len(w)-1] != t.rc {
			s.writes[t.id] = append(w, t.rc)
		}
	}
	return nil
}

type taskWrite struct{ id, name, rc string }

type recordingTx struct {
	engine.Tx
	tasks []taskWrite
}

func (tx *recordingTx) CreateTask(ctx context.Context, t *engine.Task) error {
	if err := tx.Tx.CreateTask(ctx, t); err != nil {
		return err
	}
	tx.tasks = append(tx.tasks, taskWrite{t.ID, t.Name, t.RuntimeContextJSON})
	return nil
}

func (tx *recordingTx) UpdateTask(ctx context.Context, t *engine.Task, from ...engine.State) error {
	if err := tx.Tx.UpdateTask(ctx, t, from...); err != nil {
		return err
	}
	tx.tasks = append(tx.tasks, taskWrite{t.ID, t.Name, t.RuntimeContextJSON})
	return nil
}

// report renders what was recorded: per task, the runtime contexts it was
// written with, task ids replaced by task names (ids are random). Tasks
// are sorted by name, then by what they recorded.
func (s *recordingStore) report() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	type block struct{ name, text string }
	var blocks []block
	for _, id := range s.order {
		var b strings.Builder
		for _, rc := range s.writes[id] {
			for other, name := range s.names {
				rc = strings.ReplaceAll(rc, other, "<id of "+name+">")
			}
			b.WriteString("  " + rc + "\n")
		}
		blocks = append(blocks, block{s.names[id], b.String()})
	}
	sort.Slice(blocks, func(i, j int) bool {
		if blocks[i].name != blocks[j].name {
			return blocks[i].name < blocks[j].name
		}
		return blocks[i].text < blocks[j].text
	})
	var out strings.Builder
	for _, b := range blocks {
		out.WriteString("task " + b.name + ":\n" + b.text)
	}
	return out.String()
}

// checkRuntimeGolden compares what rec recorded with
// testdata/runtime_context/<name>.golden (go test -update rewrites it
// where write is true: from one store only, which the others must match).
// The goldens were recorded before the runtime context became a struct:
// the API's runtime_context and the stored rows must not change.
func checkRuntimeGolden(t *testing.T, rec *recordingStore, name string, write bool) {
	t.Helper()
	path := filepath.Join("testdata", "runtime_context", name+".golden")
	got := rec.report()
	if *update && write {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (go test ./internal/engine -run %s -update writes it)", err, t.Name())
	}
	if got != string(want) {
		t.Errorf("runtime contexts written differ from %s:\n--- got\n%s--- want\n%s", path, got, want)
	}
}
