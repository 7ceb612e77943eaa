package sqlite

import (
	"testing"
	"time"
)

// TestGather: the writer's wait for the rest of a batch ends as soon as
// the batch holds what it aims at, or the store closes, never later.
// (A lingering timer would make either case hang for an hour.)
func TestGather(t *testing.T) {
	req := func() *writeReq { return &writeReq{done: make(chan error, 1)} }
	s := &Store{writes: make(chan *writeReq, 8), closed: make(chan struct{}), linger: time.Hour}
	for range 3 {
		s.writes <- req()
	}
	if got := s.gather([]*writeReq{req()}, 3); len(got) != 3 || len(s.writes) != 1 {
		t.Fatalf("gather to 3: batch of %d, %d left waiting; want 3 and 1", len(got), len(s.writes))
	}
	<-s.writes
	close(s.closed)
	if got := s.gather([]*writeReq{req()}, 3); len(got) != 1 {
		t.Fatalf("gather on a closed store: batch of %d, want 1", len(got))
	}
}

// TestLingerAim: the writer aims at the recent peak, and at lingerFloor
// once the peak shows lingerSiblings concurrent writers or more.
func TestLingerAim(t *testing.T) {
	for _, tc := range []struct{ peak, want int }{
		{0, 0}, {1, 1}, {3, 3}, {4, 8}, {7, 8}, {8, 8}, {20, 20},
	} {
		if got := lingerAim(tc.peak); got != tc.want {
			t.Errorf("lingerAim(%d) = %d, want %d", tc.peak, got, tc.want)
		}
	}
}
