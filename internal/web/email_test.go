package web_test

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/sirocco-project/sirocco/internal/engine"
	"github.com/sirocco-project/sirocco/internal/smtptest"
)

// TestEmailPasswordMaskedOnPages: the action page and its input.json show
// std.email's smtp_password as "***"; std.email is listed with Mistral's
// parameters.
func TestEmailPasswordMaskedOnPages(t *testing.T) {
	t.Parallel()
	srv := smtptest.Start(t, smtptest.Options{})
	e := newEnv(t)
	ctx := context.Background()
	a, err := e.eng.RunAction(ctx, engine.RunRequest{Name: "std.email", SaveResult: true, Input: map[string]any{
		"from_addr": "ops@example.com", "to_addrs": []any{"ann@example.com"}, "smtp_server": srv.Addr, "smtp_password": "mail-web-pw"}})
	if err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		got, err := e.eng.GetActionExecution(ctx, a.ID)
		if err != nil {
			t.Fatal(err)
		}
		if got.State.Completed() {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the action is %s", got.State)
		}
		time.Sleep(2 * time.Millisecond)
	}
	for _, path := range []string{"/actions/" + a.ID, "/actions/" + a.ID + "/input.json"} {
		p := e.get(path)
		if p.status != http.StatusOK {
			t.Fatalf("GET %s: %d", path, p.status)
		}
		if strings.Contains(p.body, "mail-web-pw") || !strings.Contains(p.body, "***") || !strings.Contains(p.body, "ops@example.com") {
			t.Errorf("GET %s does not show the input with smtp_password masked:\n%s", path, p.body)
		}
	}
	if defs := e.get("/action-definitions"); !strings.Contains(defs.body, "std.email") || !strings.Contains(defs.body, "from_addr, to_addrs, smtp_server") {
		t.Error("/action-definitions does not show std.email with its parameters")
	}
}
