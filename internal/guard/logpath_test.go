package guard

import (
	"net/http/httptest"
	"testing"
)

// TestLogPath: a decision link's token never reaches the log; other
// paths are logged as they are, without their query.
func TestLogPath(t *testing.T) {
	for path, want := range map[string]string{
		"/links/0190c0de-0000-7000-8000-000000000000.c2VjcmV0c2VjcmV0c2VjcmV0c2VjcmV0c2VjcmV0c2VjcmU": "/links/:token",
		"/links/x?done=1":      "/links/:token",
		"/actions/a1?notice=1": "/actions/a1",
		"/linksx":              "/linksx",
	} {
		if got := LogPath(httptest.NewRequest("GET", path, nil)); got != want {
			t.Errorf("LogPath(%s) = %s; want %s", path, got, want)
		}
	}
}
