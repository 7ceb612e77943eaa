// Package webhook sends notifications as HTTP POST requests (Mistral's
// webhook notifier), signs them (sign.go) and decides where they may go:
// a URL must be an absolute http or https URL without credentials, and,
// when an allowlist is configured (-notify-allow), one of its
// destinations. It knows nothing of workflows: the engine gives it a URL,
// headers and a body.
package webhook

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"path"
	"strings"
	"time"
	"unicode/utf8"
)

// Headers every request carries; receivers deduplicate on EventIDHeader,
// since delivery is at least once.
const (
	EventIDHeader = "Sirocco-Event-Id"
	EventHeader   = "Sirocco-Event"
)

// ErrNotAllowed is the refusal of a destination outside the allowlist.
var ErrNotAllowed = errors.New("not among the allowed notification destinations (-notify-allow)")

// StatusError is a receiver's answer other than 2xx.
type StatusError struct {
	Code int
	Body string // the start of the answer's body
}

func (e *StatusError) Error() string {
	if e.Body == "" {
		return fmt.Sprintf("the receiver answered %d", e.Code)
	}
	return fmt.Sprintf("the receiver answered %d: %s", e.Code, e.Body)
}

// maxErrorBody bounds what is kept of a refusal's body.
const maxErrorBody = 256

// Sender posts notifications. Its zero value is not usable: use New.
type Sender struct {
	client *http.Client
	allow  *Allowlist
	// secret signs every request (SignatureHeader); nil: unsigned.
	secret []byte
	now    func() time.Time
}

// New returns a Sender whose requests time out after timeout and go only
// where allow lets them (nil: anywhere). Redirects are not followed: a
// redirect could lead a request past the allowlist.
func New(timeout time.Duration, allow *Allowlist) *Sender {
	return &Sender{
		allow: allow,
		now:   time.Now,
		client: &http.Client{
			Timeout:       timeout,
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		},
	}
}

// SetSecret makes s sign every notification with secret (see Sign);
// call it before the first Send.
func (s *Sender) SetSecret(secret []byte) { s.secret = secret }

// SetClock sets the clock s signs with (time.Now by default).
func (s *Sender) SetClock(now func() time.Time) { s.now = now }

// Signed reports whether s signs its notifications.
func (s *Sender) Signed() bool { return len(s.secret) > 0 }

// Check reports whether raw may receive notifications: an absolute http
// or https URL without user:password, allowed by the allowlist. The
// error says why not.
func (s *Sender) Check(raw string) error {
	u, err := Parse(raw)
	if err != nil {
		return err
	}
	if s.allow != nil && !s.allow.Allows(u) {
		return ErrNotAllowed
	}
	return nil
}

// Send posts body (JSON) to rawURL with headers, and EventIDHeader,
// EventHeader and (with a secret) SignatureHeader set, over the
// receiver's headers; a 2xx answer is success. The destination is checked
// again, so that a delivery stored before the allowlist was narrowed does
// not leave.
func (s *Sender) Send(ctx context.Context, rawURL string, headers map[string]string, eventID, event string, body []byte) error {
	if err := s.Check(rawURL); err != nil {
		return err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, rawURL, strings.NewReader(string(body)))
	if err != nil {
		return fmt.Errorf("build the request: %w", err)
	}
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "Sirocco-Notifier")
	req.Header.Set(EventIDHeader, eventID)
	req.Header.Set(EventHeader, event)
	if len(s.secret) > 0 {
		// Signed at each attempt: a retry carries the time it is sent.
		req.Header.Set(SignatureHeader, Sign(s.secret, s.now(), body))
	}
	resp, err := s.client.Do(req)
	if err != nil {
		var uerr *url.Error
		if errors.As(err, &uerr) {
			err = uerr.Err // the URL is shown beside the error already
		}
		return err
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(io.LimitReader(resp.Body, maxErrorBody))
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10)) // lets the connection be reused
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return &StatusError{Code: resp.StatusCode, Body: printable(b)}
	}
	return nil
}

// printable keeps the valid UTF-8 text of b on one line.
func printable(b []byte) string {
	s := strings.ToValidUTF8(string(b), "")
	s = strings.Map(func(r rune) rune {
		if r < ' ' || r == utf8.RuneError {
			return ' '
		}
		return r
	}, s)
	return strings.TrimSpace(s)
}

// Parse parses a notification URL: absolute, http or https, with a host
// and no user:password (credentials belong in headers, which are masked
// wherever parameters are shown; a URL is shown as it is).
func Parse(raw string) (*url.URL, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return nil, errors.New("not a URL")
	}
	switch {
	case u.Scheme != "http" && u.Scheme != "https":
		return nil, errors.New("not an http or https URL")
	case u.Host == "" || u.Hostname() == "":
		return nil, errors.New("has no host")
	case u.User != nil:
		return nil, errors.New("holds credentials; send them in headers, which are masked")
	}
	return u, nil
}

// Allowlist is the set of destinations notifications may go to. Each
// entry is a host name or address (any scheme and port: "hooks.example.com",
// "10.0.0.7"), a host and port ("hooks.example.com:8443"), a domain and its
// subdomains ("*.example.com"), or a URL prefix
// ("https://hooks.example.com/sirocco/": that scheme, host, port and path
// prefix).
type Allowlist struct {
	entries []allowEntry
}

type allowEntry struct {
	host     string // lowercase host name or address
	port     string // "" for any
	suffix   bool   // host is ".example.com" and matches subdomains
	prefix   *url.URL
	original string
}

// ParseAllowlist parses a comma-separated allowlist; an empty one is nil
// (everything allowed).
func ParseAllowlist(s string) (*Allowlist, error) {
	var a Allowlist
	for _, f := range strings.Split(s, ",") {
		f = strings.TrimSpace(f)
		if f == "" {
			continue
		}
		e := allowEntry{original: f}
		switch {
		case strings.Contains(f, "://"):
			u, err := Parse(f)
			if err != nil {
				return nil, fmt.Errorf("notify allowlist entry %q: %w", f, err)
			}
			if u.Path == "" {
				u.Path = "/"
			}
			e.prefix = u
		case strings.HasPrefix(f, "*."):
			e.host, e.suffix = strings.ToLower(f[1:]), true
		default:
			host, port, err := net.SplitHostPort(f)
			if err != nil {
				host, port = strings.Trim(f, "[]"), ""
			}
			if host == "" || strings.ContainsAny(host, "/?#@ ") {
				return nil, fmt.Errorf("notify allowlist entry %q: not a host, host:port, *.domain or URL prefix", f)
			}
			e.host, e.port = strings.ToLower(host), port
		}
		a.entries = append(a.entries, e)
	}
	if len(a.entries) == 0 {
		return nil, nil
	}
	return &a, nil
}

// Allows reports whether u is one of the allowed destinations.
func (a *Allowlist) Allows(u *url.URL) bool {
	host := strings.ToLower(u.Hostname())
	for _, e := range a.entries {
		switch {
		case e.prefix != nil:
			// The decoded, cleaned path must match too: "/hooks/../admin"
			// and "/hooks/%2e%2e/admin" are not under "/hooks/".
			p, dp := u.EscapedPath(), u.Path
			if p == "" {
				p, dp = "/", "/"
			}
			if u.Scheme == e.prefix.Scheme && strings.EqualFold(u.Host, e.prefix.Host) &&
				underPrefix(p, e.prefix.EscapedPath()) && underPrefix(path.Clean(dp), e.prefix.Path) {
				return true
			}
		case e.suffix:
			if strings.HasSuffix(host, e.host) {
				return true
			}
		case host == e.host && (e.port == "" || e.port == portOf(u)):
			return true
		}
	}
	return false
}

// String lists the entries as given.
func (a *Allowlist) String() string {
	if a == nil {
		return ""
	}
	s := make([]string, len(a.entries))
	for i, e := range a.entries {
		s[i] = e.original
	}
	return strings.Join(s, ",")
}

func underPrefix(p, prefix string) bool {
	return strings.HasPrefix(p, prefix) || strings.HasSuffix(prefix, "/") && p+"/" == prefix
}

func portOf(u *url.URL) string {
	if p := u.Port(); p != "" {
		return p
	}
	if u.Scheme == "https" {
		return "443"
	}
	return "80"
}
