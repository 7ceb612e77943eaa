package guard

import (
	"net/http"
	"strings"
)

// LinksPrefix is where decision links are served: /links/<token>.
const LinksPrefix = "/links/"

// LogPath is the path to log for request r: its URL path, except that a
// decision link's token, a credential, gives way to the route's pattern
// (/links/:token), so that no log holds one. Query strings are never
// logged.
func LogPath(r *http.Request) string {
	if strings.HasPrefix(r.URL.Path, LinksPrefix) {
		return LinksPrefix + ":token"
	}
	return r.URL.Path
}
