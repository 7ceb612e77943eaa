package main

import (
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"github.com/sirocco-project/sirocco/internal/pgtest"
)

// TestPresenceAcrossPostgresReplicas: two servers on one PostgreSQL
// database; approver1 opens an action's page on A, the admin the same
// page on B: B's socket is told approver1 views it, which only the
// store's notices (A's NOTIFY) carry; when approver1's page closes, B's
// viewers learn that too.
func TestPresenceAcrossPostgresReplicas(t *testing.T) {
	t.Parallel()
	dsn := pgtest.DSN(t)
	a := startAuthServer(t, "-seed=false", "-db", dsn)
	b := &authServer{testServer: startServerEnv(t, map[string]string{"SIROCCO_AUTH": "on", "SIROCCO_ADMIN_PASSWORD": testAdminPassword}, "-seed=false", "-db", dsn)}
	adminOnB, _ := b.dashboardLogin(t, "admin", testAdminPassword)

	dial := func(s *testServer, c *http.Client) *websocket.Conn {
		t.Helper()
		u, _ := url.Parse(s.URL)
		hdr := http.Header{"Origin": {s.URL}}
		for _, ck := range c.Jar.Cookies(u) {
			hdr.Add("Cookie", ck.Name+"="+ck.Value)
		}
		d := websocket.Dialer{HandshakeTimeout: waitTimeout}
		ws, _, err := d.Dial("ws"+strings.TrimPrefix(s.URL, "http")+"/ws?topic=action:act-42", hdr)
		if err != nil {
			t.Fatalf("websocket on %s: %v", s.URL, err)
		}
		t.Cleanup(func() { ws.Close() })
		return ws
	}
	// until reads presence messages until one lists want.
	until := func(ws *websocket.Conn, want ...string) {
		t.Helper()
		ws.SetReadDeadline(time.Now().Add(waitTimeout))
		var seen []string
		for {
			var m struct {
				Kind    string   `json:"kind"`
				Viewers []string `json:"viewers"`
			}
			if err := ws.ReadJSON(&m); err != nil {
				t.Fatalf("waiting for viewers %v: %v (saw %v)", want, err, seen)
			}
			if m.Kind == "presence" {
				if slices.Equal(m.Viewers, want) {
					return
				}
				seen = append(seen, strings.Join(m.Viewers, "+"))
			}
		}
	}
	onB := dial(b.testServer, adminOnB)
	until(onB, "admin")
	onA := dial(a.testServer, a.sessions["approver"])
	until(onB, "admin", "approver1")
	onA.Close()
	until(onB, "admin")
}
