// Package api serves the Mistral v2 REST API and Sirocco's callback routes
// over the engine. Handlers are thin: decode, call the engine, render the
// exact shapes the real mistral CLI expects (reference §1 and §7).
package api

import (
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"sync/atomic"

	"github.com/labstack/echo/v4"
	"github.com/sirocco-project/sirocco/internal/auth"
	"github.com/sirocco-project/sirocco/internal/engine"
	"github.com/sirocco-project/sirocco/internal/expr"
	"github.com/sirocco-project/sirocco/internal/fault"
	"github.com/sirocco-project/sirocco/internal/httpstatus"
	"github.com/sirocco-project/sirocco/internal/jsonvalue"
)

// timeLayout is Mistral's timestamp format; the CLI parses exactly this.
const timeLayout = "2006-01-02 15:04:05"

// API serves /v2.
type API struct {
	engine *engine.Engine
	log    *slog.Logger
	// maxBody bounds request bodies.
	maxBody int64
	// auth serves the Keystone login and the account routes; nil leaves
	// them answering 404.
	auth *auth.Service
	// parseSlots holds a token per definition being parsed.
	parseSlots chan struct{}
	// base is the server's public URL, for the links of documents.
	base string
	// parsing, when set, runs while a definition holds its slot (tests
	// hold slots with it).
	parsing func()
	// claimed, when set, runs when a request has claimed its
	// Idempotency-Key, before its handler (tests hold keys with it).
	claimed func()
	// maxTree, when set, replaces MaxTreeEntries (tests).
	maxTree atomic.Int64
}

// SetBaseURL sets the public URL the documents link to (the root and /v2/
// documents, list pages, the Keystone catalog). It is the server's
// -base-url, never the request's Host header, which the client chooses.
// Unset, the links are paths.
func (a *API) SetBaseURL(u string) { a.base = strings.TrimRight(u, "/") }

// SetAuth gives the API the account service behind /v3 (the Keystone
// subset the mistral CLI logs in with) and /auth (users, groups, tokens).
func (a *API) SetAuth(s *auth.Service) { a.auth = s }

// New returns the API over e.
func New(e *engine.Engine, log *slog.Logger) *API {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	a := &API{engine: e, log: log, maxBody: int64(e.MaxOutputBytes()) + 64<<10}
	a.SetParseSlots(defaultParseSlots())
	return a
}

// fault writes Mistral's error body. Internal errors are logged and shown
// without details.
func (a *API) fault(c echo.Context, err error) error {
	status := a.logFault(c, err)
	faultcode := "Client"
	if status >= 500 {
		faultcode = "Server"
	}
	return writeJSON(c, status, object{{"faultcode", faultcode}, {"faultstring", fault.Message(err)}, {"debuginfo", nil}})
}

// plainFault is the error body of the YAML-taking handlers, which in
// Mistral carry only faultstring.
func (a *API) plainFault(c echo.Context, err error) error {
	status := a.logFault(c, err)
	return writeJSON(c, status, map[string]any{"faultstring": fault.Message(err)})
}

// logFault returns err's status, logging server errors. A 503 (the
// database unavailable, say while it restarts) asks the client to retry
// in a second and is a warning: an outage is expected to pass, and every
// request during it would otherwise log an error.
func (a *API) logFault(c echo.Context, err error) int {
	status := httpstatus.Of(err)
	switch {
	case status == http.StatusServiceUnavailable:
		c.Response().Header().Set("Retry-After", "1")
		a.log.Warn("request refused for now", "method", c.Request().Method, "path", c.Request().URL.Path, "err", err)
	case status >= 500:
		a.log.Error("request failed", "method", c.Request().Method, "path", c.Request().URL.Path, "err", err)
	}
	return status
}

// Fault writes Mistral's error body with a status: the guard's refusals
// look like every other API error.
func Fault(c echo.Context, status int, msg string) error {
	faultcode := "Client"
	if status >= 500 {
		faultcode = "Server"
	}
	return writeJSON(c, status, object{{"faultcode", faultcode}, {"faultstring", msg}, {"debuginfo", nil}})
}

// Refuse writes an error no handler of the API wrote (the guard's
// refusals, unknown routes, wrong methods) in the shape of the path:
// Keystone's error body under /v3, Mistral's fault elsewhere.
func (a *API) Refuse(c echo.Context, status int, msg string) error {
	if p := c.Request().URL.Path; p == "/v3" || strings.HasPrefix(p, "/v3/") {
		return a.KeystoneFault(c, status, msg)
	}
	return Fault(c, status, msg)
}

func invalid(format string, args ...any) error {
	return fault.Errorf(fault.EINVALID, format, args...)
}

// readBody reads a bounded request body.
func (a *API) readBody(c echo.Context) ([]byte, error) {
	body := http.MaxBytesReader(c.Response(), c.Request().Body, a.maxBody)
	b, err := io.ReadAll(body)
	var tooBig *http.MaxBytesError
	if errors.As(err, &tooBig) {
		return nil, fault.Errorf(fault.ETOOLARGE, "Request body is too large: the limit is %d bytes.", a.maxBody)
	}
	if err != nil {
		return nil, invalid("Cannot read request body: %v", err)
	}
	return b, nil
}

// decodeBody parses a JSON object body, rejecting attributes the resource
// does not have, as WSME does.
func (a *API) decodeBody(c echo.Context, argName string, allowed map[string]bool) (map[string]json.RawMessage, error) {
	b, err := a.readBody(c)
	if err != nil {
		return nil, err
	}
	if err := jsonvalue.CheckDepth(b); err != nil {
		return nil, invalid("%v", err)
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(b, &m); err != nil || m == nil {
		return nil, invalid("Request is not in valid JSON format")
	}
	var unknown []string
	for k := range m {
		if !allowed[k] {
			unknown = append(unknown, k)
		}
	}
	if len(unknown) > 0 {
		return nil, invalid("Unknown attribute for argument %s: %s", argName, strings.Join(sortStrings(unknown), ", "))
	}
	return m, nil
}

func setOf(names ...string) map[string]bool {
	m := make(map[string]bool, len(names))
	for _, n := range names {
		m[n] = true
	}
	return m
}

// stringField reads an optional string attribute (null → "").
func stringField(m map[string]json.RawMessage, key string) (string, bool, error) {
	raw, ok := m[key]
	if !ok || string(raw) == "null" {
		return "", ok, nil
	}
	var s string
	if err := json.Unmarshal(raw, &s); err != nil {
		return "", true, invalid("Invalid input for field/attribute %s. Value: '%s'. Value should be a string", key, raw)
	}
	return s, true, nil
}

// objectField reads a JSON-typed attribute: an object, or a string holding
// a JSON object; empty values become an empty object (reference §1.1).
func objectField(m map[string]json.RawMessage, key string) (map[string]any, error) {
	v, _, err := orderedObjectField(m, key)
	return v, err
}

// orderedObjectField is objectField that also gives the object's keys in
// the order the client wrote them.
func orderedObjectField(m map[string]json.RawMessage, key string) (map[string]any, []string, error) {
	raw, ok := m[key]
	if !ok {
		return nil, nil, nil
	}
	v, err := jsonvalue.Decode(raw)
	if err != nil {
		return nil, nil, invalid("Invalid input for field/attribute %s: %v", key, err)
	}
	if s, ok := v.(string); ok {
		if strings.TrimSpace(s) == "" {
			return map[string]any{}, nil, nil
		}
		if v, err = jsonvalue.DecodeInput([]byte(s)); err != nil {
			return nil, nil, invalid("Invalid input for field/attribute %s. Value: '%s'. %v", key, s, err)
		}
	}
	switch x := v.(type) {
	case nil:
		return map[string]any{}, nil, nil
	case *jsonvalue.Object:
		return x.Map(), x.Keys(), nil // the values inside keep their order
	}
	return nil, nil, invalid("JsonType field value must be a dictionary [actual=%s]", expr.Str(v))
}
