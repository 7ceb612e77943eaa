package engine

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"strings"
	"time"
	"unicode/utf8"

	"golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/knownhosts"

	"github.com/sirocco-project/sirocco/internal/expr"
)

// SSHConfig configures std.ssh and std.ssh_proxied.
type SSHConfig struct {
	// KeyDir is the only directory private_key_filename may name a file
	// in; "" refuses private_key_filename altogether.
	KeyDir string
	// KnownHosts, when set, is an OpenSSH known_hosts file every host key
	// must be in; "" accepts any host key, as Mistral does.
	KnownHosts string
	// Timeout bounds one run of the action, connections and command
	// included (DefaultSSHTimeout).
	Timeout time.Duration
}

// DefaultSSHTimeout is the default bound on one run of std.ssh.
const DefaultSSHTimeout = 10 * time.Minute

// sshHandshakeTimeout bounds reaching a host and agreeing on keys, so that
// a host that accepts the connection and says nothing fails early.
const sshHandshakeTimeout = 30 * time.Second

// maxKeyFile bounds what is read of a private key file.
const maxKeyFile = 64 << 10

// sshParams are std.ssh's parameters, in Mistral's order.
var sshParams = []param{
	{name: "cmd", required: true}, {name: "host", required: true}, {name: "username", required: true},
	{name: "password", def: "", secret: true}, {name: "private_key_filename"}, {name: "private_key", secret: true},
}

// sshProxiedParams are std.ssh_proxied's, in Mistral's order.
var sshProxiedParams = []param{
	{name: "cmd", required: true}, {name: "host", required: true}, {name: "username", required: true},
	{name: "private_key_filename", required: true}, {name: "gateway_host", required: true},
	{name: "gateway_username"}, {name: "password", secret: true}, {name: "proxy_command"},
	{name: "private_key", secret: true},
}

// errProxyCommand refuses std.ssh_proxied's proxy_command: it is a command
// Mistral runs on its own machine, which a workflow must not choose here.
var errProxyCommand = errors.New("proxy_command is not supported: Sirocco runs no local command for a workflow; " +
	"it reaches the host through the gateway's TCP forwarding")

// sshFailure is Mistral's message for a failed std.ssh: the command and the
// hosts (as a Python list, since Mistral makes the host a list first).
func sshFailure(cmd string, hosts []string) string {
	return fmt.Sprintf("Failed to execute ssh cmd '%s' on %s", cmd, pyList(hosts))
}

// sshHosts reads the host parameter: one host, or a list of them.
func sshHosts(v any) ([]string, bool) {
	switch h := v.(type) {
	case string:
		return []string{h}, h != ""
	case []any:
		out := make([]string, len(h))
		for i, x := range h {
			s, ok := x.(string)
			if !ok || s == "" {
				return nil, false
			}
			out[i] = s
		}
		return out, len(out) > 0
	}
	return nil, false
}

// sshAddr adds SSH's port to a host given without one ("db1", "10.0.0.5",
// "::1"); "host:2222" and "[::1]:2222" keep theirs.
func sshAddr(host string) string {
	if _, _, err := net.SplitHostPort(host); err == nil {
		return host
	}
	return net.JoinHostPort(strings.Trim(host, "[]"), "22")
}

func runSSH(ctx context.Context, e *Engine, a *ActionExecution, in map[string]any) (any, error) {
	return e.runSSH(ctx, a, in, false)
}

func runSSHProxied(ctx context.Context, e *Engine, a *ActionExecution, in map[string]any) (any, error) {
	return e.runSSH(ctx, a, in, true)
}

// runSSH runs cmd on each host in turn, as Mistral does: the result is the
// command's output, or the list of outputs when there are several hosts.
// The first failure ends it.
func (e *Engine) runSSH(ctx context.Context, a *ActionExecution, in map[string]any, proxied bool) (any, error) {
	cmd := expr.Str(in["cmd"])
	hosts, ok := sshHosts(in["host"])
	if !ok {
		return nil, crash(a, "host must be a host name or a list of host names")
	}
	fail := func(err error) error {
		msg := sshFailure(cmd, hosts)
		if err != nil {
			msg += ": " + err.Error()
		}
		return crash(a, msg)
	}
	gwHost, _ := in["gateway_host"].(string)
	if proxied && in["proxy_command"] != nil {
		return nil, fail(errProxyCommand)
	}
	if proxied && gwHost == "" {
		return nil, fail(errors.New("gateway_host must be a host name"))
	}
	user, _ := in["username"].(string)
	password, _ := in["password"].(string)
	auth, err := e.sshAuth(in, password, !proxied)
	if err != nil {
		return nil, fail(err)
	}
	hostKeys, err := e.sshHostKeys()
	if err != nil {
		return nil, fail(err)
	}
	client := &ssh.ClientConfig{User: user, Auth: auth, HostKeyCallback: hostKeys}
	timeout := e.ssh.Timeout
	if timeout <= 0 {
		timeout = DefaultSSHTimeout
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	var gateway *ssh.ClientConfig
	if proxied {
		g := *client
		if u, _ := in["gateway_username"].(string); u != "" {
			g.User = u
		}
		gateway = &g
	}
	results := make([]any, 0, len(hosts))
	for _, host := range hosts {
		out, status, err := e.sshRun(ctx, host, gwHost, client, gateway, cmd)
		switch {
		case ctx.Err() != nil && errors.Is(context.Cause(ctx), context.DeadlineExceeded):
			return nil, fail(fmt.Errorf("no answer within %s", timeout))
		case ctx.Err() != nil:
			return nil, ctx.Err() // shutting down: the job runs again after restart
		case err != nil:
			e.log.Warn("std.ssh failed", "action_execution", a.ID, "host", host, "err", err)
			return nil, fail(err)
		case status != 0:
			// Mistral words this failure without the status, as if to
			// give away nothing: the log has it.
			e.log.Info("std.ssh command failed", "action_execution", a.ID, "host", host, "exit_status", status)
			return nil, fail(nil)
		}
		results = append(results, out)
	}
	if len(results) == 1 {
		return results[0], nil
	}
	return results, nil
}

// sshAuth builds the ways to log in: the private key (given, or read from
// the key directory; password is its passphrase if it has one) and, for
// std.ssh, the password. std.ssh_proxied logs in with the key alone, as
// Mistral's does.
func (e *Engine) sshAuth(in map[string]any, password string, withPassword bool) ([]ssh.AuthMethod, error) {
	var auth []ssh.AuthMethod
	var pem []byte
	if k, _ := in["private_key"].(string); k != "" {
		pem = []byte(k)
	} else if name, _ := in["private_key_filename"].(string); name != "" {
		b, err := readKeyFile(e.ssh.KeyDir, name)
		if err != nil {
			return nil, err
		}
		pem = b
	}
	if pem != nil {
		signer, err := parseKey(pem, password)
		if err != nil {
			return nil, err
		}
		auth = append(auth, ssh.PublicKeys(signer))
	}
	if withPassword && password != "" {
		// A server that leaves passwords to PAM asks by keyboard-interactive
		// instead; the password answers each question, as paramiko does.
		answer := func(_, _ string, questions []string, _ []bool) ([]string, error) {
			answers := make([]string, len(questions))
			for i := range answers {
				answers[i] = password
			}
			return answers, nil
		}
		auth = append(auth, ssh.Password(password), ssh.KeyboardInteractive(answer))
	}
	if len(auth) == 0 {
		if withPassword {
			return nil, errors.New("give a password, private_key or private_key_filename")
		}
		return nil, errors.New("give private_key or private_key_filename")
	}
	return auth, nil
}

// parseKey reads a private key in any format OpenSSH writes; an encrypted
// one is opened with passphrase.
func parseKey(pem []byte, passphrase string) (ssh.Signer, error) {
	signer, err := ssh.ParsePrivateKey(pem)
	var missing *ssh.PassphraseMissingError
	if errors.As(err, &missing) {
		if passphrase == "" {
			return nil, errors.New("the private key is encrypted: give its passphrase as password")
		}
		signer, err = ssh.ParsePrivateKeyWithPassphrase(pem, []byte(passphrase))
	}
	if err != nil {
		return nil, fmt.Errorf("the private key cannot be read: %w", err)
	}
	return signer, nil
}

// ErrKeyFile refuses a private_key_filename: no key directory, or a name
// that leaves it.
var ErrKeyFile = errors.New("private_key_filename refused")

// readKeyFile reads name inside dir. Through os.Root, neither ".." nor a
// symbolic link can lead out of dir; an absolute name is refused outright
// rather than matched against dir, so that one rule covers every case.
func readKeyFile(dir, name string) ([]byte, error) {
	if dir == "" {
		return nil, fmt.Errorf("%w: this server has no key directory (-ssh-key-dir); give private_key instead", ErrKeyFile)
	}
	if err := checkKeyName(name); err != nil {
		return nil, err
	}
	root, err := os.OpenRoot(dir)
	if err != nil {
		return nil, fmt.Errorf("the key directory: %w", err)
	}
	defer root.Close()
	f, err := root.Open(name)
	if err != nil {
		var pe *os.PathError
		if errors.As(err, &pe) {
			err = pe.Err // the name, not the directory's path
		}
		return nil, fmt.Errorf("%w: %q in the key directory: %v", ErrKeyFile, name, err)
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, maxKeyFile+1))
	if err != nil {
		return nil, fmt.Errorf("%w: %q: %v", ErrKeyFile, name, err)
	}
	if len(b) > maxKeyFile {
		return nil, fmt.Errorf("%w: %q is larger than %d bytes, no private key is", ErrKeyFile, name, maxKeyFile)
	}
	return b, nil
}

// checkKeyName refuses what no name inside the key directory looks like:
// an absolute path, or one going up with "..". os.Root would refuse them
// too; this says why, and serves definitions checked before they run.
func checkKeyName(name string) error {
	if filepath.IsAbs(name) || strings.HasPrefix(name, "/") {
		return fmt.Errorf("%w: %q is absolute; name a file in the key directory (-ssh-key-dir)", ErrKeyFile, name)
	}
	for _, part := range strings.FieldsFunc(name, func(r rune) bool { return r == '/' || r == '\\' }) {
		if part == ".." {
			return fmt.Errorf("%w: %q goes up with '..'; name a file in the key directory (-ssh-key-dir)", ErrKeyFile, name)
		}
	}
	return nil
}

// sshHostKeys is the host key check: the known_hosts file when one is
// configured (read at each run, so an edit needs no restart), else none.
func (e *Engine) sshHostKeys() (ssh.HostKeyCallback, error) {
	if e.ssh.KnownHosts == "" {
		return ssh.InsecureIgnoreHostKey(), nil //nolint:gosec // Mistral's behaviour; -ssh-known-hosts turns checking on
	}
	cb, err := knownhosts.New(e.ssh.KnownHosts)
	if err != nil {
		return nil, fmt.Errorf("the known_hosts file: %w", err)
	}
	return cb, nil
}

// sshRun connects to host (through the gateway when there is one), runs
// cmd and returns its standard output and exit status. Standard error is
// discarded, as Mistral discards it.
func (e *Engine) sshRun(ctx context.Context, host, gwHost string, cfg, gwCfg *ssh.ClientConfig, cmd string) (string, int, error) {
	addr := sshAddr(host)
	var conn net.Conn
	var err error
	if gwCfg != nil {
		gw, err := sshDial(ctx, nil, sshAddr(gwHost), gwCfg)
		if err != nil {
			return "", 0, fmt.Errorf("gateway %s: %w", gwHost, err)
		}
		defer gw.Close()
		if conn, err = gw.DialContext(ctx, "tcp", addr); err != nil {
			return "", 0, fmt.Errorf("through gateway %s: %w", gwHost, err)
		}
	}
	client, err := sshDial(ctx, conn, addr, cfg)
	if err != nil {
		return "", 0, err
	}
	defer client.Close()
	// Closing the client ends a command that outlives ctx.
	stop := context.AfterFunc(ctx, func() { client.Close() })
	defer stop()
	sess, err := client.NewSession()
	if err != nil {
		return "", 0, err
	}
	defer sess.Close()
	stdout, err := sess.StdoutPipe()
	if err != nil {
		return "", 0, err
	}
	if err := sess.Start(cmd); err != nil {
		return "", 0, err
	}
	out, err := io.ReadAll(io.LimitReader(stdout, int64(e.maxOutput)+1))
	if err != nil {
		return "", 0, err
	}
	if len(out) > e.maxOutput {
		return "", 0, fmt.Errorf("the output is larger than %d bytes, the limit of an action's result", e.maxOutput)
	}
	err = sess.Wait()
	var exit *ssh.ExitError
	if errors.As(err, &exit) {
		return "", exit.ExitStatus(), nil
	}
	if err != nil {
		return "", 0, err
	}
	// Mistral decodes the output as UTF-8; bytes that are not are
	// replaced rather than failing the action.
	if !utf8.Valid(out) {
		out = []byte(strings.ToValidUTF8(string(out), "\uFFFD"))
	}
	return string(out), 0, nil
}

// sshDial opens an SSH connection over conn, or a new TCP connection to
// addr when conn is nil. The handshake is bounded in time: a host that
// accepts the connection and says nothing fails early.
func sshDial(ctx context.Context, conn net.Conn, addr string, cfg *ssh.ClientConfig) (*ssh.Client, error) {
	hctx, cancel := context.WithTimeout(ctx, sshHandshakeTimeout)
	defer cancel()
	if conn == nil {
		var d net.Dialer
		var err error
		if conn, err = d.DialContext(hctx, "tcp", addr); err != nil {
			return nil, err
		}
	}
	// A channel through a gateway has no deadlines: closing the connection
	// is what ends a handshake that takes too long, on either kind.
	stop := context.AfterFunc(hctx, func() { conn.Close() })
	c, chans, reqs, err := ssh.NewClientConn(conn, addr, cfg)
	if !stop() {
		if err == nil {
			c.Close()
		}
		return nil, fmt.Errorf("no SSH handshake with %s: %w", addr, context.Cause(hctx))
	}
	if err != nil {
		conn.Close()
		return nil, err
	}
	return ssh.NewClient(c, chans, reqs), nil
}
