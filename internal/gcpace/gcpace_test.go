package gcpace

import (
	"runtime"
	"testing"
)

// fake is the runtime as the pacer sees it.
type fake struct {
	n       uint64
	percent []int
	freed   int
}

func newFake(opt Options) (*Pacer, *fake) {
	f := &fake{}
	p := New(opt)
	p.cycles = func() uint64 { return f.n }
	p.setGC = func(v int) int { f.percent = append(f.percent, v); return 0 }
	p.release = func() { f.freed++; f.n++ } // FreeOSMemory runs a collection
	return p, f
}

// TestPacer: the target rises when collections come often, stays up
// while they do (and through a short lull), and falls back, with the
// memory returned once, after a quiet spell.
func TestPacer(t *testing.T) {
	p, f := newFake(Options{BusyCycles: 3, Quiet: 5})
	steps := []struct {
		cycles    uint64 // collections since the last step
		busy      bool
		setsSoFar []int
		freed     int
	}{
		{0, false, nil, 0}, // primes
		{2, false, nil, 0}, // below BusyCycles
		{3, true, []int{400}, 0},
		{40, true, []int{400}, 0},
		{1, true, []int{400}, 0}, // quiet 1
		{1, true, []int{400}, 0}, // quiet 2
		{2, true, []int{400}, 0}, // neither: the lull restarts
		{0, true, []int{400}, 0},
		{0, true, []int{400}, 0},
		{1, true, []int{400}, 0},
		{0, true, []int{400}, 0},
		{0, false, []int{400, 100}, 1}, // 5 quiet looks
		{0, false, []int{400, 100}, 1}, // idle stays idle, nothing more
		{1, false, []int{400, 100}, 1},
		{5, true, []int{400, 100, 400}, 1},
	}
	for i, s := range steps {
		f.n += s.cycles
		p.Step()
		if p.Busy() != s.busy || len(f.percent) != len(s.setsSoFar) || f.freed != s.freed {
			t.Fatalf("step %d (+%d collections): busy %v, GOGC set to %v, freed %d; want %v, %v, %d",
				i, s.cycles, p.Busy(), f.percent, f.freed, s.busy, s.setsSoFar, s.freed)
		}
		for j := range s.setsSoFar {
			if f.percent[j] != s.setsSoFar[j] {
				t.Fatalf("step %d: GOGC set to %v, want %v", i, f.percent, s.setsSoFar)
			}
		}
	}
}

func TestDefaults(t *testing.T) {
	p := New(Options{})
	if p.opt.Busy != 400 || p.opt.Idle != 100 || p.opt.BusyCycles != 2 || p.opt.Quiet != 25 || p.opt.Interval.Milliseconds() != 200 {
		t.Errorf("defaults: %+v", p.opt)
	}
	before := gcCycles()
	runtime.GC()
	if after := gcCycles(); after <= before {
		t.Errorf("collections read %d before runtime.GC and %d after: the metric is not read", before, after)
	}
}
