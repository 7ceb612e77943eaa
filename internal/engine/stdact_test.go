package engine_test

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sirocco-project/sirocco/internal/engine"
	"github.com/sirocco-project/sirocco/internal/fault"
	"github.com/sirocco-project/sirocco/internal/jsonvalue"
	"github.com/sirocco-project/sirocco/internal/sshtest"
	"golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/knownhosts"
)

// runSync runs a built-in action now (run-action without saving) and
// returns its state and result.
func runSync(t *testing.T, e *engine.Engine, name string, input map[string]any) (engine.State, any) {
	t.Helper()
	a, err := e.RunAction(context.Background(), engine.RunRequest{Name: name, Input: input, RunSync: true})
	if err != nil {
		t.Fatalf("run %s: %v", name, err)
	}
	out, err := jsonvalue.Decode([]byte(*a.OutputJSON))
	if err != nil {
		t.Fatal(err)
	}
	return a.State, jsonvalue.Unordered(out).(map[string]any)["result"]
}

// sshPeers are a target that takes a password or a key, and a gateway
// that forwards to it and takes the key of another user.
type sshPeers struct {
	target, gateway *sshtest.Peer
	key, encrypted  sshtest.Key
	stranger        sshtest.Key // a key nobody authorized
	rsa             string      // an RSA key in PKCS #1 PEM ("BEGIN RSA PRIVATE KEY")
	keyDir          string
}

// clientKeys are made once for the package: an encrypted key costs a
// bcrypt, an RSA key a prime search, both slow under -race.
var clientKeys struct {
	once                     sync.Once
	key, encrypted, stranger sshtest.Key
	rsa                      string
	rsaPub                   ssh.PublicKey
}

func startSSHPeers(t *testing.T) *sshPeers {
	t.Helper()
	k := &clientKeys
	k.once.Do(func() {
		k.key, k.encrypted, k.stranger = sshtest.NewKey(t, ""), sshtest.NewKey(t, "s3cret"), sshtest.NewKey(t, "")
		rsaKey, err := rsa.GenerateKey(rand.Reader, 2048)
		if err != nil {
			t.Fatal(err)
		}
		if k.rsaPub, err = ssh.NewPublicKey(&rsaKey.PublicKey); err != nil {
			t.Fatal(err)
		}
		k.rsa = string(pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(rsaKey)}))
	})
	p := &sshPeers{key: k.key, encrypted: k.encrypted, stranger: k.stranger, rsa: k.rsa}
	rsaPub := k.rsaPub
	p.target = sshtest.Start(t, sshtest.Options{Name: "target", User: "alice", Password: "pw1",
		AuthorizedKeys: []ssh.PublicKey{p.key.Public, p.encrypted.Public, rsaPub}})
	p.gateway = sshtest.Start(t, sshtest.Options{Name: "gateway", User: "gw", Forwarding: true,
		AuthorizedKeys: []ssh.PublicKey{p.key.Public, p.encrypted.Public}})
	// The key directory holds the key, and a link to a key outside it.
	p.keyDir = t.TempDir()
	outside := filepath.Join(t.TempDir(), "outside.pem")
	for path, text := range map[string]string{filepath.Join(p.keyDir, "id_alice"): p.key.PEM, outside: p.key.PEM} {
		if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Symlink(outside, filepath.Join(p.keyDir, "escape")); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestSSHAction(t *testing.T) {
	t.Parallel()
	p := startSSHPeers(t)
	host := p.target.Addr
	knownGood := filepath.Join(t.TempDir(), "known_hosts")
	knownBad := filepath.Join(t.TempDir(), "known_hosts")
	if err := os.WriteFile(knownGood, []byte(p.target.KnownHostsLine()+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	// The gateway's key listed for the target's address: a mismatch.
	if err := os.WriteFile(knownBad, []byte(knownhosts.Line([]string{knownhosts.Normalize(host)}, p.gateway.HostKey)+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	// A server that asks for the password by keyboard-interactive only.
	pam := sshtest.Start(t, sshtest.Options{User: "alice", Password: "pw1", KeyboardInteractive: true})
	failed := func(cmd string) string {
		return "The action raised an exception [action=std.ssh, action_ex_id=None, msg='Failed to execute ssh cmd '" + cmd + "' on ['" + host + "']"
	}
	tests := []struct {
		name   string
		cfg    engine.SSHConfig
		max    int
		input  map[string]any
		want   any    // the result, on SUCCESS
		errHas string // the error contains this, on ERROR
	}{
		{name: "password", input: map[string]any{"cmd": "whoami", "host": host, "username": "alice", "password": "pw1"}, want: "alice\n"},
		{name: "password asked by keyboard-interactive", input: map[string]any{"cmd": "whoami", "host": pam.Addr, "username": "alice", "password": "pw1"}, want: "alice\n"},
		{name: "wrong password asked by keyboard-interactive", input: map[string]any{"cmd": "whoami", "host": pam.Addr, "username": "alice", "password": "nope"}, errHas: "unable to authenticate"},
		{name: "private key", input: map[string]any{"cmd": "echo hi", "host": host, "username": "alice", "private_key": p.key.PEM}, want: "hi\n"},
		{name: "RSA key in PKCS #1 PEM, as Mistral's paramiko reads", input: map[string]any{"cmd": "whoami", "host": host, "username": "alice", "private_key": p.rsa}, want: "alice\n"},
		{name: "encrypted key, password as passphrase", input: map[string]any{"cmd": "whoami", "host": host, "username": "alice", "private_key": p.encrypted.PEM, "password": "s3cret"}, want: "alice\n"},
		{name: "key file in the key directory", cfg: engine.SSHConfig{KeyDir: p.keyDir},
			input: map[string]any{"cmd": "whoami", "host": host, "username": "alice", "private_key_filename": "id_alice"}, want: "alice\n"},
		{name: "standard error is not the result", input: map[string]any{"cmd": "stderr oops", "host": host, "username": "alice", "password": "pw1"}, want: ""},
		{name: "several hosts: a list of outputs", input: map[string]any{"cmd": "hostname", "host": []any{host, p.target.Addr}, "username": "alice", "password": "pw1"},
			want: []any{"target\n", "target\n"}},
		{name: "known host", cfg: engine.SSHConfig{KnownHosts: knownGood}, input: map[string]any{"cmd": "whoami", "host": host, "username": "alice", "password": "pw1"}, want: "alice\n"},

		{name: "non-zero exit: Mistral's message", input: map[string]any{"cmd": "exit 3", "host": host, "username": "alice", "password": "pw1"},
			errHas: failed("exit 3") + "']"},
		{name: "wrong password", input: map[string]any{"cmd": "whoami", "host": host, "username": "alice", "password": "nope"},
			errHas: failed("whoami") + ": ssh: handshake failed: ssh: unable to authenticate"},
		{name: "bad key", input: map[string]any{"cmd": "whoami", "host": host, "username": "alice", "private_key": "-----BEGIN OPENSSH PRIVATE KEY-----\nnot a key\n-----END OPENSSH PRIVATE KEY-----\n"},
			errHas: failed("whoami") + ": the private key cannot be read"},
		{name: "key nobody authorized", input: map[string]any{"cmd": "whoami", "host": host, "username": "alice", "private_key": p.stranger.PEM},
			errHas: "unable to authenticate"},
		{name: "encrypted key without passphrase", input: map[string]any{"cmd": "whoami", "host": host, "username": "alice", "private_key": p.encrypted.PEM},
			errHas: "the private key is encrypted: give its passphrase as password"},
		{name: "no credentials", input: map[string]any{"cmd": "whoami", "host": host, "username": "alice"},
			errHas: "give a password, private_key or private_key_filename"},
		{name: "key file without a key directory", input: map[string]any{"cmd": "whoami", "host": host, "username": "alice", "private_key_filename": "id_alice"},
			errHas: "private_key_filename refused: this server has no key directory (-ssh-key-dir)"},
		{name: "key file going up", cfg: engine.SSHConfig{KeyDir: p.keyDir}, input: map[string]any{"cmd": "whoami", "host": host, "username": "alice", "private_key_filename": "../outside.pem"},
			errHas: `private_key_filename refused: "../outside.pem" goes up with '..'`},
		{name: "absolute key file", cfg: engine.SSHConfig{KeyDir: p.keyDir}, input: map[string]any{"cmd": "whoami", "host": host, "username": "alice", "private_key_filename": filepath.Join(p.keyDir, "id_alice")},
			errHas: "is absolute; name a file in the key directory"},
		{name: "key file linked outside", cfg: engine.SSHConfig{KeyDir: p.keyDir}, input: map[string]any{"cmd": "whoami", "host": host, "username": "alice", "private_key_filename": "escape"},
			errHas: `private_key_filename refused: "escape" in the key directory: path escapes from parent`},
		{name: "unknown host key", cfg: engine.SSHConfig{KnownHosts: knownBad}, input: map[string]any{"cmd": "whoami", "host": host, "username": "alice", "password": "pw1"},
			errHas: "knownhosts: key mismatch"},
		{name: "output past the limit", max: 1000, input: map[string]any{"cmd": "big 5000", "host": host, "username": "alice", "password": "pw1"},
			errHas: "the output is larger than 1000 bytes"},
		{name: "time limit", cfg: engine.SSHConfig{Timeout: 200 * time.Millisecond}, input: map[string]any{"cmd": "hang", "host": host, "username": "alice", "password": "pw1"},
			errHas: failed("hang") + ": no answer within 200ms"},
		{name: "host not a name", input: map[string]any{"cmd": "whoami", "host": 3, "username": "alice", "password": "pw1"},
			errHas: "host must be a host name or a list of host names"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			e := newEngine(t, engine.Config{SSH: tt.cfg, MaxOutputBytes: tt.max})
			state, res := runSync(t, e, "std.ssh", tt.input)
			if tt.errHas == "" {
				if state != engine.StateSuccess || !reflect.DeepEqual(res, tt.want) {
					t.Fatalf("got %s %#v, want SUCCESS %#v", state, res, tt.want)
				}
				return
			}
			if s, _ := res.(string); state != engine.StateError || !strings.Contains(s, tt.errHas) {
				t.Fatalf("got %s %#v, want ERROR containing %q", state, res, tt.errHas)
			}
			if enc := encoded(res); strings.Contains(enc, "pw1") || strings.Contains(enc, "s3cret") {
				t.Errorf("the error shows a password: %v", res)
			}
		})
	}
}

func encoded(v any) string { b, _ := jsonvalue.Encode(v); return string(b) }

func TestSSHProxiedAction(t *testing.T) {
	t.Parallel()
	p := startSSHPeers(t)
	host := p.target.Addr
	tests := []struct {
		name   string
		cfg    engine.SSHConfig
		input  map[string]any
		want   any
		errHas string
	}{
		{name: "through the gateway", input: map[string]any{"cmd": "hostname", "host": host, "username": "alice", "private_key_filename": nil,
			"private_key": p.key.PEM, "gateway_host": p.gateway.Addr, "gateway_username": "gw"}, want: "target\n"},
		{name: "key file, encrypted key", cfg: engine.SSHConfig{KeyDir: p.keyDir}, input: map[string]any{"cmd": "whoami", "host": host, "username": "alice",
			"private_key_filename": "id_alice", "gateway_host": p.gateway.Addr, "gateway_username": "gw"}, want: "alice\n"},
		{name: "passphrase", input: map[string]any{"cmd": "whoami", "host": host, "username": "alice", "private_key_filename": nil,
			"private_key": p.encrypted.PEM, "password": "s3cret", "gateway_host": p.gateway.Addr, "gateway_username": "gw"}, want: "alice\n"},
		{name: "gateway user defaults to username", input: map[string]any{"cmd": "whoami", "host": host, "username": "alice", "private_key_filename": nil,
			"private_key": p.key.PEM, "gateway_host": p.gateway.Addr}, errHas: "gateway " + p.gateway.Addr + ": ssh: handshake failed: ssh: unable to authenticate"},
		{name: "non-zero exit", input: map[string]any{"cmd": "exit 1", "host": host, "username": "alice", "private_key_filename": nil,
			"private_key": p.key.PEM, "gateway_host": p.gateway.Addr, "gateway_username": "gw"},
			errHas: "msg='Failed to execute ssh cmd 'exit 1' on ['" + host + "']']"},
		{name: "password alone is no login", input: map[string]any{"cmd": "whoami", "host": host, "username": "alice", "private_key_filename": nil,
			"password": "pw1", "gateway_host": p.gateway.Addr, "gateway_username": "gw"}, errHas: "give private_key or private_key_filename"},
		{name: "no gateway", input: map[string]any{"cmd": "whoami", "host": host, "username": "alice", "private_key_filename": nil,
			"private_key": p.key.PEM, "gateway_host": nil}, errHas: "gateway_host must be a host name"},
		{name: "proxy_command refused", input: map[string]any{"cmd": "whoami", "host": host, "username": "alice", "private_key_filename": nil,
			"private_key": p.key.PEM, "gateway_host": p.gateway.Addr, "proxy_command": "nc gw 22"}, errHas: "proxy_command is not supported"},
		{name: "target refuses forwarding", input: map[string]any{"cmd": "whoami", "host": p.gateway.Addr, "username": "gw", "private_key_filename": nil,
			"private_key": p.key.PEM, "gateway_host": host, "gateway_username": "alice"}, errHas: "through gateway " + host},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			e := newEngine(t, engine.Config{SSH: tt.cfg})
			state, res := runSync(t, e, "std.ssh_proxied", tt.input)
			if tt.errHas == "" {
				if state != engine.StateSuccess || !reflect.DeepEqual(res, tt.want) {
					t.Fatalf("got %s %#v, want SUCCESS %#v", state, res, tt.want)
				}
				// The gateway connected to the target, as asked.
				if got := p.gateway.Forwarded(); !slices.Contains(got, host) {
					t.Errorf("the gateway forwarded to %v, want %s", got, host)
				}
				return
			}
			if s, _ := res.(string); state != engine.StateError || !strings.Contains(s, tt.errHas) {
				t.Fatalf("got %s %#v, want ERROR containing %q", state, res, tt.errHas)
			}
		})
	}
}

func TestJavaScriptAction(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		action  string
		timeout time.Duration
		max     int
		input   map[string]any
		want    any
		errHas  string
	}{
		{name: "context is $", input: map[string]any{"script": "return $.a + $.b", "context": map[string]any{"a": 1, "b": 2}}, want: int64(3)},
		{name: "std.js too", action: "std.js", input: map[string]any{"script": "return $.name.toUpperCase()", "context": map[string]any{"name": "ada"}}, want: "ADA"},
		{name: "no context: $ is null", input: map[string]any{"script": "return $ === null"}, want: true},
		{name: "object and list", input: map[string]any{"script": "return {n: 1.5, l: [1, 's', true, null], o: {}}"},
			want: map[string]any{"n": 1.5, "l": []any{int64(1), "s", true, nil}, "o": map[string]any{}}},
		{name: "undefined is null", input: map[string]any{"script": "var x = 1"}, want: nil},
		{name: "a function is null", input: map[string]any{"script": "return function () {}"}, want: nil},
		{name: "a date is its ISO text", input: map[string]any{"script": "return new Date(0)"}, want: "1970-01-01T00:00:00.000Z"},
		{name: "NaN is null", input: map[string]any{"script": "return NaN"}, want: nil},
		{name: "the context is a copy", input: map[string]any{"script": "$.l.push(4); return $.l", "context": map[string]any{"l": []any{1}}}, want: []any{int64(1), int64(4)}},
		{name: "no I/O", input: map[string]any{"script": "return [typeof require, typeof setTimeout, typeof setInterval, typeof fetch, typeof XMLHttpRequest, typeof process, typeof console]"},
			want: []any{"undefined", "undefined", "undefined", "undefined", "undefined", "undefined", "undefined"}},
		{name: "a replaced JSON is not used for the result", input: map[string]any{"script": "JSON.stringify = function () { return '\"forged\"' }; return 1"}, want: int64(1)},

		{name: "thrown error", input: map[string]any{"script": "throw new Error('boom')"},
			errHas: "The action raised an exception [action=std.javascript, action_ex_id=None, msg='JavaScriptAction failed: Error: boom at"},
		{name: "syntax error, on the script's line", input: map[string]any{"script": "var a = 1\nvar b = ;"}, errHas: "JavaScriptAction failed: SyntaxError: script: Line 2:9 Unexpected token ;"},
		{name: "reference error", input: map[string]any{"script": "return nope"}, errHas: "ReferenceError: nope is not defined"},
		{name: "endless loop interrupted", timeout: 100 * time.Millisecond, input: map[string]any{"script": "while (true) {}"},
			errHas: "JavaScriptAction failed: the script ran longer than 100ms and was stopped"},
		{name: "endless recursion", input: map[string]any{"script": "function r() { return r() } return r()"}, errHas: "RangeError: Maximum call stack size exceeded"},
		{name: "oversized output refused", max: 1000, input: map[string]any{"script": "return 'x'.repeat(5000)"},
			errHas: "JavaScriptAction failed: the result is 5002 bytes encoded, the limit is 1000"},
		{name: "oversized script refused", input: map[string]any{"script": "//" + strings.Repeat("x", 300<<10)}, errHas: "the script is 307202 bytes, the limit is 262144"},
		{name: "oversized context refused", max: 1000, input: map[string]any{"script": "return 1", "context": strings.Repeat("x", 2000)},
			errHas: "the context is 2002 bytes encoded, the limit is 1000"},
		{name: "BigInt is no JSON", input: map[string]any{"script": "return 1n"}, errHas: "JavaScriptAction failed: the result is not JSON"},
		{name: "script not text", input: map[string]any{"script": 3}, errHas: "JavaScriptAction failed: script must be a string"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			name := tt.action
			if name == "" {
				name = "std.javascript"
			}
			e := newEngine(t, engine.Config{JSTimeout: tt.timeout, MaxOutputBytes: tt.max})
			state, res := runSync(t, e, name, tt.input)
			if tt.errHas == "" {
				if state != engine.StateSuccess || !reflect.DeepEqual(res, tt.want) {
					t.Fatalf("got %s %#v, want SUCCESS %#v", state, res, tt.want)
				}
				return
			}
			if s, _ := res.(string); state != engine.StateError || !strings.Contains(s, tt.errHas) {
				t.Fatalf("got %s %#v, want ERROR containing %q", state, res, tt.errHas)
			}
		})
	}
}

func TestTestDictAction(t *testing.T) {
	t.Parallel()
	e := newEngine(t, engine.Config{MaxOutputBytes: 1000})
	tests := []struct {
		name   string
		input  map[string]any
		want   any
		errHas string
	}{
		{name: "defaults: empty", input: map[string]any{}, want: map[string]any{}},
		{name: "three", input: map[string]any{"size": 3, "key_prefix": "k", "val": "v"}, want: map[string]any{"k0": "v", "k1": "v", "k2": "v"}},
		{name: "any value", input: map[string]any{"size": 2, "val": map[string]any{"a": []any{1}}},
			want: map[string]any{"0": map[string]any{"a": []any{int64(1)}}, "1": map[string]any{"a": []any{int64(1)}}}},
		{name: "negative: empty", input: map[string]any{"size": -1}, want: map[string]any{}},
		{name: "past the result limit", input: map[string]any{"size": 1_000_000_000}, errHas: "a dict of 1000000000 entries is larger than 1000 bytes"},
		{name: "size not a number", input: map[string]any{"size": "3"}, errHas: "size must be an integer, not a string"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			state, res := runSync(t, e, "std.test_dict", tt.input)
			if tt.errHas == "" {
				if state != engine.StateSuccess || !reflect.DeepEqual(res, tt.want) {
					t.Fatalf("got %s %#v, want SUCCESS %#v", state, res, tt.want)
				}
				return
			}
			if s, _ := res.(string); state != engine.StateError || !strings.Contains(s, tt.errHas) {
				t.Fatalf("got %s %#v, want ERROR containing %q", state, res, tt.errHas)
			}
		})
	}
}

// TestStdActionsWorkflow runs a workflow using each new action, end to
// end through the job worker: the password comes from the workflow's
// input, the script's context from an earlier task's result.
func TestStdActionsWorkflow(t *testing.T) {
	t.Parallel()
	p := startSSHPeers(t)
	e := newEngine(t, engine.Config{SSH: engine.SSHConfig{KeyDir: p.keyDir}})
	ctx := context.Background()
	def := `version: '2.0'
std_wf:
  input: [host, gateway, password]
  output:
    who: <% $.who %>
    via: <% $.via %>
    dict: <% $.dict %>
    sum: <% $.sum %>
  tasks:
    who:
      action: std.ssh cmd=whoami host=<% $.host %> username=alice password=<% $.password %>
      publish: {who: <% task().result %>}
      on-success: [via]
    via:
      action: std.ssh_proxied
      input:
        cmd: hostname
        host: <% $.host %>
        username: alice
        private_key_filename: id_alice
        gateway_host: <% $.gateway %>
        gateway_username: gw
      publish: {via: <% task().result %>}
      on-success: [dict]
    dict:
      action: std.test_dict size=3 key_prefix=n val=1
      publish: {dict: <% task().result %>}
      on-success: [sum]
    sum:
      action: std.js
      input:
        context: <% $.dict %>
        script: |
          var s = 0;
          for (var k in $) { s += $[k] }
          return s
      publish: {sum: <% task().result %>}
`
	if _, err := e.CreateWorkflows(ctx, nil, def, "", ""); err != nil {
		t.Fatal(err)
	}
	ex, err := e.StartExecution(ctx, engine.StartRequest{WorkflowName: "std_wf",
		Input: map[string]any{"host": p.target.Addr, "gateway": p.gateway.Addr, "password": "pw1"}})
	if err != nil {
		t.Fatal(err)
	}
	got := settle(t, e, ex.ID, "")
	if got.State != engine.StateSuccess {
		t.Fatalf("state %s: %s", got.State, deref(got.StateInfo))
	}
	decoded, _ := jsonvalue.Decode([]byte(got.OutputJSON))
	out := jsonvalue.Unordered(decoded)
	want := map[string]any{"who": "alice\n", "via": "target\n", "dict": map[string]any{"n0": int64(1), "n1": int64(1), "n2": int64(1)}, "sum": int64(3)}
	if !reflect.DeepEqual(out, want) {
		t.Errorf("output %#v, want %#v", out, want)
	}
	// The password is masked in the action's input as the engine shows it.
	list, err := e.ListActionExecutions(ctx, engine.ListQuery{Filters: []engine.Filter{{Field: "task_name", Op: engine.OpEq, Values: []string{"who"}}}})
	if err != nil || len(list) != 1 {
		t.Fatalf("%v %v", list, err)
	}
	if in := list[0].InputJSON; strings.Contains(in, "pw1") || !strings.Contains(in, `"password": "***"`) {
		t.Errorf("input as listed: %s", in)
	}
	a, err := e.GetActionExecution(ctx, list[0].ID)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(a.InputJSON, "pw1") || !strings.Contains(a.InputJSON, `"password": "***"`) {
		t.Errorf("input as got: %s", a.InputJSON)
	}
}

// TestStdActionsMaskedSaved: an action run in the background (its result
// saved) runs with its password although the engine shows it masked.
func TestStdActionsMaskedSaved(t *testing.T) {
	t.Parallel()
	p := startSSHPeers(t)
	e := newEngine(t, engine.Config{})
	ctx := context.Background()
	a, err := e.RunAction(ctx, engine.RunRequest{Name: "std.ssh", SaveResult: true,
		Input: map[string]any{"cmd": "whoami", "host": p.target.Addr, "username": "alice", "password": "pw1", "private_key": p.key.PEM}})
	if err != nil {
		t.Fatal(err)
	}
	for _, in := range []string{a.InputJSON} {
		if strings.Contains(in, "pw1") || strings.Contains(in, "PRIVATE KEY") {
			t.Errorf("the answer to run-action shows a secret: %s", in)
		}
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		got, err := e.GetActionExecution(ctx, a.ID)
		if err != nil {
			t.Fatal(err)
		}
		if got.State.Completed() {
			if out, _ := jsonvalue.Decode([]byte(*got.OutputJSON)); got.State != engine.StateSuccess || !reflect.DeepEqual(jsonvalue.Unordered(out), map[string]any{"result": "alice\n"}) {
				t.Fatalf("%s %s", got.State, *got.OutputJSON)
			}
			in, _ := jsonvalue.Decode([]byte(got.InputJSON))
			want := map[string]any{"cmd": "whoami", "host": p.target.Addr, "password": "***", "private_key": "***", "username": "alice"}
			if !reflect.DeepEqual(jsonvalue.Unordered(in), want) {
				t.Errorf("input shown: %s", got.InputJSON)
			}
			return
		}
		if time.Now().After(deadline) {
			t.Fatal("the action did not finish")
		}
		time.Sleep(2 * time.Millisecond)
	}
}

// TestStdActionsCheckedAtCreate: the values written in a definition that
// every run would refuse are refused when it is stored.
func TestStdActionsCheckedAtCreate(t *testing.T) {
	t.Parallel()
	e := newEngine(t, engine.Config{})
	tests := []struct{ name, action, errHas string }{
		{"key file going up", "std.ssh cmd=ls host=h username=u private_key_filename='../k'", `std.ssh: private_key_filename refused: "../k" goes up with '..'`},
		{"absolute key file", "std.ssh_proxied cmd=ls host=h username=u private_key_filename=/etc/k gateway_host=g", "std.ssh_proxied: private_key_filename refused: \"/etc/k\" is absolute"},
		{"proxy_command", "std.ssh_proxied cmd=ls host=h username=u private_key_filename=k gateway_host=g proxy_command='nc g 22'", "proxy_command is not supported"},
		{"script that does not compile", "std.js script='return ('", "std.js: the script does not compile: SyntaxError"},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			def := "version: '2.0'\nwf" + string(rune('a'+i)) + ":\n  tasks:\n    t:\n      action: " + tt.action + "\n"
			_, err := e.CreateWorkflows(context.Background(), nil, def, "", "")
			if fault.Code(err) != fault.EINVALID || !strings.Contains(err.Error(), tt.errHas) {
				t.Fatalf("err = %v, want EINVALID containing %q", err, tt.errHas)
			}
		})
	}
	// Expressions are left to the run.
	ok := "version: '2.0'\nwf_ok:\n  tasks:\n    t:\n      action: std.ssh cmd=ls host=h username=u private_key_filename=<% $.k %>\n    j:\n      action: std.js script=<% $.s %>\n"
	if _, err := e.CreateWorkflows(context.Background(), nil, ok, "", ""); err != nil {
		t.Fatal(err)
	}
}

func TestStdActionsListed(t *testing.T) {
	t.Parallel()
	want := map[string]string{
		"std.ssh":         `cmd, host, username, password="", private_key_filename=null, private_key=null`,
		"std.ssh_proxied": `cmd, host, username, private_key_filename, gateway_host, gateway_username=null, password=null, proxy_command=null, private_key=null`,
		"std.javascript":  `script, context=null`,
		"std.js":          `script, context=null`,
		"std.test_dict":   `size=0, key_prefix="", val=""`,
	}
	names := engine.ActionNames()
	for name, input := range want {
		if !slices.Contains(names, name) {
			t.Errorf("%s is not listed", name)
		}
		if got := engine.ActionInput(name); got != input {
			t.Errorf("%s input = %q, want %q", name, got, input)
		}
	}
}

// TestAdhocSecretMasked: an ad-hoc action over std.ssh has its inputs
// masked that feed the base's password (or are named like it), in the
// engine's answers, while it runs with them.
func TestAdhocSecretMasked(t *testing.T) {
	t.Parallel()
	p := startSSHPeers(t)
	e := newEngine(t, engine.Config{})
	ctx := context.Background()
	defs := `version: '2.0'
remote_whoami:
  input: [host, secret, note]
  base: std.ssh
  base-input:
    cmd: whoami
    host: <% $.host %>
    username: alice
    password: '{{ _.secret }}'
named_password:
  input: [host, password]
  base: remote_whoami
  base-input: {host: <% $.host %>, secret: <% $.password %>, note: none}
`
	if _, err := e.CreateActions(ctx, nil, defs, "", ""); err != nil {
		t.Fatal(err)
	}
	for name, input := range map[string]map[string]any{
		"remote_whoami":  {"host": p.target.Addr, "secret": "pw1", "note": "shown"},
		"named_password": {"host": p.target.Addr, "password": "pw1"},
	} {
		a, err := e.RunAction(ctx, engine.RunRequest{Name: name, Input: input, SaveResult: true})
		if err != nil {
			t.Fatal(err)
		}
		deadline := time.Now().Add(10 * time.Second)
		for !a.State.Completed() {
			if time.Now().After(deadline) {
				t.Fatalf("%s did not finish", name)
			}
			time.Sleep(2 * time.Millisecond)
			if a, err = e.GetActionExecution(ctx, a.ID); err != nil {
				t.Fatal(err)
			}
		}
		if a.State != engine.StateSuccess || strings.Contains(a.InputJSON, "pw1") || !strings.Contains(a.InputJSON, `"***"`) || !strings.Contains(a.InputJSON, p.target.Addr) {
			t.Errorf("%s: %s, input %s, output %s", name, a.State, a.InputJSON, deref(a.OutputJSON))
		}
		if name == "remote_whoami" && !strings.Contains(a.InputJSON, `"note": "shown"`) {
			t.Errorf("%s: an input that is no secret is masked: %s", name, a.InputJSON)
		}
	}
}

// TestJavaScriptSlots: while every slot is taken, a script waits (here
// until its context ends) instead of running; once one is free, it runs.
func TestJavaScriptSlots(t *testing.T) {
	t.Parallel()
	e := newEngine(t, engine.Config{})
	release := engine.HoldJSSlots(e)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	a, err := e.RunAction(ctx, engine.RunRequest{Name: "std.js", Input: map[string]any{"script": "return 1"}, RunSync: true})
	if err != nil {
		t.Fatal(err)
	}
	if a.State != engine.StateError || !strings.Contains(*a.OutputJSON, "context canceled") {
		t.Errorf("with every slot taken: %s %s, want the wait ended by the context", a.State, *a.OutputJSON)
	}
	release()
	if state, res := runSync(t, e, "std.js", map[string]any{"script": "return 1"}); state != engine.StateSuccess || res != int64(1) {
		t.Errorf("with a slot free: %s %v", state, res)
	}
}
