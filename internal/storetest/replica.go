package storetest

import (
	"context"
	"testing"
	"time"

	"github.com/sirocco-project/sirocco/internal/engine"
)

// testReplicas: a heartbeat inserts a replica's row and the next one
// updates it (fields and times read back to the microsecond); the list
// holds the replicas heard from at or after its bound, the bound itself
// included, oldest start first then by id; a sweep deletes the rows silent
// since before its bound and counts them; removing a replica deletes its
// row, and removing one that is gone is no error.
func testReplicas(t *testing.T, h Harness) {
	s, _ := h.Open(t)
	ctx := context.Background()
	us := time.Microsecond
	beat := func(r engine.Replica) {
		t.Helper()
		if err := s.Heartbeat(ctx, &r); err != nil {
			t.Fatal(err)
		}
	}
	ids := func(since time.Time) []string {
		t.Helper()
		list, err := s.ListReplicas(ctx, since)
		if err != nil {
			t.Fatal(err)
		}
		out := []string{}
		for _, r := range list {
			out = append(out, r.ID)
		}
		return out
	}
	b := engine.Replica{ID: "b", Host: "h1", PID: 10, Version: "v1", StartedAt: t0.Add(us), HeartbeatAt: t0.Add(us)}
	a := engine.Replica{ID: "a", Host: "h2", PID: 20, Version: "v1", StartedAt: t0.Add(us), HeartbeatAt: t0.Add(us)}
	c := engine.Replica{ID: "c", Host: "h3", PID: 30, Version: "v0", StartedAt: t0, HeartbeatAt: t0}
	beat(b)
	beat(a)
	beat(c)
	// b beats again, later, as another version (a restart under its id is
	// not how ids are made, but the row must follow whatever it is told).
	b.HeartbeatAt, b.Version, b.PID = t0.Add(10*time.Second+7*us), "v2", 11
	beat(b)

	if got, want := ids(time.Time{}), []string{"c", "a", "b"}; !equal(got, want) {
		t.Errorf("all replicas = %v, want %v (by start, then id)", got, want)
	}
	if got, want := ids(t0.Add(us)), []string{"a", "b"}; !equal(got, want) {
		t.Errorf("replicas heard from at or after t0+1µs = %v, want %v", got, want)
	}
	if got, want := ids(t0.Add(2*us)), []string{"b"}; !equal(got, want) {
		t.Errorf("replicas heard from at or after t0+2µs = %v, want %v", got, want)
	}
	list, err := s.ListReplicas(ctx, t0.Add(10*time.Second))
	if err != nil || len(list) != 1 {
		t.Fatalf("list = %v, %v", list, err)
	}
	got := *list[0]
	if got.ID != "b" || got.Host != "h1" || got.PID != 11 || got.Version != "v2" ||
		!got.StartedAt.Equal(t0.Add(us)) || !got.HeartbeatAt.Equal(t0.Add(10*time.Second+7*us)) {
		t.Errorf("replica b reads back as %+v, want %+v", got, b)
	}

	n, err := s.SweepReplicas(ctx, t0.Add(us))
	if err != nil || n != 1 {
		t.Errorf("sweep before t0+1µs = %d, %v; want 1 (c)", n, err)
	}
	if got, want := ids(time.Time{}), []string{"a", "b"}; !equal(got, want) {
		t.Errorf("after the sweep: %v, want %v", got, want)
	}
	if err := s.RemoveReplica(ctx, "a"); err != nil {
		t.Fatal(err)
	}
	if err := s.RemoveReplica(ctx, "a"); err != nil {
		t.Errorf("removing a replica twice: %v", err)
	}
	if got, want := ids(time.Time{}), []string{"b"}; !equal(got, want) {
		t.Errorf("after removing a: %v, want %v", got, want)
	}
}

func equal(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
