package main

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"sync/atomic"
	"testing"
)

// runClient runs a client verb in-process, as main would.
func runClient(t *testing.T, args ...string) (string, error) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	err := run(context.Background(), args, noEnv, &stdout, &stderr)
	return stdout.String(), err
}

// TestClientVerbs drives action-execution-list and action-execution-update
// against a real server.
func TestClientVerbs(t *testing.T) {
	t.Parallel()
	srv := startServer(t)
	createWorkflow(t, srv.URL, waitingWorkflow)
	pendingEx := startExecution(t, srv.URL, map[string]any{"workflow_name": "wait_for_it"})
	doneEx := startExecution(t, srv.URL, map[string]any{"workflow_name": "wait_for_it"})
	pending := str(t, runningAction(t, srv.URL, pendingEx), "id")
	done := str(t, runningAction(t, srv.URL, doneEx), "id")
	mustDo(t, http.StatusOK, http.MethodPut, srv.URL+"/v2/action_executions/"+done, map[string]any{"state": "SUCCESS", "output": "x"})
	waitState(t, srv.URL+"/v2/executions/"+doneEx, "SUCCESS")

	t.Run("list", func(t *testing.T) {
		for _, tt := range []struct {
			name        string
			args        []string
			want, avoid []string
		}{
			{"RUNNING only", []string{"action-execution-list", "--state", "RUNNING", "--url", srv.URL}, []string{pending, "RUNNING"}, []string{done, "SUCCESS"}},
			{"lower-case state, URL with /v2", []string{"action-execution-list", "--state=running", "--url", srv.URL + "/v2/"}, []string{pending}, []string{done}},
			{"all", []string{"action-execution-list", "--url", srv.URL}, []string{pending, done, "std.async_noop", "wait_for_it"}, nil},
			{"SUCCESS only", []string{"action-execution-list", "--state", "SUCCESS", "--url", srv.URL}, []string{done}, []string{pending}},
		} {
			out, err := runClient(t, tt.args...)
			if err != nil {
				t.Errorf("%s: run %q: %v", tt.name, tt.args, err)
				continue
			}
			if !strings.HasPrefix(out, "ID ") {
				t.Errorf("%s: output does not start with the header row:\n%s", tt.name, out)
			}
			for _, w := range tt.want {
				if !strings.Contains(out, w) {
					t.Errorf("%s: output lacks %q:\n%s", tt.name, w, out)
				}
			}
			for _, a := range tt.avoid {
				if strings.Contains(out, a) {
					t.Errorf("%s: output contains %q:\n%s", tt.name, a, out)
				}
			}
		}
	})

	t.Run("usage errors send nothing", func(t *testing.T) {
		var requests atomic.Int32
		counter := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			requests.Add(1)
			http.Error(w, "the client should not have called", http.StatusTeapot)
		}))
		t.Cleanup(counter.Close)
		for _, tt := range []struct {
			name string
			args []string
			want string // fragment of the error
		}{
			{"output not JSON", []string{"action-execution-update", pending, "--state", "SUCCESS", "--output", "hello", "--url", counter.URL}, "--output must be JSON"},
			{"missing id", []string{"action-execution-update", "--state", "SUCCESS", "--output", "3", "--url", counter.URL}, "usage: action-execution-update <id>"},
			{"two ids", []string{"action-execution-update", pending, done, "--state", "SUCCESS", "--url", counter.URL}, "usage: action-execution-update <id>"},
			{"neither state nor output", []string{"action-execution-update", pending, "--url", counter.URL}, "Please provide either state or output"},
			{"flag without value", []string{"action-execution-update", pending, "--url", counter.URL, "--state"}, "needs a value"},
			{"unknown flag", []string{"action-execution-update", pending, "--state", "SUCCESS", "--bogus", "1", "--url", counter.URL}, "unknown flag --bogus"},
			{"list: unknown flag", []string{"action-execution-list", "--output", "3", "--url", counter.URL}, "unknown flag --output"},
		} {
			out, err := runClient(t, tt.args...)
			var ue usageError
			if !errors.As(err, &ue) {
				t.Errorf("%s: run %q = %v (%T), want a usageError", tt.name, tt.args, err, err)
				continue
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("%s: error %q, want it to contain %q", tt.name, err, tt.want)
			}
			if out != "" {
				t.Errorf("%s: printed %q, want nothing", tt.name, out)
			}
		}
		if n := requests.Load(); n != 0 {
			t.Errorf("usage errors sent %d requests, want 0", n)
		}
		ae := mustDo(t, http.StatusOK, http.MethodGet, srv.URL+"/v2/action_executions/"+pending, nil)
		if ae["state"] != "RUNNING" {
			t.Errorf("after the usage errors the action is %v, want RUNNING", ae["state"])
		}
	})

	t.Run("update", func(t *testing.T) {
		out, err := runClient(t, "action-execution-update", pending, "--state", "SUCCESS", "--output", "3", "--url", srv.URL)
		if err != nil {
			t.Fatalf("action-execution-update: %v", err)
		}
		for _, w := range []string{"Field", pending, "SUCCESS", "Accepted", "true", `{"result": 3}`} {
			if !strings.Contains(out, w) {
				t.Errorf("action-execution-update output lacks %q:\n%s", w, out)
			}
		}
		ex := waitState(t, srv.URL+"/v2/executions/"+pendingEx, "SUCCESS")
		if got, want := decodeField(t, ex, "output"), map[string]any{"got": float64(3)}; !reflect.DeepEqual(got, want) {
			t.Errorf("execution output = %v, want %v", got, want)
		}

		// A different result for a completed action is refused with the
		// server's faultstring, and the recorded one stays.
		_, err = runClient(t, "action-execution-update", pending, "--state", "SUCCESS", "--output", "4", "--url", srv.URL)
		if err == nil || !strings.Contains(err.Error(), "already completed") || !strings.Contains(err.Error(), "409") {
			t.Errorf("second update = %v, want an error naming the conflict (already completed, HTTP 409)", err)
		}
		var ue usageError
		if errors.As(err, &ue) {
			t.Errorf("second update: %v is a usageError, want a server error", err)
		}
		ae := mustDo(t, http.StatusOK, http.MethodGet, srv.URL+"/v2/action_executions/"+pending, nil)
		if got, want := decodeField(t, ae, "output"), map[string]any{"result": float64(3)}; !reflect.DeepEqual(got, want) {
			t.Errorf("after the refused update the output is %v, want %v", got, want)
		}
	})

	t.Run("unknown id", func(t *testing.T) {
		_, err := runClient(t, "action-execution-update", "00000000-0000-0000-0000-000000000000", "--state", "SUCCESS", "--url", srv.URL)
		if err == nil || !strings.Contains(err.Error(), "not found") || !strings.Contains(err.Error(), "404") {
			t.Errorf("update of an unknown id = %v, want a not-found error (HTTP 404)", err)
		}
	})
}

// TestClientErrorsNameTheURL: whatever goes wrong, the client's error says
// which method and URL it tried — a refused connection (the usual wrong
// port), a fault from the server, an answer that is not Sirocco's — and
// the login's errors name the login URL.
func TestClientErrorsNameTheURL(t *testing.T) {
	t.Parallel()
	gone := httptest.NewServer(http.NotFoundHandler())
	gone.Close()
	faulty := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusNotFound)
		io.WriteString(w, `{"faultcode": "Client", "faultstring": "Action execution not found [id=nope]", "debuginfo": null}`)
	}))
	t.Cleanup(faulty.Close)
	notSirocco := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "<html>hello</html>") }))
	t.Cleanup(notSirocco.Close)
	for _, tt := range []struct {
		name string
		args []string
		env  map[string]string
		want []string
	}{
		{"connection refused", []string{"action-execution-list", "--url", gone.URL}, nil,
			[]string{"GET " + gone.URL + "/v2/action_executions", "SIROCCO_URL"}},
		{"a fault", []string{"action-execution-update", "nope", "--state", "SUCCESS", "--url", faulty.URL}, nil,
			[]string{"PUT " + faulty.URL + "/v2/action_executions/nope", "not found", "HTTP 404"}},
		{"not Sirocco", []string{"action-execution-list", "--url", notSirocco.URL}, nil,
			[]string{"GET " + notSirocco.URL + "/v2/action_executions", "not the JSON expected"}},
		{"login refused", []string{"action-execution-list"}, map[string]string{"SIROCCO_URL": gone.URL, "SIROCCO_USERNAME": "ann", "SIROCCO_PASSWORD": "pw"},
			[]string{"log in as ann at POST " + gone.URL + "/v3/auth/tokens"}},
	} {
		var stdout bytes.Buffer
		getenv := func(k string) string { return tt.env[k] }
		err := clientVerbs[tt.args[0]](context.Background(), tt.args[1:], getenv, &stdout)
		if err == nil {
			t.Errorf("%s: no error", tt.name)
			continue
		}
		for _, w := range tt.want {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("%s: error %q lacks %q", tt.name, err, w)
			}
		}
	}
}

// TestBannerNamesTheURL: a server away from the default address prints
// the SIROCCO_URL the client verbs (and the README's tour) need.
func TestBannerNamesTheURL(t *testing.T) {
	t.Parallel()
	s := startServer(t)
	if want := "export SIROCCO_URL=" + s.URL + "\n"; !strings.Contains(s.stdout.String(), want) {
		t.Errorf("the banner lacks %q:\n%s", want, s.stdout.String())
	}
}
