package main

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"math/big"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/sirocco-project/sirocco/internal/engine"
	"github.com/sirocco-project/sirocco/internal/pgtest"
)

// TestSystemdUnitVerifies: deploy/sirocco.service passes systemd-analyze
// verify, warnings included (an unknown or misspelt setting is only a
// warning there). The binary it starts is replaced by one that exists.
func TestSystemdUnitVerifies(t *testing.T) {
	t.Parallel()
	analyze, err := exec.LookPath("systemd-analyze")
	if err != nil {
		t.Skip("systemd-analyze not installed")
	}
	unit, err := os.ReadFile("../../deploy/sirocco.service")
	if err != nil {
		t.Fatal(err)
	}
	const exec0 = "ExecStart=/usr/local/bin/sirocco serve"
	if !strings.Contains(string(unit), exec0) {
		t.Fatalf("the unit has no %q line", exec0)
	}
	bin, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "sirocco.service")
	if err := os.WriteFile(path, []byte(strings.Replace(string(unit), exec0, "ExecStart="+bin+" serve", 1)), 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(analyze, "verify", path).CombinedOutput()
	if err != nil || strings.Contains(string(out), "sirocco.service") {
		t.Errorf("systemd-analyze verify: %v\n%s", err, out)
	}
}

// nginxBin is Debian's nginx.
const nginxBin = "/usr/sbin/nginx"

// needNginx skips the test without nginx, unless SIROCCO_REQUIRE_NGINX=1
// (CI), where that is a failure.
func needNginx(t *testing.T) {
	t.Helper()
	if _, err := os.Stat(nginxBin); err != nil {
		if os.Getenv("SIROCCO_REQUIRE_NGINX") == "1" {
			t.Fatalf("%s not found but SIROCCO_REQUIRE_NGINX=1: %v", nginxBin, err)
		}
		t.Skip("nginx not installed (apt-get install nginx)")
	}
}

// freePort returns a loopback port nothing listens on now.
func freePort(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// selfSigned writes a certificate for 127.0.0.1 and its key into dir and
// returns their paths and a pool that trusts it.
func selfSigned(t *testing.T, dir string) (certFile, keyFile string, pool *x509.CertPool) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "127.0.0.1"},
		IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)}, NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour),
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	kder, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	certFile, keyFile = filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	if err := os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kder}), 0o600); err != nil {
		t.Fatal(err)
	}
	cert, _ := x509.ParseCertificate(der)
	pool = x509.NewCertPool()
	pool.AddCert(cert)
	return certFile, keyFile, pool
}

// nginxSite turns deploy/nginx.conf into the configuration of a test:
// the upstream's servers become backends, the listen addresses loopback
// ports, the certificate a test's. Each substitution must find its line,
// so that the file cannot drift away from what the test runs.
func nginxSite(t *testing.T, conf string, backends []string, httpsPort, httpPort int, certFile, keyFile string) string {
	t.Helper()
	replace := func(re, with string) {
		t.Helper()
		rx := regexp.MustCompile(re)
		if !rx.MatchString(conf) {
			t.Fatalf("deploy/nginx.conf has no line matching %s", re)
		}
		conf = rx.ReplaceAllLiteralString(conf, with)
	}
	var servers strings.Builder
	for _, b := range backends {
		fmt.Fprintf(&servers, "    server %s max_fails=1 fail_timeout=5s;\n", b)
	}
	replace(`(?m)(^    server \S+ max_fails=1 fail_timeout=5s;\n)+`, servers.String())
	replace(`(?m)^    listen \[::\]:(80|443 ssl);\n`, "")
	replace(`(?m)^    listen 80;$`, fmt.Sprintf("    listen 127.0.0.1:%d;", httpPort))
	replace(`(?m)^    listen 443 ssl;$`, fmt.Sprintf("    listen 127.0.0.1:%d ssl;", httpsPort))
	replace(`(?m)^    ssl_certificate +\S+;$`, "    ssl_certificate "+certFile+";")
	replace(`(?m)^    ssl_certificate_key +\S+;$`, "    ssl_certificate_key "+keyFile+";")
	return conf
}

// proxy is nginx running deploy/nginx.conf in front of some backends.
type proxy struct {
	URL    string // https://127.0.0.1:<port>
	client *http.Client
	tls    *tls.Config
}

// startNginx runs Debian's nginx, as a child in the foreground with a
// prefix of its own, with deploy/nginx.conf in front of backends
// ("127.0.0.1:port", one per replica) on the port given, and stops it when
// the test ends.
func startNginx(t *testing.T, backends []string, port int) *proxy {
	t.Helper()
	needNginx(t)
	dir := t.TempDir()
	certFile, keyFile, pool := selfSigned(t, dir)
	raw, err := os.ReadFile("../../deploy/nginx.conf")
	if err != nil {
		t.Fatal(err)
	}
	site := filepath.Join(dir, "sirocco.conf")
	if err := os.WriteFile(site, []byte(nginxSite(t, string(raw), backends, port, freePort(t), certFile, keyFile)), 0o600); err != nil {
		t.Fatal(err)
	}
	// One process (no workers switching to another user), in the
	// foreground, everything under dir.
	main := fmt.Sprintf(`daemon off;
master_process off;
pid %[1]s/nginx.pid;
error_log stderr warn;
events { worker_connections 256; }
http {
    access_log off;
    client_body_temp_path %[1]s/body;
    proxy_temp_path %[1]s/proxy;
    fastcgi_temp_path %[1]s/fastcgi;
    uwsgi_temp_path %[1]s/uwsgi;
    scgi_temp_path %[1]s/scgi;
    include %[2]s;
}
`, dir, site)
	mainFile := filepath.Join(dir, "nginx.conf")
	if err := os.WriteFile(mainFile, []byte(main), 0o600); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command(nginxBin, "-t", "-p", dir, "-e", "stderr", "-c", mainFile).CombinedOutput(); err != nil {
		t.Fatalf("nginx -t: %v\n%s", err, out)
	}
	cmd := exec.Command(nginxBin, "-p", dir, "-e", "stderr", "-c", mainFile)
	var log syncBuffer
	cmd.Stdout, cmd.Stderr = &log, &log
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan struct{})
	go func() { cmd.Wait(); close(exited) }()
	t.Cleanup(func() {
		cmd.Process.Signal(syscall.SIGQUIT) // graceful: open websockets are closed
		select {
		case <-exited:
		case <-time.After(waitTimeout):
			cmd.Process.Kill()
			<-exited
		}
		if t.Failed() {
			t.Logf("nginx log:\n%s", log.String())
		}
	})
	p := &proxy{URL: fmt.Sprintf("https://127.0.0.1:%d", port), tls: &tls.Config{RootCAs: pool}}
	jar, _ := cookiejar.New(nil)
	p.client = &http.Client{Jar: jar, Timeout: waitTimeout, Transport: &http.Transport{TLSClientConfig: p.tls},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	poll(t, "nginx to answer", func() (bool, string) {
		select {
		case <-exited:
			t.Fatalf("nginx exited:\n%s", log.String())
		default:
		}
		res, err := p.client.Get(p.URL + "/healthz")
		if err != nil {
			return false, err.Error()
		}
		res.Body.Close()
		return res.StatusCode == http.StatusOK, res.Status
	})
	return p
}

// startReplicasBehindNginx starts n servers over one database behind
// nginx, with the settings deploy/nginx.conf asks for (-base-url the
// public URL, -trusted-proxies the proxy), accounts on and the example
// workflows seeded. One server runs on a SQLite file; several share a
// fresh PostgreSQL database (pgtest: the test skips without PostgreSQL),
// since a SQLite file serves one process.
func startReplicasBehindNginx(t *testing.T, n int) (*proxy, []*testServer) {
	t.Helper()
	needNginx(t)
	port := freePort(t)
	public := fmt.Sprintf("https://127.0.0.1:%d", port)
	env := map[string]string{"SIROCCO_AUTH": "on", "SIROCCO_ADMIN_PASSWORD": testAdminPassword}
	args := []string{"-seed=true", "-base-url", public, "-trusted-proxies", "127.0.0.1/32"}
	if n > 1 {
		args = append(args, "-db", pgtest.DSN(t))
	}
	var backends []string
	var replicas []*testServer
	for range n {
		srv := startServerEnv(t, env, args...)
		replicas = append(replicas, srv)
		backends = append(backends, strings.TrimPrefix(srv.URL, "http://"))
	}
	return startNginx(t, backends, port), replicas
}

// TestNginx: the README's tour works through nginx with deploy/nginx.conf
// in front of one server on SQLite (see tourThroughProxy).
func TestNginx(t *testing.T) {
	t.Parallel()
	p, _ := startReplicasBehindNginx(t, 1)
	tourThroughProxy(t, p)
}

// liveEvents reads a dashboard websocket's events.
type liveEvents struct {
	ws     *websocket.Conn
	events chan map[string]any
	// seen are the executions' states read so far: events of several
	// replicas arrive in any order, so one read while waiting for
	// another is kept for its own wait.
	seen map[string]bool
}

// dialLive opens the dashboard's websocket at wsURL with the cookies of
// jar and the Origin origin, and reads its events until the test ends.
func dialLive(t *testing.T, wsURL, origin string, jar http.CookieJar, tlsConf *tls.Config) *liveEvents {
	t.Helper()
	dialer := websocket.Dialer{TLSClientConfig: tlsConf, Jar: jar, HandshakeTimeout: waitTimeout}
	ws, res, err := dialer.Dial(wsURL, http.Header{"Origin": {origin}})
	if err != nil {
		status := 0
		if res != nil {
			status = res.StatusCode
		}
		t.Fatalf("websocket %s: %v (status %d)", wsURL, err, status)
	}
	t.Cleanup(func() { ws.Close() })
	l := &liveEvents{ws: ws, events: make(chan map[string]any, 256), seen: map[string]bool{}}
	go func() {
		defer close(l.events)
		for {
			var ev map[string]any
			if err := ws.ReadJSON(&ev); err != nil {
				return
			}
			l.events <- ev
		}
	}()
	return l
}

// wait reads events until execution id is in state (or was, in an event
// read before), or fails.
func (l *liveEvents) wait(t *testing.T, id, state string) {
	t.Helper()
	if l.seen[id+" "+state] {
		return
	}
	deadline := time.After(waitTimeout)
	for {
		select {
		case ev, ok := <-l.events:
			if !ok {
				t.Fatalf("the websocket closed before execution %s was %s", id, state)
			}
			if ev["kind"] != "execution" {
				continue
			}
			exID, _ := ev["id"].(string)
			exState, _ := ev["state"].(string)
			l.seen[exID+" "+exState] = true
			if exID == id && exState == state {
				return
			}
		case <-deadline:
			t.Fatalf("no event on the websocket: execution %s %s", id, state)
		}
	}
}

// tourAdder is the tour's adder (examples/adder) in miniature: it answers
// 202 and posts a+b to the Mistral-Callback-URL it was sent, with the
// callback token, through client.
func tourAdder(t *testing.T, client *http.Client) *httptest.Server {
	t.Helper()
	var wg sync.WaitGroup
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		a, _ := strconv.Atoi(r.URL.Query().Get("a"))
		b, _ := strconv.Atoi(r.URL.Query().Get("b"))
		cb := r.Header.Get("Mistral-Callback-URL") + "/v2/action-executions/" + r.Header.Get("Mistral-Action-Execution-Id")
		token := r.Header.Get(engine.CallbackTokenHeader)
		w.WriteHeader(http.StatusAccepted)
		wg.Add(1)
		go func() { // after the answer, as the adder does
			defer wg.Done()
			req, _ := http.NewRequest(http.MethodPost, cb, strings.NewReader(fmt.Sprintf(`{"state": "SUCCESS", "output": %d}`, a+b)))
			req.Header.Set("Content-Type", "application/json")
			req.Header.Set(engine.CallbackTokenHeader, token)
			res, err := client.Do(req)
			if err != nil {
				t.Errorf("the adder's callback to %s: %v", cb, err)
				return
			}
			res.Body.Close()
			if res.StatusCode != http.StatusOK {
				t.Errorf("the adder's callback to %s: %s", cb, res.Status)
			}
		}()
	}))
	t.Cleanup(func() { srv.Close(); wg.Wait() })
	return srv
}

// tourThroughProxy walks the README's tour through p: a Keystone login,
// my_workflow's std.mistral_http call answered by an adder that posts its
// sum back to the Mistral-Callback-URL (the public URL: through nginx)
// with its callback token, the executions listed with their output;
// approve_request started, its pending action listed and completed over
// the API; a dashboard login over HTTPS with its Secure cookies, and the
// dashboard's websocket, opened through nginx, receiving the execution's
// events. It returns the API token.
func tourThroughProxy(t *testing.T, p *proxy) string {
	t.Helper()
	send := func(method, path, token string, body any, want int) response {
		t.Helper()
		var header map[string]string
		if token != "" {
			header = map[string]string{"X-Auth-Token": token}
		}
		r := sendWith(t, p.client, method, p.URL+path, "", body, header)
		if r.Status != want {
			t.Fatalf("%s %s through nginx: %d, want %d; %s", method, path, r.Status, want, r.Raw)
		}
		return r
	}
	// The mistral CLI's login, then the API with its token.
	login := send("POST", "/v3/auth/tokens", "", map[string]any{"auth": map[string]any{
		"identity": map[string]any{"methods": []string{"password"}, "password": map[string]any{
			"user": map[string]any{"name": "admin", "domain": map[string]any{"name": "Default"}, "password": testAdminPassword}}},
		"scope": map[string]any{"project": map[string]any{"name": "sirocco", "domain": map[string]any{"name": "Default"}}},
	}}, http.StatusCreated)
	token := login.Header.Get("X-Subject-Token")
	if wfs := send("GET", "/v2/workflows", token, nil, http.StatusOK); !strings.Contains(wfs.Raw, `"approve_request"`) || !strings.Contains(wfs.Raw, `"my_workflow"`) {
		t.Fatalf("the example workflows are not listed: %s", wfs.Raw)
	}

	// my_workflow, with the adder on a port of the test's own.
	adder := tourAdder(t, &http.Client{Timeout: waitTimeout, Transport: &http.Transport{TLSClientConfig: p.tls}})
	seeded := send("GET", "/v2/workflows/my_workflow", token, nil, http.StatusOK)
	def := str(t, seeded.JSON, "definition")
	if !strings.Contains(def, "http://127.0.0.1:8990") {
		t.Fatalf("my_workflow does not call the adder at 127.0.0.1:8990:\n%s", def)
	}
	def = strings.ReplaceAll(def, "my_workflow", "tour_add")
	send("POST", "/v2/workflows", token, strings.Replace(def, "http://127.0.0.1:8990", adder.URL, 1), http.StatusCreated)
	added := send("POST", "/v2/executions", token, map[string]any{"workflow_name": "tour_add"}, http.StatusCreated)
	addID := str(t, added.JSON, "id")
	poll(t, "tour_add to end, its sum posted back through nginx", func() (bool, string) {
		list := send("GET", "/v2/executions?include_output=true", token, nil, http.StatusOK)
		items, _ := list.JSON["executions"].([]any)
		for _, it := range items {
			if e, _ := it.(map[string]any); e["id"] == addID {
				var out map[string]any
				outText, _ := e["output"].(string)
				_ = json.Unmarshal([]byte(outText), &out)
				return e["state"] == "SUCCESS" && reflect.DeepEqual(out, map[string]any{"sum": float64(3)}), fmt.Sprint(e["state"], " ", e["output"])
			}
		}
		return false, list.Raw
	})

	// The dashboard: a login form over HTTPS, then the live socket with the
	// session's cookie and the public origin.
	page := send("GET", "/login", "", nil, http.StatusOK)
	m := csrfRE.FindStringSubmatch(page.Raw)
	if m == nil {
		t.Fatal("no CSRF token on /login")
	}
	r := sendWith(t, p.client, "POST", p.URL+"/login", "", url.Values{"_csrf": {m[1]}, "username": {"admin"}, "password": {testAdminPassword}, "next": {"/executions"}}, nil)
	if r.Status != http.StatusSeeOther {
		t.Fatalf("POST /login through nginx: %d %s", r.Status, r.Raw)
	}
	live := dialLive(t, "wss"+strings.TrimPrefix(p.URL, "https")+"/ws?topic=executions", p.URL, p.client.Jar, p.tls)

	ex := send("POST", "/v2/executions", token, map[string]any{"workflow_name": "approve_request", "input": map[string]any{"requester": "bob"}}, http.StatusCreated)
	exID := str(t, ex.JSON, "id")
	live.wait(t, exID, "RUNNING")
	var actionID string
	poll(t, "the pending action, through nginx", func() (bool, string) {
		list := send("GET", "/v2/action_executions?state=RUNNING", token, nil, http.StatusOK)
		items, _ := list.JSON["action_executions"].([]any)
		for _, it := range items {
			if a, _ := it.(map[string]any); a["workflow_name"] == "approve_request" { // the one execution started
				actionID, _ = a["id"].(string)
				return true, ""
			}
		}
		return false, list.Raw
	})
	send("POST", "/v2/action-executions/"+actionID, token, map[string]any{"state": "SUCCESS", "output": "approved"}, http.StatusOK)
	live.wait(t, exID, "SUCCESS")
	got := send("GET", "/v2/executions/"+exID, token, nil, http.StatusOK)
	if got.JSON["state"] != "SUCCESS" {
		t.Errorf("execution through nginx: %v", got.JSON["state"])
	}
	var out map[string]any
	if err := json.Unmarshal([]byte(str(t, got.JSON, "output")), &out); err != nil || out["decision"] != "approved" {
		t.Errorf("execution output %v (%v)", got.JSON["output"], err)
	}

	// nginx lets through a body as large as the server takes (its
	// client_max_body_size is not smaller than the server's bound): the
	// server, not the proxy, answers.
	big := `{"workflow_name": "approve_request", "input": {"pad": "` + strings.Repeat("x", 1088<<10-100) + `"}}`
	res2 := sendWith(t, p.client, "POST", p.URL+"/v2/executions", "", big, map[string]string{"X-Auth-Token": token, "Content-Type": "application/json"})
	if res2.Status == http.StatusRequestEntityTooLarge && !strings.Contains(res2.Raw, "faultstring") {
		t.Errorf("nginx refused a %d-byte body the server accepts: %d %s", len(big), res2.Status, res2.Raw[:min(200, len(res2.Raw))])
	}
	return token
}

// TestNginxReplicas: two replicas on one PostgreSQL database behind
// nginx with deploy/nginx.conf, whose upstream is not sticky. The tour
// works through nginx (tourThroughProxy); nginx spreads requests over
// both replicas; a websocket opened through nginx sees the events of
// executions started and completed directly on each replica; a dashboard
// session begun on A is valid on B, and a form posted to B with the CSRF
// token of A's page is accepted; failed logins on A and B are counted
// together by the login throttle.
func TestNginxReplicas(t *testing.T) {
	t.Parallel()
	conf, err := os.ReadFile("../../deploy/nginx.conf")
	if err != nil {
		t.Fatal(err)
	}
	upstream := regexp.MustCompile(`(?s)\nupstream sirocco \{(.*?)\n\}`).FindStringSubmatch(string(conf))
	if upstream == nil {
		t.Fatal("deploy/nginx.conf has no upstream sirocco block")
	}
	for _, line := range strings.Split(upstream[1], "\n") {
		if f := strings.Fields(line); len(f) > 0 && slices.Contains([]string{"ip_hash", "hash", "sticky", "random"}, strings.TrimSuffix(f[0], ";")) {
			t.Errorf("deploy/nginx.conf's upstream binds clients to replicas (or picks at random): %s", strings.TrimSpace(line))
		}
	}

	p, replicas := startReplicasBehindNginx(t, 2)
	a, b := replicas[0], replicas[1]
	token := tourThroughProxy(t, p)
	api := func(base, method, path string, body any, want int) response {
		t.Helper()
		client := http.DefaultClient
		if base == p.URL {
			client = p.client
		}
		r := sendWith(t, client, method, base+path, "", body, map[string]string{"X-Auth-Token": token})
		if r.Status != want {
			t.Fatalf("%s %s%s: %d, want %d; %s", method, base, path, r.Status, want, r.Raw)
		}
		return r
	}

	// nginx sends requests to both replicas (round robin; none sticks).
	for i := range 8 {
		sendWith(t, p.client, "GET", fmt.Sprintf("%s/v2/workflows/probe-%d", p.URL, i), "", nil, map[string]string{"X-Auth-Token": token})
	}
	for _, r := range replicas {
		if n := strings.Count(r.stderr.String(), `path=/v2/workflows/probe-`); n == 0 || n == 8 {
			t.Errorf("replica %s served %d of 8 requests through nginx; want some, not all", r.URL, n)
		}
	}

	// Events caused on each replica reach a websocket opened through
	// nginx (on one of them: the other's arrive by NOTIFY). Each
	// execution starts on one replica and is completed on the other.
	live := dialLive(t, "wss"+strings.TrimPrefix(p.URL, "https")+"/ws?topic=executions", p.URL, p.client.Jar, p.tls)
	exA := str(t, api(a.URL, "POST", "/v2/executions", map[string]any{"workflow_name": "approve_request", "input": map[string]any{"requester": "on-a"}}, http.StatusCreated).JSON, "id")
	exB := str(t, api(b.URL, "POST", "/v2/executions", map[string]any{"workflow_name": "approve_request", "input": map[string]any{"requester": "on-b"}}, http.StatusCreated).JSON, "id")
	live.wait(t, exA, "RUNNING")
	live.wait(t, exB, "RUNNING")
	pending := func(exID string) string { // through nginx
		var id string
		poll(t, "the pending action of "+exID, func() (bool, string) {
			tasks := api(p.URL, "GET", "/v2/executions/"+exID+"/tasks", nil, http.StatusOK)
			list, _ := tasks.JSON["tasks"].([]any)
			if len(list) != 1 {
				return false, tasks.Raw
			}
			acts := api(p.URL, "GET", "/v2/tasks/"+str(t, list[0].(map[string]any), "id")+"/action_executions", nil, http.StatusOK)
			alist, _ := acts.JSON["action_executions"].([]any)
			if len(alist) != 1 || alist[0].(map[string]any)["state"] != "RUNNING" {
				return false, acts.Raw
			}
			id = str(t, alist[0].(map[string]any), "id")
			return true, ""
		})
		return id
	}
	api(b.URL, "POST", "/v2/action-executions/"+pending(exA), map[string]any{"state": "SUCCESS", "output": "approved on b"}, http.StatusOK)
	live.wait(t, exA, "SUCCESS")
	api(a.URL, "POST", "/v2/action-executions/"+pending(exB), map[string]any{"state": "SUCCESS", "output": "approved on a"}, http.StatusOK)
	live.wait(t, exB, "SUCCESS")

	// A browser logged in on A, its next requests reaching B: the
	// session and the form key are in the database. (The servers set
	// Secure cookies, since their public URL is https; this jar sends them
	// to the replicas' plain http as a browser sends them to nginx.)
	browser := &http.Client{Jar: &anyHostJar{}, Timeout: waitTimeout, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	page := sendWith(t, browser, "GET", a.URL+"/login", "", nil, nil)
	m := csrfRE.FindStringSubmatch(page.Raw)
	if m == nil {
		t.Fatalf("GET /login on A: %d, no CSRF token", page.Status)
	}
	if r := sendWith(t, browser, "POST", a.URL+"/login", "", url.Values{"_csrf": {m[1]}, "username": {"admin"}, "password": {testAdminPassword}, "next": {"/workflows"}}, nil); r.Status != http.StatusSeeOther {
		t.Fatalf("POST /login on A: %d %s", r.Status, r.Raw)
	}
	wfA := sendWith(t, browser, "GET", a.URL+"/workflows/approve_request", "", nil, nil)
	m = csrfRE.FindStringSubmatch(wfA.Raw)
	if wfA.Status != http.StatusOK || m == nil {
		t.Fatalf("GET /workflows/approve_request on A: %d, CSRF token %v", wfA.Status, m)
	}
	if r := sendWith(t, browser, "GET", b.URL+"/workflows", "", nil, nil); r.Status != http.StatusOK || !strings.Contains(r.Raw, `data-testid="user">admin<`) {
		t.Fatalf("GET /workflows on B with A's session: %d %s, want the page of user admin", r.Status, r.Header.Get("Location"))
	}
	started := sendWith(t, browser, "POST", b.URL+"/workflows/approve_request/executions", "", url.Values{"_csrf": {m[1]}, "input": {`{"requester": "form-on-b"}`}}, nil)
	loc := started.Header.Get("Location")
	if started.Status != http.StatusSeeOther || !strings.HasPrefix(loc, "/executions/") {
		t.Fatalf("the start form posted to B with A's CSRF token: %d Location %q; %.300s", started.Status, loc, started.Raw)
	}
	formEx := api(a.URL, "GET", "/v2/executions/"+strings.TrimPrefix(loc, "/executions/"), nil, http.StatusOK)
	if in, _ := formEx.JSON["input"].(string); !strings.Contains(in, "form-on-b") {
		t.Errorf("the execution started by the form on B has input %v", formEx.JSON["input"])
	}

	// Five failed logins, three on A and two on B, are the throttle's five
	// for this account and address: the next attempt is refused on either
	// replica and through nginx, before any password check.
	keystone := func(base string, want int) response {
		t.Helper()
		r := sendWith(t, &http.Client{Timeout: waitTimeout, Transport: &http.Transport{TLSClientConfig: p.tls}}, "POST", base+"/v3/auth/tokens", "", keystoneBody("mallory", "wrong-password-1"), nil)
		if r.Status != want {
			t.Fatalf("login as mallory on %s: %d, want %d; %s", base, r.Status, want, r.Raw)
		}
		return r
	}
	for _, base := range []string{a.URL, b.URL, a.URL, b.URL, a.URL} {
		keystone(base, http.StatusUnauthorized)
	}
	for _, base := range []string{b.URL, a.URL, p.URL} {
		if r := keystone(base, http.StatusTooManyRequests); r.Header.Get("Retry-After") == "" {
			t.Errorf("429 on %s without Retry-After", base)
		}
	}
}

// anyHostJar is a browser's cookie jar for one site served by several
// replicas: every cookie it was given goes with every request, whatever
// the host, port or scheme.
type anyHostJar struct {
	mu      sync.Mutex
	cookies map[string]*http.Cookie
}

func (j *anyHostJar) SetCookies(_ *url.URL, cookies []*http.Cookie) {
	j.mu.Lock()
	defer j.mu.Unlock()
	if j.cookies == nil {
		j.cookies = map[string]*http.Cookie{}
	}
	for _, c := range cookies {
		if c.MaxAge < 0 {
			delete(j.cookies, c.Name)
			continue
		}
		j.cookies[c.Name] = c
	}
}

func (j *anyHostJar) Cookies(*url.URL) []*http.Cookie {
	j.mu.Lock()
	defer j.mu.Unlock()
	var out []*http.Cookie
	for _, c := range j.cookies {
		out = append(out, &http.Cookie{Name: c.Name, Value: c.Value})
	}
	return out
}
