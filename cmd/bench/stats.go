package main

import (
	"fmt"
	"math"
	"slices"
	"time"
)

// Summary is the distribution of one kind of latency.
type Summary struct {
	Count         int
	Min, Max      time.Duration
	Mean          time.Duration
	P50, P95, P99 time.Duration
}

// Percentile returns the p-th percentile (0 < p <= 100) of sorted by the
// nearest-rank method: the smallest sample such that at least p% of the
// samples are less than or equal to it. Nearest rank never invents a value
// between two samples, so a reported p99 is a latency some request really
// had. It returns 0 for no samples.
func Percentile(sorted []time.Duration, p float64) time.Duration {
	n := len(sorted)
	if n == 0 {
		return 0
	}
	rank := int(math.Ceil(p / 100 * float64(n)))
	rank = max(rank, 1)
	rank = min(rank, n)
	return sorted[rank-1]
}

// Summarize sorts a copy of samples and summarises it.
func Summarize(samples []time.Duration) Summary {
	if len(samples) == 0 {
		return Summary{}
	}
	s := slices.Clone(samples)
	slices.Sort(s)
	var sum time.Duration
	for _, d := range s {
		sum += d
	}
	return Summary{
		Count: len(s),
		Min:   s[0],
		Max:   s[len(s)-1],
		Mean:  sum / time.Duration(len(s)),
		P50:   Percentile(s, 50),
		P95:   Percentile(s, 95),
		P99:   Percentile(s, 99),
	}
}

// String is one report line in milliseconds.
func (s Summary) String() string {
	if s.Count == 0 {
		return "no samples"
	}
	return fmt.Sprintf("n=%d p50=%s p95=%s p99=%s mean=%s max=%s",
		s.Count, ms(s.P50), ms(s.P95), ms(s.P99), ms(s.Mean), ms(s.Max))
}

// ms formats d in milliseconds with enough digits for sub-millisecond values.
func ms(d time.Duration) string {
	return fmt.Sprintf("%.2fms", float64(d)/float64(time.Millisecond))
}

// Rate is events per second over elapsed; 0 when nothing elapsed.
func Rate(n int, elapsed time.Duration) float64 {
	if elapsed <= 0 {
		return 0
	}
	return float64(n) / elapsed.Seconds()
}

// Median returns the median of xs (the mean of the two middle values for an
// even count), for reporting the typical run of several; 0 for none.
func Median(xs []float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	m := len(s) / 2
	if len(s)%2 == 1 {
		return s[m]
	}
	return (s[m-1] + s[m]) / 2
}

// Recorder collects latency samples from several goroutines through
// per-worker slices, so recording takes no lock.
type Recorder struct {
	per [][]time.Duration
}

// NewRecorder makes a recorder for workers goroutines.
func NewRecorder(workers int) *Recorder {
	return &Recorder{per: make([][]time.Duration, workers)}
}

// Add records d for worker w; only worker w may call it with w.
func (r *Recorder) Add(w int, d time.Duration) { r.per[w] = append(r.per[w], d) }

// All returns every sample; call it after the workers are done.
func (r *Recorder) All() []time.Duration {
	var out []time.Duration
	for _, p := range r.per {
		out = append(out, p...)
	}
	return out
}
