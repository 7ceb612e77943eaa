package main

import (
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"reflect"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

const waitingWorkflow = `---
version: '2.0'
wait_for_it:
  output:
    got: <% $.got %>
  tasks:
    wait:
      action: std.async_noop
      publish:
        got: <% task().result %>
`

// TestRestartWhileWaiting kills the server (SIGKILL, no shutdown) while
// work is pending and checks that a new process on the same database
// carries on.
func TestRestartWhileWaiting(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the server binary and runs it as a subprocess; skipped with -short")
	}
	t.Parallel()
	bin := buildServer(t)

	t.Run("async_noop completed after restart", func(t *testing.T) {
		t.Parallel()
		db := filepath.Join(t.TempDir(), "sirocco.db")
		first := startProcess(t, bin, "-addr", "127.0.0.1:0", "-db", db, "-seed=false")
		createWorkflow(t, first.URL, waitingWorkflow)
		exID := startExecution(t, first.URL, map[string]any{"workflow_name": "wait_for_it"})
		actionID := str(t, runningAction(t, first.URL, exID), "id")

		first.kill(t)
		addr := strings.TrimPrefix(first.URL, "http://")
		second := startProcess(t, bin, "-addr", addr, "-db", db, "-seed=false")

		ae := mustDo(t, http.StatusOK, http.MethodGet, second.URL+"/v2/action_executions/"+actionID, nil)
		if ae["state"] != "RUNNING" {
			t.Fatalf("after restart the action is %v, want RUNNING still", ae["state"])
		}
		mustDo(t, http.StatusOK, http.MethodPut, second.URL+"/v2/action_executions/"+actionID,
			map[string]any{"state": "SUCCESS", "output": map[string]any{"n": 1}})

		ex := waitState(t, second.URL+"/v2/executions/"+exID, "SUCCESS")
		want := map[string]any{"got": map[string]any{"n": float64(1)}}
		if got := decodeField(t, ex, "output"); !reflect.DeepEqual(got, want) {
			t.Errorf("execution output = %v, want %v", got, want)
		}
	})

	for _, stop := range []struct {
		name string
		sig  syscall.Signal
	}{{"SIGKILL", syscall.SIGKILL}, {"SIGTERM", syscall.SIGTERM}} {
		t.Run("mistral_http request in flight is sent again after "+stop.name, func(t *testing.T) {
			t.Parallel()
			// The web service holds the first request open, so the process
			// ends between sending it and recording that it was sent: the
			// job must survive and the request go out again. SIGTERM must
			// not wait for the request, nor count its abort as the action's
			// failure.
			type call struct{ actionID, callbackURL string }
			calls := make(chan call, 10)
			release := make(chan struct{})
			var n atomic.Int32
			web := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				calls <- call{r.Header.Get("Mistral-Action-Execution-Id"), r.Header.Get("Mistral-Callback-URL")}
				if n.Add(1) == 1 {
					select { // the first request hangs until the test ends
					case <-release:
					case <-r.Context().Done():
					}
				}
				w.WriteHeader(http.StatusAccepted)
			}))
			t.Cleanup(func() { close(release); web.Close() })

			db := filepath.Join(t.TempDir(), "sirocco.db")
			first := startProcess(t, bin, "-addr", "127.0.0.1:0", "-db", db, "-seed=false")
			createWorkflow(t, first.URL, `---
version: '2.0'
call_service:
  output:
    sum: <% $.sum %>
  tasks:
    call:
      action: std.mistral_http url="`+web.URL+`"
      publish:
        sum: <% task().result %>
`)
			exID := startExecution(t, first.URL, map[string]any{"workflow_name": "call_service"})
			var c1 call
			select {
			case c1 = <-calls:
			case <-time.After(waitTimeout):
				t.Fatalf("the web service was not called within %v", waitTimeout)
			}

			state := first.signal(t, stop.sig)
			if stop.sig == syscall.SIGTERM && (state == nil || !state.Success()) {
				t.Errorf("after SIGTERM the server ended with %v, want exit status 0", state)
			}
			addr := strings.TrimPrefix(first.URL, "http://")
			second := startProcess(t, bin, "-addr", addr, "-db", db, "-seed=false")

			var c2 call
			select {
			case c2 = <-calls:
			case <-time.After(waitTimeout):
				t.Fatalf("the request was not sent again within %v of the restart", waitTimeout)
			}
			if c2.actionID != c1.actionID || c1.actionID == "" {
				t.Errorf("Mistral-Action-Execution-Id of the resent request = %q, want the first one's %q", c2.actionID, c1.actionID)
			}
			if c2.callbackURL != second.URL {
				t.Errorf("Mistral-Callback-URL of the resent request = %q, want %q", c2.callbackURL, second.URL)
			}
			mustDo(t, http.StatusOK, http.MethodPost, c2.callbackURL+"/v2/action-executions/"+c2.actionID,
				map[string]any{"state": "SUCCESS", "output": 3})
			ex := waitState(t, second.URL+"/v2/executions/"+exID, "SUCCESS")
			want := map[string]any{"sum": float64(3)}
			if got := decodeField(t, ex, "output"); !reflect.DeepEqual(got, want) {
				t.Errorf("execution output = %v, want %v", got, want)
			}
		})
	}
}
