package guard

import (
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"
)

// apiPrefixes are the paths whose answers are JSON whatever the client
// accepts: the Mistral API, Keystone, the account routes and the metrics.
var apiPrefixes = []string{"/v2", "/v3", "/auth", "/metrics", "/sirocco"}

// APIPath reports whether path is under /v2, /v3, /auth or /metrics.
func APIPath(path string) bool {
	for _, p := range apiPrefixes {
		if path == p || strings.HasPrefix(path, p+"/") {
			return true
		}
	}
	return false
}

// PrefersJSON reports whether an Accept header names JSON and ranks it
// at least as high as HTML, as the mistral CLI's and keystoneauth's
// application/json does. A browser's header and curl's */* do not.
func PrefersJSON(accept string) bool {
	jsonQ, htmlQ := -1.0, -1.0
	for part := range strings.SplitSeq(accept, ",") {
		mt, params, _ := strings.Cut(part, ";")
		mt = strings.ToLower(strings.TrimSpace(mt))
		q := 1.0
		for p := range strings.SplitSeq(params, ";") {
			if k, v, ok := strings.Cut(strings.TrimSpace(p), "="); ok && strings.EqualFold(k, "q") {
				if f, err := strconv.ParseFloat(strings.TrimSpace(v), 64); err == nil {
					q = f
				}
			}
		}
		switch {
		case mt == "application/json" || strings.HasSuffix(mt, "+json"):
			jsonQ = max(jsonQ, q)
		case mt == "text/html" || mt == "application/xhtml+xml":
			htmlQ = max(htmlQ, q)
		}
	}
	return jsonQ > 0 && jsonQ >= htmlQ
}

// answersJSON reports whether the answers that are not a route's own
// (refusals, unknown routes, wrong methods) are JSON for this request.
func answersJSON(r *http.Request) bool {
	return APIPath(r.URL.Path) || PrefersJSON(r.Header.Get("Accept"))
}

// ErrorHandler is Echo's HTTPErrorHandler: it answers what no handler
// answered itself (an unknown path is 404, a known path with another
// method 405 with Allow, anything else a handler returned) by the rule
// the guard's refusals follow: cfg.Fault under /v2, /v3, /auth and
// /metrics and for clients that prefer JSON, cfg.PageError otherwise.
// The middleware runs first, so a 404 is told only to those who may see the
// routes.
func ErrorHandler(cfg Config, log *slog.Logger) echo.HTTPErrorHandler {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	cfg = cfg.withDefaults()
	return func(err error, c echo.Context) {
		r := c.Request()
		if c.Response().Committed {
			return
		}
		status, msg := http.StatusInternalServerError, "Internal server error."
		var he *echo.HTTPError
		switch {
		case errors.Is(err, echo.ErrNotFound):
			status, msg = http.StatusNotFound, fmt.Sprintf("Not Found: no resource at %s.", r.URL.Path)
		case errors.Is(err, echo.ErrMethodNotAllowed):
			status = http.StatusMethodNotAllowed
			msg = fmt.Sprintf("Method Not Allowed: %s is not allowed at %s.", r.Method, r.URL.Path)
			if allow := c.Response().Header().Get(echo.HeaderAllow); allow != "" {
				msg = fmt.Sprintf("Method Not Allowed: %s is not allowed at %s; allowed: %s.", r.Method, r.URL.Path, allow)
			}
		case errors.As(err, &he) && he.Code >= 500:
			status = he.Code // its cause, if any, was logged where it happened
		case errors.As(err, &he):
			status, msg = he.Code, http.StatusText(he.Code)
			if s, ok := he.Message.(string); ok && s != "" {
				msg = s
			}
		default:
			log.Error("request failed", "method", r.Method, "path", LogPath(r), "err", err)
		}
		var werr error
		switch {
		case r.Method == http.MethodHead:
			werr = c.NoContent(status)
		case answersJSON(r):
			werr = cfg.Fault(c, status, msg)
		default:
			werr = cfg.PageError(c, status, msg)
		}
		if werr != nil {
			log.Error("write error answer", "method", r.Method, "path", LogPath(r), "err", werr)
		}
	}
}
