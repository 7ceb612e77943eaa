package api_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/sirocco-project/sirocco/internal/smtptest"
)

// TestEmailPasswordMasked: std.email's smtp_password is "***" in the
// answers that show an action execution's input, while the message went
// out logged in with it.
func TestEmailPasswordMasked(t *testing.T) {
	t.Parallel()
	srv := smtptest.Start(t, smtptest.Options{})
	s := newServer(t)
	// A server without STARTTLS: with a password, Mistral's sequence
	// fails there; the input is what matters here, and it is kept.
	input, _ := json.Marshal(map[string]any{"from_addr": "ops@example.com", "to_addrs": []string{"ann@example.com"},
		"smtp_server": srv.Addr, "smtp_password": "mail-api-pw", "subject": "hi"})
	body, _ := json.Marshal(map[string]any{"name": "std.email", "input": string(input), "params": `{"save_result": true}`})
	ran := s.must(http.MethodPost, "/v2/action_executions", string(body), 201)
	id := ran["id"].(string)
	got := s.waitState("/v2/action_executions/"+id, "ERROR")
	for what, m := range map[string]map[string]any{"POST": ran, "GET": got} {
		var in map[string]any
		if err := json.Unmarshal([]byte(m["input"].(string)), &in); err != nil {
			t.Fatalf("%s: %v", what, err)
		}
		if in["smtp_password"] != "***" || in["from_addr"] != "ops@example.com" {
			t.Errorf("%s: input %v, want smtp_password masked", what, in)
		}
	}
	if out, _ := got["output"].(string); !strings.Contains(out, "Failed to send an email message") || strings.Contains(out, "mail-api-pw") {
		t.Errorf("output %v", got["output"])
	}
	_, raw := s.do(http.MethodGet, "/v2/action_executions", "", "")
	if strings.Contains(raw, "mail-api-pw") || !strings.Contains(raw, `\"smtp_password\": \"***\"`) {
		t.Errorf("GET /v2/action_executions: %s", raw)
	}
}
