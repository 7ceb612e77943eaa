package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"regexp"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"
)

// fakeActions serves GET /v2/action_executions from total RUNNING actions
// a0000, a0001, … in order, honouring limit and marker (unless
// ignoreMarker), and records the markers it was asked for.
type fakeActions struct {
	total        int
	ignoreMarker bool

	mu      sync.Mutex
	markers []string
	queries []string
}

func (f *fakeActions) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path != "/v2/action_executions" {
		http.NotFound(w, r)
		return
	}
	q := r.URL.Query()
	f.mu.Lock()
	f.markers = append(f.markers, q.Get("marker"))
	f.queries = append(f.queries, r.URL.RawQuery)
	f.mu.Unlock()
	limit, err := strconv.Atoi(q.Get("limit"))
	if err != nil || limit <= 0 {
		http.Error(w, "bad limit", http.StatusBadRequest)
		return
	}
	from := 0
	if m := q.Get("marker"); m != "" && !f.ignoreMarker {
		if _, err := fmt.Sscanf(m, "a%d", &from); err != nil {
			http.Error(w, "bad marker", http.StatusNotFound)
			return
		}
		from++
	}
	page := []pendingAction{}
	for i := from; i < f.total && len(page) < limit; i++ {
		page = append(page, pendingAction{ID: fmt.Sprintf("a%04d", i), Name: asyncAction})
	}
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(map[string]any{"action_executions": page})
}

func fakeBench(t *testing.T, f *fakeActions, listers, limit int) *bench {
	t.Helper()
	ts := httptest.NewServer(f)
	t.Cleanup(ts.Close)
	cl, err := NewClient(ts.URL+"/v2", 2)
	if err != nil {
		t.Fatal(err)
	}
	cfg := &config{listers: listers, listEvery: time.Hour, listLimit: limit}
	return &bench{cfg: cfg, cl: cl, out: &bytes.Buffer{}, workflow: "wf"}
}

// A sweep pages with the last id of each page as the next marker and stops
// at the first page shorter than the limit; pages and actions are counted.
func TestListerSweep(t *testing.T) {
	for _, tc := range []struct {
		total, limit int
		markers      []string
	}{
		{1234, 500, []string{"", "a0499", "a0999"}},
		{1000, 500, []string{"", "a0499", "a0999"}}, // the last page is empty
		{499, 500, []string{""}},
		{0, 500, []string{""}},
		{3, 1, []string{"", "a0000", "a0001", "a0002"}},
	} {
		t.Run(fmt.Sprintf("%d_by_%d", tc.total, tc.limit), func(t *testing.T) {
			f := &fakeActions{total: tc.total}
			b := fakeBench(t, f, 1, tc.limit)
			l := newListers(b)
			if err := l.sweep(context.Background(), 0); err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(f.markers, tc.markers) {
				t.Errorf("markers %q, want %q", f.markers, tc.markers)
			}
			if got := l.pages.Load(); got != int64(len(tc.markers)) {
				t.Errorf("%d pages counted, want %d", got, len(tc.markers))
			}
			if got := l.items.Load(); got != int64(tc.total) {
				t.Errorf("%d actions counted, want %d", got, tc.total)
			}
			if got := len(l.rec.All()); got != len(tc.markers) {
				t.Errorf("%d page latencies, want %d", got, len(tc.markers))
			}
			want := regexp.MustCompile(`(^|&)limit=` + strconv.Itoa(tc.limit) + `(&|$)`)
			for _, q := range f.queries {
				v, _ := parseQuery(q)
				if !want.MatchString(q) || v["state"] != "RUNNING" || v["workflow_name"] != "wf" {
					t.Errorf("query %q: want state=RUNNING, workflow_name=wf, limit=%d", q, tc.limit)
				}
			}
		})
	}
}

func parseQuery(raw string) (map[string]string, error) {
	req, err := http.NewRequest(http.MethodGet, "http://x/?"+raw, nil)
	if err != nil {
		return nil, err
	}
	out := map[string]string{}
	for k, v := range req.URL.Query() {
		out[k] = v[0]
	}
	return out, nil
}

// A server that ignores the marker would be listed for ever; the sweep
// ends with an error instead.
func TestListerMarkerIgnored(t *testing.T) {
	f := &fakeActions{total: 1000, ignoreMarker: true}
	l := newListers(fakeBench(t, f, 1, 500))
	err := l.sweep(context.Background(), 0)
	if !errors.Is(err, errMarkerStuck) {
		t.Fatalf("err %v, want %v", err, errMarkerStuck)
	}
	if len(f.markers) != 2 {
		t.Errorf("%d pages asked, want 2", len(f.markers))
	}
}

// A lister sweeps at once and then once a tick, and stops when its ticks
// end; each sweep reads every page.
func TestListerRun(t *testing.T) {
	f := &fakeActions{total: 1200}
	b := fakeBench(t, f, 1, 500)
	l := newListers(b)
	tick := make(chan time.Time) // unbuffered: a send returns once the lister waits for it
	done := make(chan struct{})
	go func() { l.run(context.Background(), 0, tick); close(done) }()
	tick <- time.Time{}
	tick <- time.Time{}
	close(tick)
	<-done
	if got := l.sweeps.Load(); got != 3 {
		t.Errorf("%d sweeps, want 3 (one at once, one a tick)", got)
	}
	if got := l.pages.Load(); got != 9 {
		t.Errorf("%d pages, want 9 (3 a sweep)", got)
	}
	if got := l.items.Load(); got != 3600 {
		t.Errorf("%d actions, want 3600", got)
	}
	if n := b.errs.Load(); n != 0 {
		t.Errorf("%d failures", n)
	}
}

func TestListerFlags(t *testing.T) {
	for _, tc := range []struct {
		args []string
		ok   bool
	}{
		{[]string{"-mode", "pipeline", "-listers", "2"}, true},
		{[]string{"-mode", "callback", "-listers", "2", "-list-every", "100ms", "-list-limit", "500"}, true},
		{[]string{"-mode", "e2e", "-listers", "0"}, true},
		{[]string{"-mode", "e2e", "-listers", "2"}, false},
		{[]string{"-mode", "soak", "-listers", "1"}, false},
		{[]string{"-mode", "pipeline", "-listers", "-1"}, false},
		{[]string{"-mode", "pipeline", "-listers", "2", "-list-limit", "0"}, false},
		{[]string{"-mode", "pipeline", "-listers", "2", "-list-every", "0s"}, false},
	} {
		_, err := parseFlags(tc.args, &bytes.Buffer{})
		if (err == nil) != tc.ok {
			t.Errorf("%v: err %v, want ok=%v", tc.args, err, tc.ok)
		}
	}
	// The defaults are issue 18's: a page of 500 every 100 ms.
	cfg, err := parseFlags([]string{"-mode", "pipeline", "-listers", "2"}, &bytes.Buffer{})
	if err != nil || cfg.listLimit != 500 || cfg.listEvery != 100*time.Millisecond {
		t.Errorf("defaults: %+v, %v; want limit 500 every 100ms", cfg, err)
	}
}

// With -listers, both modes that time callbacks run the listers beside them
// against a real engine and report what they listed.
func TestListersBesideCallbacks(t *testing.T) {
	url := sirocco(t)
	for _, mode := range []string{"callback", "pipeline"} {
		t.Run(mode, func(t *testing.T) {
			var out bytes.Buffer
			err := run(context.Background(), []string{"-url", url, "-n", "60", "-c", "4", "-mode", mode,
				"-listers", "2", "-list-every", "5ms", "-list-limit", "7", "-timeout", "60s"}, &out)
			if err != nil {
				t.Fatalf("%v\n%s", err, out.String())
			}
			m := regexp.MustCompile(`(?m)^RESULT mode=` + mode + ` n=60 .* listers=2 list_every_ms=5 list_limit=7 list_sweeps=(\d+) list_pages=(\d+) list_items=(\d+) list_p50_ms=[0-9.]+ list_p99_ms=[0-9.]+$`).FindStringSubmatch(out.String())
			if m == nil {
				t.Fatalf("no RESULT line with the listers' figures:\n%s", out.String())
			}
			sweeps, _ := strconv.Atoi(m[1])
			pages, _ := strconv.Atoi(m[2])
			if sweeps < 2 || pages < sweeps {
				t.Errorf("%d sweeps, %d pages: want each of 2 listers to sweep at least once, a page or more each\n%s", sweeps, pages, out.String())
			}
			if !regexp.MustCompile(`(?m)^listers: 2 every 5ms, limit 7: `).MatchString(out.String()) {
				t.Errorf("no listers line:\n%s", out.String())
			}
		})
	}
}
