// Package gcpace paces Go's garbage collector to the server's load: a
// higher target (GOGC) while it is busy, the default and the memory given
// back once it is idle.
//
// Sirocco's live heap is small (a few MB) and a busy server allocates fast,
// so at the default GOGC=100 it collects every few dozen workflows, and
// most of a collection's cost is fixed (stacks, globals, a stop): about a
// tenth of the CPU of a workflow under load. A higher target makes
// collections rarer, but leaves a larger heap behind, and the RSS of an
// idle server is a promise (docs/BENCHMARKS.md). So the target rises only
// while collections come often, and falls back, with the freed memory
// returned to the system, after a quiet spell.
package gcpace

import (
	"context"
	"runtime/debug"
	"runtime/metrics"
	"time"
)

// Options tune a Pacer; zero values take the defaults.
type Options struct {
	// Busy is the GOGC percentage while busy (400); Idle the one when idle
	// (100, Go's default).
	Busy, Idle int
	// BusyCycles is how many collections in one Interval make the server
	// busy (2: ten a second, a few hundred workflows a second at the
	// default target); it is idle after Quiet intervals with at most one
	// each (25: five seconds).
	BusyCycles, Quiet int
	// Interval is how often the pacer looks (200ms).
	Interval time.Duration
}

// Pacer is the state of the pacing; Run drives it, Step is one look.
type Pacer struct {
	opt    Options
	busy   bool
	quiet  int
	last   uint64
	primed bool
	// The runtime, replaceable in tests.
	cycles  func() uint64
	setGC   func(int) int
	release func()
}

// New returns a pacer that starts idle.
func New(opt Options) *Pacer {
	if opt.Busy == 0 {
		opt.Busy = 400
	}
	if opt.Idle == 0 {
		opt.Idle = 100
	}
	if opt.BusyCycles == 0 {
		opt.BusyCycles = 2
	}
	if opt.Quiet == 0 {
		opt.Quiet = 25
	}
	if opt.Interval == 0 {
		opt.Interval = 200 * time.Millisecond
	}
	return &Pacer{opt: opt, cycles: gcCycles, setGC: debug.SetGCPercent, release: debug.FreeOSMemory}
}

// Busy tells whether the pacer holds the busy target now.
func (p *Pacer) Busy() bool { return p.busy }

// Step looks at the collections since the last step and moves the target.
func (p *Pacer) Step() {
	n := p.cycles()
	if !p.primed {
		p.last, p.primed = n, true
		return
	}
	d := n - p.last
	p.last = n
	switch {
	case d >= uint64(p.opt.BusyCycles):
		p.quiet = 0
		if !p.busy {
			p.busy = true
			p.setGC(p.opt.Busy)
		}
	case d <= 1 && d < uint64(p.opt.BusyCycles):
		if !p.busy {
			return
		}
		if p.quiet++; p.quiet >= p.opt.Quiet {
			p.busy, p.quiet = false, 0
			p.setGC(p.opt.Idle)
			p.release() // collect now at the idle target and give the rest back
			p.last = p.cycles()
		}
	default:
		p.quiet = 0
	}
}

// Run steps every interval until ctx ends, then leaves the idle target.
func (p *Pacer) Run(ctx context.Context) {
	p.Step() // primes
	t := time.NewTicker(p.opt.Interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			if p.busy {
				p.setGC(p.opt.Idle)
			}
			return
		case <-t.C:
			p.Step()
		}
	}
}

func gcCycles() uint64 {
	s := []metrics.Sample{{Name: "/gc/cycles/total:gc-cycles"}}
	metrics.Read(s)
	if s[0].Value.Kind() != metrics.KindUint64 {
		return 0
	}
	return s[0].Value.Uint64()
}
