package web_test

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/ssh"

	"github.com/sirocco-project/sirocco/internal/engine"
	"github.com/sirocco-project/sirocco/internal/sshtest"
)

// TestSecretInputMaskedOnPages: the action page and its input.json show
// std.ssh's password and private_key as "***", in an action that ran with
// them against a real SSH server; the built-in actions are listed with
// their inputs.
func TestSecretInputMaskedOnPages(t *testing.T) {
	t.Parallel()
	key := sshtest.NewKey(t, "")
	peer := sshtest.Start(t, sshtest.Options{User: "alice", Password: "pw-web-1", AuthorizedKeys: []ssh.PublicKey{key.Public}})
	e := newEnv(t)
	ctx := context.Background()
	a, err := e.eng.RunAction(ctx, engine.RunRequest{Name: "std.ssh", SaveResult: true, Input: map[string]any{
		"cmd": "whoami", "host": peer.Addr, "username": "alice", "password": "pw-web-1", "private_key": key.PEM}})
	if err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		got, err := e.eng.GetActionExecution(ctx, a.ID)
		if err != nil {
			t.Fatal(err)
		}
		if got.State == engine.StateSuccess {
			break
		}
		if got.State.Completed() || time.Now().After(deadline) {
			t.Fatalf("the action is %s: %v", got.State, got.OutputJSON)
		}
		time.Sleep(2 * time.Millisecond)
	}
	for _, path := range []string{"/actions/" + a.ID, "/actions/" + a.ID + "/input.json"} {
		p := e.get(path)
		if p.status != http.StatusOK {
			t.Fatalf("GET %s: %d", path, p.status)
		}
		if strings.Contains(p.body, "pw-web-1") || strings.Contains(p.body, "PRIVATE KEY") {
			t.Errorf("GET %s shows a secret", path)
		}
		if !strings.Contains(p.body, "***") || !strings.Contains(p.body, "alice") {
			t.Errorf("GET %s: the masked input is not shown:\n%s", path, p.body)
		}
	}
	defs := e.get("/action-definitions")
	for _, want := range []string{"std.ssh", "std.ssh_proxied", "std.javascript", "std.js", "std.test_dict", "gateway_host", "script, context=null"} {
		if !strings.Contains(defs.body, want) {
			t.Errorf("/action-definitions does not show %q", want)
		}
	}
}
