package static

import (
	"net/http"
	"net/http/httptest"
	"testing"
)

// TestHandler: each embedded file is served under its hashed name with
// its type and a year-long cache; a stale or unknown name is 404.
func TestHandler(t *testing.T) {
	for _, tc := range []struct {
		path   string
		status int
		ctype  string
	}{
		{Path("app.css"), 200, "text/css; charset=utf-8"},
		{Path("live.js"), 200, "text/javascript; charset=utf-8"},
		{"/static/app.0000000000.css", 404, ""},
		{"/static/app.css", 404, ""},
	} {
		rec := httptest.NewRecorder()
		Handler().ServeHTTP(rec, httptest.NewRequest(http.MethodGet, tc.path, nil))
		if rec.Code != tc.status {
			t.Errorf("GET %s: %d, want %d", tc.path, rec.Code, tc.status)
			continue
		}
		if tc.ctype == "" {
			continue
		}
		if got := rec.Header().Get("Content-Type"); got != tc.ctype {
			t.Errorf("GET %s: Content-Type %q, want %q", tc.path, got, tc.ctype)
		}
		if got := rec.Header().Get("Cache-Control"); got != "public, max-age=31536000, immutable" || rec.Body.Len() == 0 {
			t.Errorf("GET %s: Cache-Control %q, %d bytes", tc.path, got, rec.Body.Len())
		}
	}
}
