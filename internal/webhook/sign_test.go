package webhook_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sirocco-project/sirocco/internal/webhook"
)

var (
	secret = []byte("0123456789abcdef0123456789abcdef")
	sentAt = time.Date(2026, 12, 7, 12, 0, 0, 0, time.UTC)
)

// TestVerify: a signature verifies with its secret, body and a time
// within the tolerance; another secret, a changed body, a time outside
// the window on either side, a missing or malformed header are refused,
// each with its own error; of several v1 values one matching is enough.
func TestVerify(t *testing.T) {
	t.Parallel()
	body := []byte(`{"event": "approval.requested", "event_id": "e1"}`)
	good := webhook.Sign(secret, sentAt, body)
	if !strings.HasPrefix(good, "t=1796644800,v1=") || len(good) != len("t=1796644800,v1=")+64 {
		t.Fatalf("Sign = %q; want t=<unix>,v1=<64 hex digits>", good)
	}
	other := webhook.Sign([]byte("another secret, long enough"), sentAt, body)
	_, otherSig, _ := strings.Cut(other, ",")
	for _, tt := range []struct {
		name   string
		header string
		body   []byte
		now    time.Time
		want   error
	}{
		{"good", good, body, sentAt, nil},
		{"a little later", good, body, sentAt.Add(webhook.DefaultTolerance), nil},
		{"receiver's clock behind", good, body, sentAt.Add(-time.Minute), nil},
		{"rotation: old and new", good + "," + otherSig, body, sentAt, nil},
		{"another secret", other, body, sentAt, webhook.ErrBadSignature},
		{"body changed", good, []byte(`{"event": "approval.requested", "event_id": "e2"}`), sentAt, webhook.ErrBadSignature},
		{"time changed", strings.Replace(good, "t=1796644800", "t=1796644900", 1), body, sentAt, webhook.ErrBadSignature},
		{"too old", good, body, sentAt.Add(webhook.DefaultTolerance + time.Second), webhook.ErrStale},
		{"from the future", good, body, sentAt.Add(-webhook.DefaultTolerance - time.Second), webhook.ErrStale},
		{"none", "", body, sentAt, webhook.ErrNoSignature},
		{"no time", strings.SplitN(good, ",", 2)[1], body, sentAt, webhook.ErrNoSignature},
		{"not hex", "t=1796644800,v1=zz", body, sentAt, webhook.ErrNoSignature},
	} {
		t.Run(tt.name, func(t *testing.T) {
			err := webhook.Verify(secret, tt.header, tt.body, tt.now, webhook.DefaultTolerance)
			if !errors.Is(err, tt.want) {
				t.Errorf("Verify = %v; want %v", err, tt.want)
			}
		})
	}
}

// TestSendSigns: with a secret every request carries a signature of its
// body at the sender's time, which the receiver's check accepts, and a
// receiver's own Sirocco-Signature header cannot replace it; each attempt
// is signed at its own time. Without a secret there is none.
func TestSendSigns(t *testing.T) {
	t.Parallel()
	var mu sync.Mutex
	var got []http.Header
	var bodies [][]byte
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		mu.Lock()
		got, bodies = append(got, r.Header.Clone()), append(bodies, b)
		mu.Unlock()
	}))
	defer srv.Close()
	now := sentAt
	s := webhook.New(5*time.Second, nil)
	s.SetSecret(secret)
	s.SetClock(func() time.Time { return now })
	if !s.Signed() {
		t.Fatal("Signed() = false with a secret")
	}
	ctx := context.Background()
	body := []byte(`{"event": "approval.decided"}`)
	for range 2 {
		if err := s.Send(ctx, srv.URL, map[string]string{webhook.SignatureHeader: "t=1,v1=00"}, "e1", "approval.decided", body); err != nil {
			t.Fatal(err)
		}
		now = now.Add(3 * time.Second)
	}
	plain := webhook.New(5*time.Second, nil)
	if err := plain.Send(ctx, srv.URL, nil, "e2", "approval.decided", body); err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(got) != 3 {
		t.Fatalf("%d requests; want 3", len(got))
	}
	for i, at := range []time.Time{sentAt, sentAt.Add(3 * time.Second)} {
		h := got[i].Values(webhook.SignatureHeader)
		if len(h) != 1 || h[0] != webhook.Sign(secret, at, body) {
			t.Errorf("attempt %d: %s = %q; want the signature at %v", i+1, webhook.SignatureHeader, h, at)
		}
		if err := webhook.Verify(secret, got[i].Get(webhook.SignatureHeader), bodies[i], at, webhook.DefaultTolerance); err != nil {
			t.Errorf("attempt %d: the receiver's check: %v", i+1, err)
		}
	}
	if h := got[2].Get(webhook.SignatureHeader); h != "" {
		t.Errorf("without a secret: %s = %q; want none", webhook.SignatureHeader, h)
	}
}
