// Package static holds the dashboard's stylesheet and script, embedded in
// the binary and served under content-hashed URLs (/static/app.<hash>.css),
// so browsers may cache them for a year: a changed file gets a new URL.
// There is no bundler and no third-party code: app.css and live.js are
// hand-written.
package static

import (
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"io/fs"
	"net/http"
	"path"
	"strings"
)

//go:embed *.css *.js
var files embed.FS

// asset is one embedded file and its hashed name.
type asset struct {
	body        []byte
	contentType string
}

// Assets maps hashed names to files; it is built once and never changes.
type Assets struct {
	byHashed map[string]asset
	hashed   map[string]string // plain name → hashed name
}

// contentTypes are the embedded files' types, spelled out: asking package
// mime loads the system's whole table at start-up (16,000 allocations,
// 0.7 MB) for two names.
var contentTypes = map[string]string{
	".css": "text/css; charset=utf-8",
	".js":  "text/javascript; charset=utf-8",
}

// assets is computed at start-up from the embedded files and read-only after.
var assets = load()

func load() *Assets {
	a := &Assets{byHashed: map[string]asset{}, hashed: map[string]string{}}
	entries, err := fs.ReadDir(files, ".")
	if err != nil {
		panic(err) // the embedded directory always exists
	}
	for _, e := range entries {
		name := e.Name()
		body, err := files.ReadFile(name)
		if err != nil {
			panic(err)
		}
		sum := sha256.Sum256(body)
		ext := path.Ext(name)
		h := strings.TrimSuffix(name, ext) + "." + hex.EncodeToString(sum[:5]) + ext
		a.hashed[name] = h
		a.byHashed[h] = asset{body: body, contentType: contentTypes[ext]}
	}
	return a
}

// Path returns the URL of an embedded file, e.g. Path("app.css") is
// "/static/app.1a2b3c4d5e.css". It panics for unknown names, which a test
// of every page catches.
func Path(name string) string {
	h, ok := assets.hashed[name]
	if !ok {
		panic("static: no file " + name)
	}
	return "/static/" + h
}

// Handler serves /static/<hashed name> with a year-long immutable cache.
// Unknown or stale names are 404: a page always links the current hash.
func Handler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		a, ok := assets.byHashed[path.Base(r.URL.Path)]
		if !ok || !strings.HasPrefix(r.URL.Path, "/static/") {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", a.contentType)
		w.Header().Set("Cache-Control", "public, max-age=31536000, immutable")
		w.Header().Set("X-Content-Type-Options", "nosniff")
		w.Write(a.body)
	})
}
