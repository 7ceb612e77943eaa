// Package smtptest gives tests a real SMTP server in the test process, on
// a random loopback port (github.com/emersion/go-smtp): the peer std.email
// and the approvers' mail are tested against. It keeps what it receives
// in memory and hands each message to the test as it arrives. The server
// is stopped when the test ends.
package smtptest

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/pem"
	"io"
	"math/big"
	"mime/quotedprintable"
	"net"
	"net/mail"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"
)

// Options says what the server offers and asks.
type Options struct {
	// User and Password, when set, are the only account: the server
	// offers AUTH PLAIN (after STARTTLS when TLS is set) and refuses
	// mail from a session that has not logged in.
	User, Password string
	// TLS offers STARTTLS with a certificate for 127.0.0.1 signed by a
	// CA of the test's own (Server.RootCAs).
	TLS bool
	// Implicit serves TLS from the first byte (SMTPS, port 465's way)
	// instead of STARTTLS.
	Implicit bool
}

// Message is one message the server accepted.
type Message struct {
	From string
	To   []string // the envelope's recipients (RCPT TO), Bcc included
	// Data is the message as sent, headers and body.
	Data string
	// User is who logged in ("" for nobody); TLS whether the session was
	// encrypted.
	User string
	TLS  bool
}

// Header returns the message's header (nil if it cannot be parsed).
func (m Message) Header() mail.Header {
	msg, err := mail.ReadMessage(strings.NewReader(m.Data))
	if err != nil {
		return nil
	}
	return msg.Header
}

// Text returns the body of a single-part message, decoded from its
// transfer encoding (quoted-printable, base64); a multipart message's
// body as sent.
func (m Message) Text() string {
	msg, err := mail.ReadMessage(strings.NewReader(m.Data))
	if err != nil {
		return ""
	}
	var r io.Reader = msg.Body
	switch strings.ToLower(msg.Header.Get("Content-Transfer-Encoding")) {
	case "quoted-printable":
		r = quotedprintable.NewReader(r)
	case "base64":
		r = base64.NewDecoder(base64.StdEncoding, r)
	}
	b, _ := io.ReadAll(r)
	return string(b)
}

// Server is a running SMTP server.
type Server struct {
	// Addr is host:port on 127.0.0.1.
	Addr string
	// RootCAs trusts the server's certificate (with TLS or Implicit);
	// CAPEM is the same CA in PEM, for a file (-smtp-ca-file).
	RootCAs *x509.CertPool
	CAPEM   []byte
	// Received gets each accepted message as it arrives.
	Received chan Message

	opts    Options
	refuse  atomic.Int32 // messages still to refuse
	mu      sync.Mutex
	all     []Message
	refused int
}

// Start starts a server for the duration of the test.
func Start(t testing.TB, o Options) *Server {
	t.Helper()
	s := &Server{opts: o, Received: make(chan Message, 100)}
	srv := smtp.NewServer(smtp.BackendFunc(func(c *smtp.Conn) (smtp.Session, error) {
		return &session{s: s, conn: c}, nil
	}))
	srv.Domain = "smtptest.local"
	srv.ReadTimeout, srv.WriteTimeout = 30*time.Second, 30*time.Second
	srv.MaxMessageBytes = 1 << 20
	// The PLAIN mechanism only over TLS, as a real server would; without
	// TLS the client must find no way to log in in the clear.
	srv.AllowInsecureAuth = false
	if o.TLS || o.Implicit {
		cfg, pool, caPEM := certificate(t)
		srv.TLSConfig, s.RootCAs, s.CAPEM = cfg, pool, caPEM
	}
	var l net.Listener
	var err error
	if o.Implicit {
		l, err = tls.Listen("tcp", "127.0.0.1:0", srv.TLSConfig)
	} else {
		l, err = net.Listen("tcp", "127.0.0.1:0")
	}
	if err != nil {
		t.Fatal(err)
	}
	s.Addr = l.Addr().String()
	done := make(chan struct{})
	go func() { _ = srv.Serve(l); close(done) }()
	t.Cleanup(func() { srv.Close(); <-done })
	return s
}

// Refuse makes the server refuse the next n messages with a temporary
// failure (451), as a mail server under load does.
func (s *Server) Refuse(n int) { s.refuse.Store(int32(n)) }

// Messages returns the messages accepted so far, oldest first.
func (s *Server) Messages() []Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Message(nil), s.all...)
}

// Refused is how many messages the server refused so far.
func (s *Server) Refused() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.refused
}

type session struct {
	s    *Server
	conn *smtp.Conn
	user string
	from string
	to   []string
}

var _ smtp.AuthSession = (*session)(nil)

func (ss *session) AuthMechanisms() []string {
	if ss.s.opts.User == "" {
		return nil
	}
	return []string{sasl.Plain}
}

func (ss *session) Auth(mech string) (sasl.Server, error) {
	return sasl.NewPlainServer(func(_, user, pass string) error {
		if user != ss.s.opts.User || pass != ss.s.opts.Password {
			return smtp.ErrAuthFailed
		}
		ss.user = user
		return nil
	}), nil
}

func (ss *session) Mail(from string, _ *smtp.MailOptions) error {
	if ss.s.opts.User != "" && ss.user == "" {
		return smtp.ErrAuthRequired
	}
	ss.from = from
	return nil
}

func (ss *session) Rcpt(to string, _ *smtp.RcptOptions) error {
	ss.to = append(ss.to, to)
	return nil
}

func (ss *session) Data(r io.Reader) error {
	b, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	if ss.s.refuse.Load() > 0 {
		ss.s.refuse.Add(-1)
		ss.s.mu.Lock()
		ss.s.refused++
		ss.s.mu.Unlock()
		return &smtp.SMTPError{Code: 451, EnhancedCode: smtp.EnhancedCode{4, 3, 0}, Message: "try again later"}
	}
	_, encrypted := ss.conn.TLSConnectionState()
	m := Message{From: ss.from, To: ss.to, Data: string(b), User: ss.user, TLS: encrypted}
	ss.s.mu.Lock()
	ss.s.all = append(ss.s.all, m)
	ss.s.mu.Unlock()
	select {
	case ss.s.Received <- m:
	default:
	}
	return nil
}

func (ss *session) Reset() { ss.from, ss.to = "", nil }

func (ss *session) Logout() error { return nil }

// Next waits for the next message the server accepts, failing the test
// after 15 seconds (a message that never comes).
func (s *Server) Next(t testing.TB) Message {
	t.Helper()
	select {
	case m := <-s.Received:
		return m
	case <-time.After(15 * time.Second):
		t.Fatal("smtptest: no message arrived")
		return Message{}
	}
}

// certificate makes a CA and a certificate for 127.0.0.1 it signs.
func certificate(t testing.TB) (*tls.Config, *x509.CertPool, []byte) {
	t.Helper()
	caKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	ca := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "smtptest CA"},
		NotBefore: now.Add(-time.Hour), NotAfter: now.Add(24 * time.Hour), IsCA: true, BasicConstraintsValid: true,
		KeyUsage: x509.KeyUsageCertSign}
	caDER, err := x509.CreateCertificate(rand.Reader, ca, ca, &caKey.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	caCert, err := x509.ParseCertificate(caDER)
	if err != nil {
		t.Fatal(err)
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	leaf := &x509.Certificate{SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: "127.0.0.1"},
		NotBefore: now.Add(-time.Hour), NotAfter: now.Add(24 * time.Hour), IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)},
		DNSNames: []string{"localhost"}, KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}
	der, err := x509.CreateCertificate(rand.Reader, leaf, caCert, &key.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AddCert(caCert)
	caPEM := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: caDER})
	return &tls.Config{Certificates: []tls.Certificate{{Certificate: [][]byte{der}, PrivateKey: key}}, MinVersion: tls.VersionTLS12}, pool, caPEM
}
