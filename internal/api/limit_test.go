package api_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/labstack/echo/v4"
	"github.com/sirocco-project/sirocco/internal/api"
	"github.com/sirocco-project/sirocco/internal/engine"
	"github.com/sirocco-project/sirocco/internal/sqlite"
)

// TestParseSlots: with N parse slots held, the next definition (create,
// update or validate) is answered 503 with Retry-After at once; once the
// slots are given back, every held request completes.
func TestParseSlots(t *testing.T) {
	const slots = 3
	ctx := context.Background()
	st, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "slots.db"), sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	a := api.New(engine.New(engine.Config{Store: st}), nil)
	a.SetParseSlots(slots)
	entered, release := make(chan struct{}), make(chan struct{})
	var inside atomic.Int32
	api.SetParsing(a, func() {
		if n := inside.Add(1); n > slots {
			t.Errorf("%d definitions parsed at once, want at most %d", n, slots)
			return
		}
		entered <- struct{}{}
		<-release
	})
	e := echo.New()
	a.Register(e)
	ts := httptest.NewServer(e)
	defer ts.Close()

	post := func(path, body string) (int, string) {
		resp, err := http.Post(ts.URL+path, "text/plain", strings.NewReader(body))
		if err != nil {
			t.Error(err)
			return 0, ""
		}
		resp.Body.Close()
		return resp.StatusCode, resp.Header.Get("Retry-After")
	}
	wf := func(i int) string {
		return "version: '2.0'\nwf" + string(rune('a'+i)) + ":\n  tasks:\n    t:\n      action: std.noop\n"
	}
	var wg sync.WaitGroup
	held := make([]int, slots)
	for i := range slots {
		wg.Add(1)
		go func() {
			defer wg.Done()
			held[i], _ = post("/v2/workflows", wf(i))
		}()
	}
	for range slots {
		<-entered // the barrier: every slot is taken
	}
	for _, path := range []string{"/v2/workflows", "/v2/workflows/validate", "/v2/workbooks", "/v2/actions"} {
		status, retry := post(path, wf(slots))
		if status != http.StatusServiceUnavailable || retry == "" {
			t.Errorf("POST %s with %d slots held: %d, Retry-After %q; want 503 with Retry-After", path, slots, status, retry)
		}
	}
	close(release)
	wg.Wait()
	for i, status := range held {
		if status != http.StatusCreated {
			t.Errorf("held request %d: %d, want 201", i, status)
		}
	}
	// The slots are free again.
	api.SetParsing(a, nil)
	if status, _ := post("/v2/workflows/validate", wf(0)); status != http.StatusOK {
		t.Errorf("validate after the slots were given back: %d, want 200", status)
	}
}
