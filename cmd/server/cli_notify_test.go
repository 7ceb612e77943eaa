package main

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
)

// hookRecorder is a webhook receiver that records the events it gets.
type hookRecorder struct {
	*httptest.Server
	mu     sync.Mutex
	events []string
	bodies []map[string]any
	tokens []string
}

func newHookRecorder(t *testing.T) *hookRecorder {
	r := &hookRecorder{}
	r.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		b, _ := io.ReadAll(req.Body)
		var m map[string]any
		_ = json.Unmarshal(b, &m)
		r.mu.Lock()
		r.events = append(r.events, req.Header.Get("Sirocco-Event"))
		r.bodies = append(r.bodies, m)
		r.tokens = append(r.tokens, req.Header.Get("X-Token"))
		r.mu.Unlock()
	}))
	t.Cleanup(r.Close)
	return r
}

func (r *hookRecorder) got() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := slices.Clone(r.events)
	slices.Sort(out)
	return out
}

// TestMistralCLINotify: `mistral execution-create wf '{}' '{"notify": …}'`
// delivers Mistral's bodies to the webhook (with its headers, only the
// events it asked for), the server-wide -notify-url (SIROCCO_NOTIFY_URL)
// gets every event; the API shows the headers masked; a destination
// outside -notify-allow is refused naming the field; /metrics counts the
// deliveries.
func TestMistralCLINotify(t *testing.T) {
	t.Parallel()
	cli := newMistralCLI(t)
	hook, wide := newHookRecorder(t), newHookRecorder(t)
	srv := startServerEnv(t, map[string]string{"SIROCCO_NOTIFY_URL": wide.URL + "/all"}, "-notify-allow", "127.0.0.1")
	cli.url = srv.URL + "/v2"
	wfFile := filepath.Join(t.TempDir(), "wf.yaml")
	if err := os.WriteFile(wfFile, []byte("version: '2.0'\nwf:\n  tasks:\n    one:\n      action: std.noop\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	cli.ok(t, "workflow-create", wfFile)
	notify := `{"notify": [{"type": "webhook", "url": "` + hook.URL + `/hook", "headers": {"X-Token": "s3cret"}, "events": ["WORKFLOW_SUCCEEDED", "TASK_SUCCEEDED"]}]}`
	ex := cli.show(t, "execution-create", "wf", "{}", notify)
	exID, _ := ex["ID"].(string)
	if exID == "" {
		t.Fatalf("execution-create printed no ID: %v", ex)
	}
	poll(t, "the notifications", func() (bool, string) {
		return len(hook.got()) >= 2 && len(wide.got()) >= 4, strings.Join(hook.got(), ",") + " / " + strings.Join(wide.got(), ",")
	})
	if got := hook.got(); !slices.Equal(got, []string{"TASK_SUCCEEDED", "WORKFLOW_SUCCEEDED"}) {
		t.Errorf("the execution's webhook got %v; want the two events it asked for", got)
	}
	if got := wide.got(); !slices.Equal(got, []string{"TASK_LAUNCHED", "TASK_SUCCEEDED", "WORKFLOW_LAUNCHED", "WORKFLOW_SUCCEEDED"}) {
		t.Errorf("the server-wide receiver got %v; want every event", got)
	}
	hook.mu.Lock()
	for i, b := range hook.bodies {
		if hook.tokens[i] != "s3cret" {
			t.Errorf("the webhook got X-Token %q; want the notifier's header", hook.tokens[i])
		}
		if b["event"] == "WORKFLOW_SUCCEEDED" && (b["id"] != exID || b["workflow_name"] != "wf" || b["state"] != "SUCCESS") {
			t.Errorf("WORKFLOW_SUCCEEDED body %v", b)
		}
	}
	hook.mu.Unlock()

	// The CLI shows no params; the API it reads does.
	res, err := http.Get(srv.URL + "/v2/executions/" + exID)
	if err != nil {
		t.Fatal(err)
	}
	var got struct{ Params string }
	err = json.NewDecoder(res.Body).Decode(&got)
	res.Body.Close()
	if err != nil || strings.Contains(got.Params, "s3cret") || !strings.Contains(got.Params, `"X-Token": "***"`) {
		t.Errorf("GET /v2/executions/%s: params %q (%v); want the header's value masked", exID, got.Params, err)
	}

	r := cli.run(t, "execution-create", "wf", "{}", `{"notify": [{"type": "webhook", "url": "http://10.9.9.9/hook"}]}`)
	if r.code == 0 || !strings.Contains(r.stderr, "params.notify[0].url") || !strings.Contains(r.stderr, "not among the allowed") {
		t.Errorf("a destination outside -notify-allow: exit %d, %s; want a refusal naming params.notify[0].url", r.code, r.stderr)
	}

	// Counted once each outcome commits, just after the receiver answered.
	delivered := regexp.MustCompile(`sirocco_notifications_total\{outcome="delivered"\} (\d+)`)
	poll(t, "6 deliveries counted in /metrics", func() (bool, string) {
		res, err := http.Get(srv.URL + "/metrics")
		if err != nil {
			return false, err.Error()
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		m := delivered.FindSubmatch(b)
		if len(m) < 2 {
			return false, "no sirocco_notifications_total{outcome=\"delivered\"}"
		}
		n, _ := strconv.Atoi(string(m[1]))
		return n >= 6, string(m[0])
	})
}
