// Package sshtest gives tests a real SSH server in the test process, on a
// random loopback port (github.com/gliderlabs/ssh over
// golang.org/x/crypto/ssh): the peer that std.ssh and std.ssh_proxied are
// tested against. It runs no shell: it answers a few commands itself
// (Peer.Run), so that what a test sees does not depend on the machine.
// The server is stopped when the test ends.
package sshtest

import (
	"crypto/ed25519"
	"crypto/rand"
	"encoding/pem"
	"fmt"
	"io"
	"net"
	"strconv"
	"strings"
	"sync"
	"testing"

	gssh "github.com/gliderlabs/ssh"
	"golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/knownhosts"
)

// Options says who may log in and how.
type Options struct {
	// Name is what the command "hostname" answers.
	Name string
	// User is the only account; Password, when set, logs it in, and so
	// does any key of AuthorizedKeys.
	User           string
	Password       string
	AuthorizedKeys []ssh.PublicKey
	// KeyboardInteractive asks for Password by keyboard-interactive
	// authentication instead of the password method, as an OpenSSH server
	// that leaves passwords to PAM does.
	KeyboardInteractive bool
	// Forwarding lets clients open TCP connections through this server
	// (direct-tcpip, what ssh -J uses): a gateway.
	Forwarding bool
}

// Peer is a running SSH server.
type Peer struct {
	// Addr is host:port on 127.0.0.1.
	Addr string
	// HostKey is the server's public host key.
	HostKey ssh.PublicKey

	mu        sync.Mutex
	forwarded []string
	commands  []string
}

// Start starts a server for the duration of the test.
func Start(t testing.TB, o Options) *Peer {
	t.Helper()
	_, hostPriv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	hostSigner, err := ssh.NewSignerFromKey(hostPriv)
	if err != nil {
		t.Fatal(err)
	}
	p := &Peer{HostKey: hostSigner.PublicKey()}
	srv := &gssh.Server{
		Handler: func(s gssh.Session) { p.run(s, o.Name) },
		PasswordHandler: func(ctx gssh.Context, pw string) bool {
			return o.Password != "" && ctx.User() == o.User && pw == o.Password
		},
		PublicKeyHandler: func(ctx gssh.Context, key gssh.PublicKey) bool {
			if ctx.User() != o.User {
				return false
			}
			for _, k := range o.AuthorizedKeys {
				if gssh.KeysEqual(key, k) {
					return true
				}
			}
			return false
		},
	}
	if o.KeyboardInteractive {
		srv.PasswordHandler = nil
		srv.KeyboardInteractiveHandler = func(ctx gssh.Context, ask ssh.KeyboardInteractiveChallenge) bool {
			answers, err := ask(ctx.User(), "", []string{"Password: "}, []bool{false})
			return err == nil && o.Password != "" && ctx.User() == o.User && len(answers) == 1 && answers[0] == o.Password
		}
	}
	if o.Forwarding {
		srv.LocalPortForwardingCallback = func(_ gssh.Context, host string, port uint32) bool {
			p.mu.Lock()
			p.forwarded = append(p.forwarded, net.JoinHostPort(host, strconv.Itoa(int(port))))
			p.mu.Unlock()
			return true
		}
		srv.ChannelHandlers = map[string]gssh.ChannelHandler{
			"session":      gssh.DefaultSessionHandler,
			"direct-tcpip": gssh.DirectTCPIPHandler,
		}
	}
	srv.AddHostKey(hostSigner)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p.Addr = ln.Addr().String()
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = srv.Serve(ln)
	}()
	t.Cleanup(func() {
		_ = srv.Close()
		<-done
	})
	return p
}

// Run is what the server does with a command:
//
//	hostname       prints Options.Name
//	whoami         prints the user
//	echo WORDS     prints WORDS
//	stderr WORDS   prints WORDS on standard error, nothing on standard output
//	exit N         exits with status N
//	big N          prints N bytes
//	hang           waits until the client goes away
//
// Anything else exits with status 127.
func (p *Peer) run(s gssh.Session, name string) {
	cmd := s.RawCommand()
	p.mu.Lock()
	p.commands = append(p.commands, cmd)
	p.mu.Unlock()
	verb, arg, _ := strings.Cut(cmd, " ")
	switch verb {
	case "hostname":
		fmt.Fprintln(s, name)
	case "whoami":
		fmt.Fprintln(s, s.User())
	case "echo":
		fmt.Fprintln(s, arg)
	case "stderr":
		fmt.Fprintln(s.Stderr(), arg)
	case "exit":
		n, _ := strconv.Atoi(arg)
		_ = s.Exit(n)
		return
	case "big":
		n, _ := strconv.Atoi(arg)
		_, _ = io.CopyN(s, zeros{}, int64(n))
	case "hang":
		<-s.Context().Done()
		return
	default:
		_ = s.Exit(127)
		return
	}
	_ = s.Exit(0)
}

// Forwarded lists the host:port destinations clients asked this server
// (as a gateway) to connect to.
func (p *Peer) Forwarded() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]string(nil), p.forwarded...)
}

// Commands lists the commands the server ran, in order.
func (p *Peer) Commands() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]string(nil), p.commands...)
}

// zeros reads as an endless run of 'x'.
type zeros struct{}

func (zeros) Read(b []byte) (int, error) {
	for i := range b {
		b[i] = 'x'
	}
	return len(b), nil
}

// Key is a client key pair: the private key in OpenSSH's PEM form (what
// std.ssh's private_key takes) and its public key (for AuthorizedKeys).
type Key struct {
	PEM    string
	Public ssh.PublicKey
}

// NewKey makes an ed25519 client key; a passphrase, when given, encrypts
// the PEM.
func NewKey(t testing.TB, passphrase string) Key {
	t.Helper()
	pub, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	var block *pem.Block
	if passphrase == "" {
		block, err = ssh.MarshalPrivateKey(priv, "")
	} else {
		block, err = ssh.MarshalPrivateKeyWithPassphrase(priv, "", []byte(passphrase))
	}
	if err != nil {
		t.Fatal(err)
	}
	sshPub, err := ssh.NewPublicKey(pub)
	if err != nil {
		t.Fatal(err)
	}
	return Key{PEM: string(pem.EncodeToMemory(block)), Public: sshPub}
}

// KnownHostsLine is the known_hosts line for the peer's host key.
func (p *Peer) KnownHostsLine() string {
	return knownhosts.Line([]string{knownhosts.Normalize(p.Addr)}, p.HostKey)
}
