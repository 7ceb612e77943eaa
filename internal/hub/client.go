package hub

import (
	"context"
	"fmt"
	"net/http"
	"time"

	"github.com/gorilla/websocket"
)

const (
	writeWait  = 10 * time.Second
	pongWait   = 60 * time.Second
	pingPeriod = pongWait * 9 / 10
	// maxTopics bounds what one connection may subscribe to.
	maxTopics = 16
)

// client is one websocket connection and the topics it follows.
type client struct {
	send   chan []byte
	topics map[string]bool
	remote string
	// session identifies the dashboard session the connection was opened
	// with, and expires when that session ends; "" and zero without one.
	session string
	expires time.Time
	// admitted, when set, receives whether the hub took the client in.
	admitted chan bool
	// user is the person who opened it ("" for none): they are shown
	// viewing the actions it follows. beat is their last heartbeat and
	// lapsed says it is older than the lapse (Run's goroutine only).
	user   string
	beat   time.Time
	lapsed bool
}

// admit tells the handler whether the hub took the client in.
func (c *client) admit(ok bool) {
	if c.admitted != nil {
		c.admitted <- ok // buffered: the hub never waits on it
	}
}

func (c *client) wants(topics []string) bool {
	for _, t := range topics {
		if c.topics[t] {
			return true
		}
	}
	return false
}

// ServeHTTP upgrades GET /ws?topic=inbox&topic=execution:<id> to a
// websocket that receives the events of those topics as JSON.
func (h *Hub) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	topics := map[string]bool{}
	for _, t := range r.URL.Query()["topic"] {
		if len(topics) < maxTopics && t != "" && len(t) <= 128 {
			topics[t] = true
		}
	}
	if len(topics) == 0 {
		http.Error(w, "name at least one topic: /ws?topic=inbox", http.StatusBadRequest)
		return
	}
	if !h.checkOrigin(r) {
		http.Error(w, "websocket origin not allowed", http.StatusForbidden)
		return
	}
	// Register before the handshake completes: once the browser sees the
	// connection open, it misses no event.
	c := &client{send: make(chan []byte, h.sendBuffer), topics: topics, remote: r.RemoteAddr, admitted: make(chan bool, 1)}
	if sess, ok := r.Context().Value(sessionKey{}).(session); ok {
		c.session, c.expires = sess.key, sess.expires
	}
	c.user, _ = r.Context().Value(viewerKey{}).(string)
	select {
	case h.register <- c:
	case <-h.done:
		http.Error(w, "shutting down", http.StatusServiceUnavailable)
		return
	}
	if !<-c.admitted {
		w.Header().Set("Retry-After", "15")
		http.Error(w, fmt.Sprintf("this session has %d live connections open already; close a page", h.maxPerSession), http.StatusTooManyRequests)
		return
	}
	defer func() {
		select {
		case h.unregister <- c:
		case <-h.done:
		}
	}()
	conn, err := h.upgrader.Upgrade(w, r, nil)
	if err != nil {
		return // the upgrader has answered
	}
	go c.writePump(conn)
	c.readPump(conn, h)
}

type sessionKey struct{}

type session struct {
	key     string
	expires time.Time
}

// WithSession marks a websocket request as opened by a dashboard session:
// the hub closes the connection when the session expires, or when
// EndSession names key (a logout, a password change or a deleted account
// ended it).
func WithSession(ctx context.Context, key string, expires time.Time) context.Context {
	return context.WithValue(ctx, sessionKey{}, session{key: key, expires: expires})
}

// readPump reads what the browser sends, to notice pongs and a closed
// connection; each message is a heartbeat of its page (presence.go).
func (c *client) readPump(conn *websocket.Conn, h *Hub) {
	conn.SetReadLimit(1024)
	conn.SetReadDeadline(time.Now().Add(pongWait))
	conn.SetPongHandler(func(string) error { return conn.SetReadDeadline(time.Now().Add(pongWait)) })
	for {
		if _, _, err := conn.ReadMessage(); err != nil {
			return
		}
		conn.SetReadDeadline(time.Now().Add(pongWait))
		if c.user == "" {
			continue
		}
		select {
		case h.beats <- c:
		case <-h.done:
			return
		}
	}
}

// writePump writes queued messages and pings. When the hub closes the send
// channel (the client was slow, or the hub stops) it closes the connection,
// which also ends readPump.
func (c *client) writePump(conn *websocket.Conn) {
	ticker := time.NewTicker(pingPeriod)
	defer func() {
		ticker.Stop()
		conn.Close()
	}()
	for {
		select {
		case msg, ok := <-c.send:
			conn.SetWriteDeadline(time.Now().Add(writeWait))
			if !ok {
				conn.WriteMessage(websocket.CloseMessage, websocket.FormatCloseMessage(websocket.CloseGoingAway, ""))
				return
			}
			if err := conn.WriteMessage(websocket.TextMessage, msg); err != nil {
				return
			}
		case <-ticker.C:
			conn.SetWriteDeadline(time.Now().Add(writeWait))
			if err := conn.WriteMessage(websocket.PingMessage, nil); err != nil {
				return
			}
		}
	}
}
