package api_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/sirocco-project/sirocco/internal/engine"
	"github.com/sirocco-project/sirocco/internal/webhook"
)

// TestNotifyParams: params.notify's header values are masked wherever the
// API shows an execution (its creation's answer, GET, the list), its
// receivers still get them; a bad notifier or a destination outside the
// allowlist is a 400 naming the field.
func TestNotifyParams(t *testing.T) {
	t.Parallel()
	got := make(chan http.Header, 10)
	recv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got <- r.Header.Clone()
	}))
	defer recv.Close()
	allow, err := webhook.ParseAllowlist("127.0.0.1")
	if err != nil {
		t.Fatal(err)
	}
	s := newServer(t, func(c *engine.Config) {
		c.Notify = engine.NotifyConfig{Sender: webhook.New(5*time.Second, allow)}
	})
	s.must("POST", "/v2/workflows", "version: '2.0'\nwf:\n  tasks:\n    one:\n      action: std.noop\n", http.StatusCreated)
	params, _ := json.Marshal(map[string]any{"notify": []any{map[string]any{"type": "webhook", "url": recv.URL,
		"headers": map[string]any{"Authorization": "Bearer s3cret"}, "events": []any{"WORKFLOW_SUCCEEDED"}}}})
	body, _ := json.Marshal(map[string]any{"workflow_name": "wf", "params": string(params)})
	created := s.must("POST", "/v2/executions", string(body), http.StatusCreated)
	id := created["id"].(string)
	shown := []string{created["params"].(string)}
	shown = append(shown, s.waitState("/v2/executions/"+id, "SUCCESS")["params"].(string))
	list := s.must("GET", "/v2/executions", "", http.StatusOK)["executions"].([]any)
	shown = append(shown, list[0].(map[string]any)["params"].(string))
	for i, p := range shown {
		if strings.Contains(p, "s3cret") || !strings.Contains(p, `"Authorization": "***"`) || !strings.Contains(p, recv.URL) {
			t.Errorf("params shown (%d): %s; want the header's value masked, the rest kept", i, p)
		}
	}
	select {
	case h := <-got:
		if h.Get("Authorization") != "Bearer s3cret" {
			t.Errorf("the receiver got Authorization %q; want the real value", h.Get("Authorization"))
		}
	case <-time.After(10 * time.Second):
		t.Fatal("no notification received")
	}

	for _, tt := range []struct{ notify, want string }{
		{`[{"type": "sms", "url": "http://127.0.0.1/"}]`, `params.notify[0].type: unknown notifier type \"sms\"`},
		{`[{"type": "webhook", "url": "ftp://127.0.0.1/"}]`, `params.notify[0].url \"ftp://127.0.0.1/\": not an http or https URL`},
		{`[{"type": "webhook", "url": "http://10.1.2.3/"}]`, `params.notify[0].url \"http://10.1.2.3/\": not among the allowed notification destinations`},
		{`[{"type": "webhook", "url": "http://127.0.0.1/", "events": ["WORKFLOW_DONE"]}]`, `params.notify[0].events: unknown event \"WORKFLOW_DONE\"`},
	} {
		body, _ := json.Marshal(map[string]any{"workflow_name": "wf", "params": `{"notify": ` + tt.notify + `}`})
		status, raw := s.do("POST", "/v2/executions", "application/json", string(body))
		if status != http.StatusBadRequest || !strings.Contains(raw, tt.want) || !strings.Contains(raw, `"faultcode":"Client"`) {
			t.Errorf("notify %s: %d %s; want a 400 with %s", tt.notify, status, raw, tt.want)
		}
	}
}
