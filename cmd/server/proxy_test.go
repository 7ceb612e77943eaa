package main

import (
	"bytes"
	"crypto/tls"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/labstack/echo/v4"
	"github.com/sirocco-project/sirocco/internal/guard"
)

// TestTrustedProxies: X-Forwarded-For and X-Forwarded-Proto count only
// when the connection comes from a -trusted-proxies range; the login
// throttle's address (guard.ClientAddr) is the same as Context.RealIP.
func TestTrustedProxies(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name       string
		trusted    string // -trusted-proxies
		remote     string // the connection's peer
		xff, proto string // X-Forwarded-For, X-Forwarded-Proto
		tls        bool
		wantIP     string
		wantScheme string
	}{
		{"no proxy, headers ignored", "", "203.0.113.9:4000", "198.51.100.1", "https", false, "203.0.113.9", "http"},
		{"loopback is not trusted by default", "", "127.0.0.1:4000", "198.51.100.1", "https", false, "127.0.0.1", "http"},
		{"private is not trusted by default", "", "10.1.2.3:4000", "198.51.100.1", "https", false, "10.1.2.3", "http"},
		{"untrusted peer", "10.0.0.0/8", "203.0.113.9:4000", "198.51.100.1", "https", false, "203.0.113.9", "http"},
		{"trusted peer", "10.0.0.0/8", "10.1.2.3:4000", "198.51.100.1", "https", false, "198.51.100.1", "https"},
		{"trusted single address", "192.0.2.7", "192.0.2.7:4000", "198.51.100.1", "https", false, "198.51.100.1", "https"},
		{"address next to a trusted one", "192.0.2.7", "192.0.2.8:4000", "198.51.100.1", "https", false, "192.0.2.8", "http"},
		{"trusted peer, no headers", "10.0.0.0/8", "10.1.2.3:4000", "", "", false, "10.1.2.3", "http"},
		// The client may send its own X-Forwarded-For: the proxy appends
		// the address it saw, and that is the one believed.
		{"forged entry left of the proxy's", "10.0.0.0/8", "10.1.2.3:4000", "1.2.3.4, 198.51.100.1", "https", false, "198.51.100.1", "https"},
		{"chain of trusted proxies", "10.0.0.0/8", "10.1.2.3:4000", "198.51.100.1, 10.9.9.9", "http", false, "198.51.100.1", "http"},
		{"garbage in the header", "10.0.0.0/8", "10.1.2.3:4000", "not-an-ip", "", false, "10.1.2.3", "http"},
		{"IPv6 range", "2001:db8::/32", "[2001:db8::1]:4000", "198.51.100.1", "https", false, "198.51.100.1", "https"},
		{"TLS is https whoever connects", "", "203.0.113.9:4000", "", "http", true, "203.0.113.9", "https"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			nets, err := parseTrustedProxies(tt.trusted)
			if err != nil {
				t.Fatal(err)
			}
			e := echo.New()
			trustProxies(e, nets)
			e.GET("/", func(c echo.Context) error {
				return c.JSON(http.StatusOK, map[string]string{"ip": c.RealIP(), "client": guard.ClientAddr(c), "scheme": c.Scheme()})
			})
			req := httptest.NewRequest("GET", "/", nil)
			req.RemoteAddr = tt.remote
			if tt.xff != "" {
				req.Header.Set("X-Forwarded-For", tt.xff)
			}
			if tt.proto != "" {
				req.Header.Set("X-Forwarded-Proto", tt.proto)
			}
			if tt.tls {
				req.TLS = &tls.ConnectionState{}
			} else {
				req.TLS = nil
			}
			rec := httptest.NewRecorder()
			e.ServeHTTP(rec, req)
			var got map[string]string
			if err := json.Unmarshal(rec.Body.Bytes(), &got); err != nil {
				t.Fatalf("%d %s: %v", rec.Code, rec.Body, err)
			}
			if got["ip"] != tt.wantIP || got["client"] != tt.wantIP || got["scheme"] != tt.wantScheme {
				t.Errorf("RealIP %q, ClientAddr %q, Scheme %q; want %q, %q, %q", got["ip"], got["client"], got["scheme"], tt.wantIP, tt.wantIP, tt.wantScheme)
			}
		})
	}
}

// TestClientAddrWithoutExtractor: without an IPExtractor, ClientAddr is
// the peer, not Echo's fallback that believes X-Forwarded-For from anyone.
func TestClientAddrWithoutExtractor(t *testing.T) {
	t.Parallel()
	e := echo.New()
	req := httptest.NewRequest("GET", "/", nil)
	req.RemoteAddr = "203.0.113.9:4000"
	req.Header.Set("X-Forwarded-For", "198.51.100.1")
	if got := guard.ClientAddr(e.NewContext(req, httptest.NewRecorder())); got != "203.0.113.9" {
		t.Errorf("ClientAddr = %q, want the peer 203.0.113.9", got)
	}
}

// TestParseConfigProxiesAndBaseURL: -trusted-proxies takes CIDR ranges
// and addresses; -base-url must be an http(s) URL and is required when
// the listen address is not loopback. Mistakes are usage errors naming
// the flag.
func TestParseConfigProxiesAndBaseURL(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		args     []string
		env      map[string]string
		wantErr  string // fragment of a usage error; "" for none
		wantNets []string
	}{
		{name: "defaults", args: nil},
		{name: "ranges and an address", args: []string{"-trusted-proxies", "10.0.0.0/8, 192.0.2.7,2001:db8::/32"}, wantNets: []string{"10.0.0.0/8", "192.0.2.7/32", "2001:db8::/32"}},
		{name: "from the environment", env: map[string]string{"SIROCCO_TRUSTED_PROXIES": "172.16.0.0/12"}, wantNets: []string{"172.16.0.0/12"}},
		{name: "not a range", args: []string{"-trusted-proxies", "10.0.0.0/8,proxy.local"}, wantErr: `invalid -trusted-proxies "10.0.0.0/8,proxy.local": "proxy.local"`},
		{name: "bad prefix length", args: []string{"-trusted-proxies", "10.0.0.0/33"}, wantErr: "-trusted-proxies"},
		{name: "all interfaces need -base-url", args: []string{"-addr", "0.0.0.0:8989"}, wantErr: "-base-url is required"},
		{name: "empty host needs -base-url", args: []string{"-addr", ":8989"}, wantErr: "-base-url is required"},
		{name: "a hostname needs -base-url", args: []string{"-addr", "sirocco.example.com:8989"}, wantErr: "-base-url is required"},
		{name: "from the environment too", env: map[string]string{"SIROCCO_ADDR": "0.0.0.0:8989"}, wantErr: "-base-url is required"},
		{name: "all interfaces with -base-url", args: []string{"-addr", "0.0.0.0:8989", "-base-url", "https://sirocco.example.com"}},
		{name: "SIROCCO_BASE_URL", args: []string{"-addr", "0.0.0.0:8989"}, env: map[string]string{"SIROCCO_BASE_URL": "http://10.0.0.5:8989/"}},
		{name: "IPv6 loopback", args: []string{"-addr", "[::1]:8989"}},
		{name: "localhost", args: []string{"-addr", "localhost:8989"}},
		{name: "base URL without scheme", args: []string{"-base-url", "sirocco.example.com"}, wantErr: `invalid -base-url "sirocco.example.com"`},
		{name: "base URL of another scheme", args: []string{"-base-url", "ftp://sirocco.example.com"}, wantErr: "invalid -base-url"},
		{name: "base URL with a query", args: []string{"-base-url", "https://sirocco.example.com/?x=1"}, wantErr: "invalid -base-url"},
		{name: "base URL with credentials", args: []string{"-base-url", "https://u:p@sirocco.example.com"}, wantErr: "invalid -base-url"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			cfg, err := parseConfig(tt.args, func(k string) string { return tt.env[k] }, io.Discard)
			var ue usageError
			switch {
			case tt.wantErr == "" && err != nil:
				t.Fatalf("parseConfig(%q) = %v, want nil", tt.args, err)
			case tt.wantErr == "":
			case !errors.As(err, &ue) || !strings.Contains(err.Error(), tt.wantErr):
				t.Fatalf("parseConfig(%q) = %v, want a usage error containing %q", tt.args, err, tt.wantErr)
			default:
				return
			}
			var nets []string
			for _, n := range cfg.trustedProxies {
				nets = append(nets, n.String())
			}
			if strings.Join(nets, " ") != strings.Join(tt.wantNets, " ") {
				t.Errorf("trusted proxies %v, want %v", nets, tt.wantNets)
			}
		})
	}
}

// TestDocumentsUseBaseURL: the version documents, list pages, the Keystone
// documents and WWW-Authenticate link to -base-url, never to the Host or
// X-Forwarded-* headers of the request.
func TestDocumentsUseBaseURL(t *testing.T) {
	t.Parallel()
	const base = "http://sirocco.example.com:8443"
	s := startAuthServer(t, "-base-url", base)
	for _, wf := range []string{"one", "two"} {
		text := "version: '2.0'\n" + wf + ":\n  tasks:\n    t:\n      action: std.noop\n"
		if r := s.req(t, "POST", "/v2/workflows", s.tokens["admin"], text, nil); r.Status != http.StatusCreated {
			t.Fatalf("create workflow %s: %d %s", wf, r.Status, r.Raw)
		}
	}
	login, _ := json.Marshal(map[string]any{"auth": map[string]any{
		"identity": map[string]any{"methods": []string{"password"}, "password": map[string]any{
			"user": map[string]any{"name": "admin", "domain": map[string]any{"name": "Default"}, "password": testAdminPassword}}},
		"scope": map[string]any{"project": map[string]any{"name": "sirocco", "domain": map[string]any{"name": "Default"}}},
	}})
	tests := []struct {
		method, path string
		body         []byte
		header       map[string]string
		want         string // what the document must link to
	}{
		{"GET", "/", nil, nil, base + "/v2"},
		{"GET", "/v2/", nil, nil, base + "/v2"},
		{"GET", "/v3", nil, nil, base + "/v3/"},
		{"GET", "/v3/", nil, nil, base + "/v3/"},
		{"POST", "/v3/auth/tokens", login, map[string]string{"Content-Type": "application/json"}, base + "/v2"},
		{"GET", "/v3/auth/tokens", nil, map[string]string{"X-Auth-Token": s.tokens["viewer"], "X-Subject-Token": s.tokens["viewer"]}, base + "/v2"},
		{"GET", "/v2/workflows?limit=1", nil, map[string]string{"X-Auth-Token": s.tokens["viewer"]}, base + "/v2/workflows?"},
		{"GET", "/v3/projects", nil, nil, `Keystone uri="` + base + `/v3"`}, // a 401's WWW-Authenticate
	}
	for _, tt := range tests {
		req, err := http.NewRequest(tt.method, s.URL+tt.path, bytes.NewReader(tt.body))
		if err != nil {
			t.Fatal(err)
		}
		req.Host = "evil.example"
		req.Header.Set("X-Forwarded-Host", "evil.example")
		req.Header.Set("X-Forwarded-Proto", "https")
		req.Header.Set("X-Forwarded-For", "198.51.100.1")
		for k, v := range tt.header {
			req.Header.Set(k, v)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		raw, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		var headers strings.Builder
		resp.Header.Write(&headers)
		all := headers.String() + string(raw)
		if strings.Contains(all, "evil.example") || strings.Contains(all, "https://") {
			t.Errorf("%s %s with Host: evil.example: the answer names the request's host or scheme:\n%s", tt.method, tt.path, all)
		}
		if !strings.Contains(all, tt.want) {
			t.Errorf("%s %s: %d, the answer does not name %s:\n%s", tt.method, tt.path, resp.StatusCode, tt.want, all)
		}
	}
}
