package web_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/gorilla/websocket"
)

// TestClaimAndPresence: fin1 claims an approval from its page; fin2 sees
// "fin1 is handling this" in the inbox and on the page, without a claim
// button but with the decision form (a soft lock), and a claim of his own
// is refused naming fin1; a viewer may not claim; while fin1 has the page
// open (its websocket, with his session), fin2's page says fin1 is
// viewing it, and fin1's own page does not name him; fin1 releases the
// claim and the inbox says nothing more.
func TestClaimAndPresence(t *testing.T) {
	t.Parallel()
	e := approvalEnv(t)
	id := e.startAs("rita", "request_vm")
	fin1, fin2 := e.as("fin1"), e.as("fin2")

	p := fin1.get("/actions/" + id)
	if p.doc.Find(`[data-testid="claim"]`).Length() != 1 || p.text(`[data-testid="claimed"]`) != "" {
		t.Fatalf("fin1's page before any claim: claim button %d, claimed %q", p.doc.Find(`[data-testid="claim"]`).Length(), p.text(`[data-testid="claimed"]`))
	}
	r := fin1.post("/actions/"+id+"/claim", url.Values{"_csrf": {p.csrf()}, "op": {"claim"}})
	if r.status != http.StatusSeeOther || r.header.Get("Location") != "/actions/"+id+"?notice=claimed" {
		t.Fatalf("fin1 claims: %d %s", r.status, r.header.Get("Location"))
	}
	if got := fin1.get("/actions/" + id).text(`[data-testid="claimed"]`); !strings.HasPrefix(got, "You are handling this") {
		t.Errorf("fin1's page: %q", got)
	}

	inbox := fin2.get("/inbox")
	if got := inbox.text(`[data-testid="inbox"] [data-testid="row-claimed"]`); got != "fin1 is handling this" {
		t.Errorf("fin2's inbox row: %q, want fin1 is handling this", got)
	}
	page := fin2.get("/actions/" + id)
	if got := page.text(`[data-testid="claimed"]`); !strings.HasPrefix(got, "fin1 is handling this") || !strings.Contains(got, "anyone may still decide") {
		t.Errorf("fin2's page: %q", got)
	}
	if page.doc.Find(`[data-testid="claim"]`).Length() != 0 {
		t.Error("fin2 is offered to claim what fin1 handles")
	}
	if page.doc.Find(`form[data-testid="approval-form"]`).Length() != 1 {
		t.Error("fin2 has no decision form: a claim must not stop him deciding")
	}
	r = fin2.post("/actions/"+id+"/claim", url.Values{"_csrf": {page.csrf()}, "op": {"claim"}})
	if r.status != http.StatusConflict || !strings.Contains(r.body, "fin1 is handling this approval") {
		t.Errorf("fin2 claims fin1's: %d %s", r.status, r.text(`[data-testid="error-message"]`))
	}
	// A viewer may not claim at all.
	val := e.as("val")
	if r := val.post("/actions/"+id+"/claim", url.Values{"_csrf": {val.get("/inbox").csrf()}, "op": {"claim"}}); r.status != http.StatusForbidden {
		t.Errorf("a viewer claims: %d, want 403", r.status)
	}

	// fin1 has the page open: its socket, with his session.
	u, _ := url.Parse(e.url)
	hdr := http.Header{"Origin": {e.url}}
	for _, ck := range fin1.client.Jar.Cookies(u) {
		hdr.Add("Cookie", ck.Name+"="+ck.Value)
	}
	ws, _, err := websocket.DefaultDialer.Dial("ws"+strings.TrimPrefix(e.url, "http")+"/ws?topic=action:"+id, hdr)
	if err != nil {
		t.Fatal(err)
	}
	var m struct {
		Kind    string   `json:"kind"`
		Viewers []string `json:"viewers"`
	}
	if err := ws.ReadJSON(&m); err != nil || m.Kind != "presence" || len(m.Viewers) != 1 || m.Viewers[0] != "fin1" {
		t.Fatalf("fin1's socket: %+v %v, want his own presence", m, err)
	}
	if got := fin2.get("/actions/" + id).text(`[data-testid="presence"]`); got != "fin1 is viewing this" {
		t.Errorf("fin2's page while fin1's is open: %q", got)
	}
	if got := fin1.get("/actions/" + id).text(`[data-testid="presence"]`); got != "" {
		t.Errorf("fin1's own page names %q: he is not someone else", got)
	}
	ws.Close()

	r = fin1.post("/actions/"+id+"/claim", url.Values{"_csrf": {p.csrf()}, "op": {"release"}})
	if r.status != http.StatusSeeOther {
		t.Fatalf("fin1 releases: %d", r.status)
	}
	if got := fin2.get("/inbox").text(`[data-testid="row-claimed"]`); got != "" {
		t.Errorf("fin2's inbox after the release: %q", got)
	}
}
