package main

import (
	"strings"
	"testing"
	"time"
)

func TestPercentile(t *testing.T) {
	t.Parallel()
	hundred := make([]time.Duration, 100)
	for i := range hundred {
		hundred[i] = time.Duration(i+1) * time.Millisecond // 1ms..100ms
	}
	tests := []struct {
		name   string
		sorted []time.Duration
		p      float64
		want   time.Duration
	}{
		{"empty", nil, 50, 0},
		{"one sample p50", []time.Duration{7}, 50, 7},
		{"one sample p99", []time.Duration{7}, 99, 7},
		{"two samples p50 is the lower", []time.Duration{1, 9}, 50, 1},
		{"two samples p51 is the upper", []time.Duration{1, 9}, 51, 9},
		{"1..100 p50", hundred, 50, 50 * time.Millisecond},
		{"1..100 p95", hundred, 95, 95 * time.Millisecond},
		{"1..100 p99", hundred, 99, 99 * time.Millisecond},
		{"1..100 p100", hundred, 100, 100 * time.Millisecond},
		{"1..100 p0.1 clamps to the first", hundred, 0.1, 1 * time.Millisecond},
		{"1..100 p99.5 rounds up", hundred, 99.5, 100 * time.Millisecond},
		{"ten p99 is the max", []time.Duration{1, 2, 3, 4, 5, 6, 7, 8, 9, 10}, 99, 10},
		{"ten p90", []time.Duration{1, 2, 3, 4, 5, 6, 7, 8, 9, 10}, 90, 9},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := Percentile(tt.sorted, tt.p); got != tt.want {
				t.Errorf("Percentile(%v, %v) = %v, want %v", tt.sorted, tt.p, got, tt.want)
			}
		})
	}
}

func TestSummarizeUnsortedInputKeepsCaller(t *testing.T) {
	t.Parallel()
	in := []time.Duration{30, 10, 20, 40}
	got := Summarize(in)
	want := Summary{Count: 4, Min: 10, Max: 40, Mean: 25, P50: 20, P95: 40, P99: 40}
	if got != want {
		t.Errorf("Summarize(%v) = %+v, want %+v", in, got, want)
	}
	if in[0] != 30 || in[1] != 10 {
		t.Errorf("Summarize reordered its input: %v", in)
	}
	if z := Summarize(nil); z != (Summary{}) {
		t.Errorf("Summarize(nil) = %+v, want zero", z)
	}
}

func TestSummarizeSkewed(t *testing.T) {
	t.Parallel()
	// 990 fast requests and 10 slow ones: p99 must still be fast (the 990th
	// sample), the max slow, and p99.9 would catch the tail.
	var s []time.Duration
	for range 990 {
		s = append(s, time.Millisecond)
	}
	for range 10 {
		s = append(s, time.Second)
	}
	got := Summarize(s)
	if got.P99 != time.Millisecond {
		t.Errorf("p99 = %v, want 1ms", got.P99)
	}
	if got.Max != time.Second {
		t.Errorf("max = %v, want 1s", got.Max)
	}
	if got.P50 != time.Millisecond {
		t.Errorf("p50 = %v, want 1ms", got.P50)
	}
	wantMean := (990*time.Millisecond + 10*time.Second) / 1000
	if got.Mean != wantMean {
		t.Errorf("mean = %v, want %v", got.Mean, wantMean)
	}
}

func TestRateAndMedian(t *testing.T) {
	t.Parallel()
	if got := Rate(500, 250*time.Millisecond); got != 2000 {
		t.Errorf("Rate(500, 250ms) = %v, want 2000", got)
	}
	if got := Rate(5, 0); got != 0 {
		t.Errorf("Rate(5, 0) = %v, want 0", got)
	}
	for _, tt := range []struct {
		in   []float64
		want float64
	}{
		{nil, 0},
		{[]float64{3}, 3},
		{[]float64{5, 1, 3}, 3},
		{[]float64{4, 1, 3, 2}, 2.5},
	} {
		if got := Median(tt.in); got != tt.want {
			t.Errorf("Median(%v) = %v, want %v", tt.in, got, tt.want)
		}
	}
}

func TestRecorder(t *testing.T) {
	t.Parallel()
	r := NewRecorder(3)
	done := make(chan struct{})
	for w := range 3 {
		go func() {
			defer func() { done <- struct{}{} }()
			for i := range 100 {
				r.Add(w, time.Duration(i))
			}
		}()
	}
	for range 3 {
		<-done
	}
	if got := len(r.All()); got != 300 {
		t.Errorf("len(All()) = %d, want 300", got)
	}
}

func TestParseFlags(t *testing.T) {
	t.Parallel()
	var sink strings.Builder
	for _, args := range [][]string{
		{"-mode", "nope"},
		{"-n", "0"},
		{"-c", "-1"},
		{"-mode", "soak", "-rate", "0"},
	} {
		if _, err := parseFlags(args, &sink); err == nil {
			t.Errorf("parseFlags(%q): want an error", args)
		}
	}
	cfg, err := parseFlags([]string{"-mode", "callback", "-n", "7", "-c", "3"}, &sink)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.mode != "callback" || cfg.n != 7 || cfg.c != 3 {
		t.Errorf("parseFlags = %+v", cfg)
	}
}
