package api_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"

	"github.com/labstack/echo/v4"
	"github.com/sirocco-project/sirocco/internal/api"
	"github.com/sirocco-project/sirocco/internal/engine"
	"github.com/sirocco-project/sirocco/internal/sqlite"
)

// fuzzRouter is the real router over a real store, served in-process (no
// sockets) so that fuzzing runs fast; it has one pending action execution.
func fuzzRouter(f *testing.F) (*echo.Echo, string) {
	f.Helper()
	ctx := context.Background()
	st, err := sqlite.Open(ctx, filepath.Join(f.TempDir(), "fuzz.db"), sqlite.Options{Sync: sqlite.SyncNormal})
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() { st.Close() })
	eng := engine.New(engine.Config{Store: st, BaseURL: "http://sirocco.test", MaxOutputBytes: 4096})
	e := echo.New()
	api.New(eng, nil).Register(e)
	a, err := eng.RunAction(ctx, engine.RunRequest{Name: "std.async_noop"})
	if err != nil {
		f.Fatal(err)
	}
	return e, a.ID
}

func serve(e *echo.Echo, method, target, body string) int {
	path, query, _ := strings.Cut(target, "?")
	req := httptest.NewRequest(method, "/", strings.NewReader(body))
	// Set the URL directly: the fuzzer's bytes need not form a valid request line.
	req.URL.Path, req.URL.RawQuery = path, query
	req.Header.Set("Content-Type", "application/json")
	rec := httptest.NewRecorder()
	e.ServeHTTP(rec, req)
	return rec.Code
}

// FuzzCallbackBody: no callback body yields a 500 (or a panic).
func FuzzCallbackBody(f *testing.F) {
	for _, seed := range []string{
		`{"state": "SUCCESS", "output": 3}`, `{"state": "ERROR"}`, `{"state": "PAUSED"}`, `{"state": "RUNNING"}`,
		`{"state": "CANCELLED", "output": null}`, `{"state": "SUCCESS", "output": "{\"a\": [1, 2.5e300]}"}`,
		`{"state": 1}`, `{"output": {"x": {"y": [true, null]}}}`, `[]`, `null`, `{`, `{"state": "SUCCESS", "id": "x", "name": "y"}`,
		`{"state": "SUCCESS", "output": 1e400}`, `{"state": "SUCCESS", "output": "\ud800"}`,
	} {
		f.Add(seed)
	}
	e, id := fuzzRouter(f)
	f.Fuzz(func(t *testing.T, body string) {
		for _, target := range []string{"/v2/action_executions/" + id, "/v2/action-executions/" + id, "/v2/action_executions/nope"} {
			if code := serve(e, http.MethodPut, target, body); code >= 500 {
				t.Fatalf("PUT %s %q: status %d", target, body, code)
			}
		}
	})
}

// FuzzListQuery: no list query yields a 500; bad names are 400s.
func FuzzListQuery(f *testing.F) {
	for _, seed := range []string{
		"limit=2&sort_keys=created_at&sort_dirs=desc", "state=in:RUNNING,PAUSED", "fields=id,state",
		"marker=nope", "sort_keys=created_at;DROP TABLE jobs", "state=neq:", "created_at=gte:2026-01-01",
		"accepted=maybe", "nulls=root_execution_id", "limit=-1", "include_output=true&name=has:async",
		"sort_keys=id,id,id&sort_dirs=asc,desc,asc", "%zz", "state=in:", "limit=99999999999999999999",
	} {
		f.Add(seed)
	}
	e, _ := fuzzRouter(f)
	f.Fuzz(func(t *testing.T, query string) {
		for _, path := range []string{"/v2/executions", "/v2/action_executions", "/v2/tasks", "/v2/workflows"} {
			if code := serve(e, http.MethodGet, path+"?"+query, ""); code >= 500 {
				t.Fatalf("GET %s?%s: status %d", path, query, code)
			}
		}
	})
}
