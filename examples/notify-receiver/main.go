// Command notify-receiver is an example webhook receiver for Sirocco's
// notifications: it checks each one's signature, refuses replays and
// handles each event once (delivery is at least once).
//
//	SIROCCO_NOTIFY_SECRET=… go run ./examples/notify-receiver   # listens on 127.0.0.1:8991
package main

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"log"
	"net/http"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"
)

const window = 5 * time.Minute // how far a signature's time may be from now

type receiver struct {
	secret []byte
	now    func() time.Time
	mu     sync.Mutex
	seen   map[string]time.Time // signatures accepted within the window: a replay is refused
	done   map[string]bool      // event ids handled: a retry is acknowledged, not handled again
}

func (r *receiver) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	body, err := io.ReadAll(io.LimitReader(req.Body, 1<<20))
	if err != nil {
		http.Error(w, "unreadable body", http.StatusBadRequest)
		return
	}
	// Sirocco-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>." + body)>
	var ts, sig string
	for _, part := range strings.Split(req.Header.Get("Sirocco-Signature"), ",") {
		if v, ok := strings.CutPrefix(part, "t="); ok {
			ts = v
		} else if v, ok := strings.CutPrefix(part, "v1="); ok {
			sig = v
		}
	}
	mac := hmac.New(sha256.New, r.secret)
	mac.Write([]byte(ts + "."))
	mac.Write(body)
	got, _ := hex.DecodeString(sig)
	sec, err := strconv.ParseInt(ts, 10, 64)
	if err != nil || !hmac.Equal(got, mac.Sum(nil)) {
		http.Error(w, "bad signature", http.StatusUnauthorized)
		return
	}
	now := r.now()
	if d := now.Sub(time.Unix(sec, 0)); d > window || d < -window {
		http.Error(w, "stale signature", http.StatusUnauthorized)
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	key := string(got) // the bytes: hex in capitals is the same signature
	if _, replayed := r.seen[key]; replayed {
		http.Error(w, "replayed", http.StatusConflict)
		return
	}
	for s, at := range r.seen {
		if now.Sub(at) > 2*window {
			delete(r.seen, s)
		}
	}
	r.seen[key] = now
	id := req.Header.Get("Sirocco-Event-Id")
	if !r.done[id] {
		r.done[id] = true
		log.Printf("%s %s: %s", req.Header.Get("Sirocco-Event"), id, body)
	}
}

func main() {
	secret := os.Getenv("SIROCCO_NOTIFY_SECRET")
	if secret == "" {
		log.Fatal("set SIROCCO_NOTIFY_SECRET to the server's secret")
	}
	r := &receiver{secret: []byte(strings.TrimSpace(secret)), now: time.Now, seen: map[string]time.Time{}, done: map[string]bool{}}
	log.Fatal(http.ListenAndServe("127.0.0.1:8991", r))
}
