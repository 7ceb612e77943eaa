package main

import (
	"os"
	"slices"
	"testing"
)

func TestParseStat(t *testing.T) {
	t.Parallel()
	// The command name holds a space and a ')', as python3 workers' can.
	line := "4242 (mistral (api) x) S 17 4242 4242 0 -1 4194560 1234 0 0 0 250 75 0 0 20 0 5 0 100 0 0"
	got, err := parseStat(line)
	if err != nil {
		t.Fatal(err)
	}
	if got.ppid != 17 || got.utime != 250 || got.stime != 75 {
		t.Errorf("parseStat = %+v, want ppid 17 utime 250 stime 75", got)
	}
	if _, err := parseStat("garbage"); err == nil {
		t.Error("parseStat(garbage): want an error")
	}
}

func TestParseStatus(t *testing.T) {
	t.Parallel()
	in := "Name:\tsirocco\nVmHWM:\t   40960 kB\nVmRSS:\t   30720 kB\nThreads:\t9\n"
	got := parseStatus(in)
	want := Status{RSSkB: 30720, HWMkB: 40960, Threads: 9}
	if got != want {
		t.Errorf("parseStatus = %+v, want %+v", got, want)
	}
}

func TestProcsSelf(t *testing.T) {
	t.Parallel()
	p, err := NewProcs([]int{os.Getpid()}, true)
	if err != nil {
		t.Fatal(err)
	}
	s := p.Sample()
	if s.RSSkB <= 0 || s.Threads <= 0 || s.FDs <= 0 {
		t.Errorf("Sample of this test process = %+v, want positive RSS, threads and fds", s)
	}
	if p.CPU() < 0 {
		t.Errorf("CPU() = %v, want >= 0", p.CPU())
	}
	if _, err := NewProcs([]int{1 << 30}, false); err == nil {
		t.Error("NewProcs(nonexistent pid): want an error")
	}
}

func TestParsePIDs(t *testing.T) {
	t.Parallel()
	got, err := parsePIDs("1, 22,333,")
	if err != nil || len(got) != 3 || got[0] != 1 || got[1] != 22 || got[2] != 333 {
		t.Errorf("parsePIDs = %v, %v; want [1 22 333]", got, err)
	}
	for _, bad := range []string{"x", "-3", "0"} {
		if _, err := parsePIDs(bad); err == nil {
			t.Errorf("parsePIDs(%q): want an error", bad)
		}
	}
}

func TestGrowth(t *testing.T) {
	t.Parallel()
	// Sample 0 (before load) is ignored; 8 samples, quarters of 2.
	samples := []Status{{RSSkB: 1024, Threads: 3, FDs: 5}}
	for i := range 8 {
		samples = append(samples, Status{RSSkB: int64(10240 + i*1024), Threads: 10, FDs: 20 + i%2})
	}
	g := growth(samples)
	// first quarter mean 10.5 MB, last quarter mean 16.5 MB
	if g.rssMB != 6 || g.threads != 0 || g.fds != 0 {
		t.Errorf("growth = %+v, want rss +6 MB, threads 0, fds 0", g)
	}
	if g.maxRSS != 17*1024 || g.maxThreads != 10 || g.maxFDs != 21 {
		t.Errorf("maxima = %+v", g)
	}
}

func TestNewClientRefusesNonLoopback(t *testing.T) {
	t.Parallel()
	for _, u := range []string{"http://10.0.0.1:8989/v2", "http://example.com/v2", "https://127.0.0.1/v2", "ftp://127.0.0.1", "http://127.0.0.1:1/v2,http://10.0.0.1:2/v2"} {
		if _, err := NewClient(u, 1); err == nil {
			t.Errorf("NewClient(%q): want an error", u)
		}
	}
	for _, u := range []string{"http://127.0.0.1:8989/v2", "http://localhost:9898", "http://[::1]:1/v2/"} {
		c, err := NewClient(u, 1)
		if err != nil {
			t.Errorf("NewClient(%q): %v", u, err)
			continue
		}
		if b := c.base(); b[len(b)-3:] != "/v2" {
			t.Errorf("NewClient(%q).base = %q, want it to end in /v2", u, b)
		}
	}
	// Replicas take turns.
	c, err := NewClient("http://127.0.0.1:1,http://127.0.0.1:2/v2", 1)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for range 4 {
		got = append(got, c.base())
	}
	if want := []string{"http://127.0.0.1:1/v2", "http://127.0.0.1:2/v2", "http://127.0.0.1:1/v2", "http://127.0.0.1:2/v2"}; !slices.Equal(got, want) {
		t.Errorf("bases taken %v, want %v", got, want)
	}
}

func TestParseGoroutines(t *testing.T) {
	t.Parallel()
	page := "# HELP go_goroutines Number of goroutines.\n# TYPE go_goroutines gauge\ngo_goroutines 96\ngo_threads 10\n"
	if got := parseGoroutines(page); got != 96 {
		t.Errorf("parseGoroutines = %d, want 96", got)
	}
	if got := parseGoroutines("go_threads 10\n"); got != 0 {
		t.Errorf("parseGoroutines without the metric = %d, want 0", got)
	}
}
