package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"
)

// clockTicks is USER_HZ, the unit of utime and stime in /proc/PID/stat. It
// is 100 on every Linux architecture Go supports (the kernel exports it
// fixed, whatever CONFIG_HZ is), and reading sysconf would need cgo.
const clockTicks = 100

// Procs is the set of server processes being measured: the PIDs given on
// the command line and, when tree is set, their descendants (Mistral's
// launcher forks its API worker; RabbitMQ's beam is passed separately).
type Procs struct {
	roots []int
	tree  bool
}

// NewProcs resolves pids, adding descendants when tree is set.
func NewProcs(pids []int, tree bool) (*Procs, error) {
	for _, p := range pids {
		if _, err := os.Stat(fmt.Sprintf("/proc/%d", p)); err != nil {
			return nil, fmt.Errorf("pid %d: %w", p, err)
		}
	}
	return &Procs{roots: pids, tree: tree}, nil
}

// PIDs lists the measured processes now. Descendants are looked up again
// on every reading: PostgreSQL starts a backend for each connection its
// clients' pools open during a run, and those must count too.
func (p *Procs) PIDs() []int {
	if p.tree {
		return withDescendants(p.roots)
	}
	return p.roots
}

// parsePIDs reads "1,2,3".
func parsePIDs(s string) ([]int, error) {
	var out []int
	for _, f := range strings.Split(s, ",") {
		f = strings.TrimSpace(f)
		if f == "" {
			continue
		}
		n, err := strconv.Atoi(f)
		if err != nil || n <= 0 {
			return nil, fmt.Errorf("bad pid %q", f)
		}
		out = append(out, n)
	}
	return out, nil
}

// withDescendants adds every live descendant of roots, found by parent PID.
func withDescendants(roots []int) []int {
	parent := map[int]int{}
	ents, _ := os.ReadDir("/proc")
	for _, e := range ents {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		if st, err := readStat(pid); err == nil {
			parent[pid] = st.ppid
		}
	}
	seen := map[int]bool{}
	var out []int
	var walk func(int)
	walk = func(p int) {
		if seen[p] {
			return
		}
		seen[p] = true
		out = append(out, p)
		for c, pp := range parent {
			if pp == p {
				walk(c)
			}
		}
	}
	for _, r := range roots {
		walk(r)
	}
	return out
}

type procStat struct {
	ppid         int
	utime, stime uint64 // clock ticks
}

// readStat parses /proc/PID/stat; the command name may hold spaces and
// parentheses, so fields are counted from the last ')'.
func readStat(pid int) (procStat, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return procStat{}, err
	}
	return parseStat(string(b))
}

func parseStat(s string) (procStat, error) {
	i := strings.LastIndexByte(s, ')')
	if i < 0 {
		return procStat{}, fmt.Errorf("malformed stat")
	}
	f := strings.Fields(s[i+1:])
	// f[0] is field 3 (state); ppid is field 4, utime 14, stime 15.
	if len(f) < 13 {
		return procStat{}, fmt.Errorf("short stat")
	}
	ppid, _ := strconv.Atoi(f[1])
	ut, err1 := strconv.ParseUint(f[11], 10, 64)
	st, err2 := strconv.ParseUint(f[12], 10, 64)
	if err1 != nil || err2 != nil {
		return procStat{}, fmt.Errorf("bad utime/stime")
	}
	return procStat{ppid: ppid, utime: ut, stime: st}, nil
}

// CPU is the total user+system CPU time the processes have used so far.
// A process that has exited contributes nothing.
func (p *Procs) CPU() time.Duration {
	var ticks uint64
	for _, pid := range p.PIDs() {
		if st, err := readStat(pid); err == nil {
			ticks += st.utime + st.stime
		}
	}
	return time.Duration(ticks) * time.Second / clockTicks
}

// Status is a sample of /proc/PID/status and /proc/PID/fd, summed over the
// processes.
type Status struct {
	RSSkB, HWMkB int64
	Threads      int
	FDs          int
	Goroutines   int // from the server's /metrics when it has one (Sirocco), else 0
}

// Sample reads the processes' status now.
func (p *Procs) Sample() Status {
	var s Status
	for _, pid := range p.PIDs() {
		b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
		if err != nil {
			continue
		}
		st := parseStatus(string(b))
		s.RSSkB += st.RSSkB
		s.HWMkB += st.HWMkB
		s.Threads += st.Threads
		if ents, err := os.ReadDir(filepath.Join("/proc", strconv.Itoa(pid), "fd")); err == nil {
			s.FDs += len(ents)
		}
	}
	return s
}

func parseStatus(s string) Status {
	var st Status
	for _, line := range strings.Split(s, "\n") {
		k, v, ok := strings.Cut(line, ":")
		if !ok {
			continue
		}
		f := strings.Fields(v)
		if len(f) == 0 {
			continue
		}
		n, _ := strconv.ParseInt(f[0], 10, 64)
		switch k {
		case "VmRSS":
			st.RSSkB = n
		case "VmHWM":
			st.HWMkB = n
		case "Threads":
			st.Threads = int(n)
		}
	}
	return st
}

// PeakRSS samples the summed RSS every interval until Stop, keeping the
// highest value: VmHWM is per process and since its start, this is the
// peak of the sum during the run.
type PeakRSS struct {
	stop chan struct{}
	done chan struct{}
	mu   sync.Mutex
	peak int64
}

// WatchRSS starts sampling p; a nil p gives a watcher that records nothing.
func WatchRSS(p *Procs, every time.Duration) *PeakRSS {
	w := &PeakRSS{stop: make(chan struct{}), done: make(chan struct{})}
	go func() {
		defer close(w.done)
		if p == nil {
			<-w.stop
			return
		}
		t := time.NewTicker(every)
		defer t.Stop()
		for {
			rss := p.Sample().RSSkB
			w.mu.Lock()
			w.peak = max(w.peak, rss)
			w.mu.Unlock()
			select {
			case <-w.stop:
				return
			case <-t.C:
			}
		}
	}()
	return w
}

// Stop ends sampling and returns the peak in kB.
func (w *PeakRSS) Stop() int64 {
	close(w.stop)
	<-w.done
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.peak
}

func mb(kB int64) string { return fmt.Sprintf("%.1f MB", float64(kB)/1024) }
