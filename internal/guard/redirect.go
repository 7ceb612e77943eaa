package guard

import (
	"net/url"
	"strings"
	"unicode"
	"unicode/utf8"
)

// SafeNext keeps a post-login redirect on this site. It reads next as a
// browser reads a Location (the WHATWG URL standard): ends trimmed of
// control characters and spaces, tabs and newlines dropped anywhere, '\'
// taken for '/' before the query. What is left must be a path from the
// root ("/" then anything but another slash): no scheme, no host, no
// userinfo, no control character, and the same once percent-decoded, so
// that a later decoding cannot turn it into a host either. Anything else,
// and the login and logout pages themselves, give "/". The answer is
// ASCII, with what a browser would escape percent-encoded.
func SafeNext(next string) string {
	if !utf8.ValidString(next) {
		return "/"
	}
	s := strings.TrimFunc(next, func(r rune) bool { return r <= ' ' })
	s = strings.Map(func(r rune) rune {
		if r == '\t' || r == '\n' || r == '\r' {
			return -1
		}
		return r
	}, s)
	end := strings.IndexAny(s, "?#")
	if end < 0 {
		end = len(s)
	}
	path, rest := strings.ReplaceAll(s[:end], "\\", "/"), s[end:]
	if strings.ContainsFunc(s, unicode.IsControl) || !rootPath(path) {
		return "/"
	}
	u, err := url.Parse(path + rest)
	if err != nil || u.Scheme != "" || u.Host != "" || u.User != nil || u.Opaque != "" {
		return "/"
	}
	decoded, err := url.PathUnescape(path)
	if err != nil || !utf8.ValidString(decoded) || strings.ContainsFunc(decoded, unicode.IsControl) {
		return "/"
	}
	decoded = strings.ReplaceAll(decoded, "\\", "/")
	for _, p := range []string{path, decoded} {
		if p = withoutDotSegments(p); !rootPath(p) || strings.HasPrefix(p, "/login") || strings.HasPrefix(p, "/logout") {
			return "/"
		}
	}
	return escapeURL(path + rest)
}

// rootPath reports whether p is a path from the root of this site: a
// browser reads "//host" (and "/\host") as another host.
func rootPath(p string) bool { return strings.HasPrefix(p, "/") && !strings.HasPrefix(p, "//") }

// withoutDotSegments resolves "." and ".." segments as a browser does,
// "%2e" counting as a dot, so that "/.//evil" is seen as the "//evil" it
// becomes.
func withoutDotSegments(p string) string {
	segs := strings.Split(strings.TrimPrefix(p, "/"), "/")
	out := make([]string, 0, len(segs))
	for i, seg := range segs {
		last := i == len(segs)-1
		switch strings.ToLower(seg) {
		case "..", ".%2e", "%2e.", "%2e%2e":
			if len(out) > 0 {
				out = out[:len(out)-1]
			}
		case ".", "%2e":
		default:
			out = append(out, seg)
			continue
		}
		if last {
			out = append(out, "")
		}
	}
	return "/" + strings.Join(out, "/")
}

// escapeURL percent-encodes the bytes a browser would encode in a path or
// query (controls, spaces, quotes, angle brackets, backslashes, non-ASCII),
// so that the Location header is plain ASCII and reads the same everywhere.
func escapeURL(s string) string {
	const hex = "0123456789ABCDEF"
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c <= ' ' || c >= 0x7f || strings.IndexByte("\"<>\\`{}|^", c) >= 0 {
			b.WriteByte('%')
			b.WriteByte(hex[c>>4])
			b.WriteByte(hex[c&15])
			continue
		}
		b.WriteByte(c)
	}
	return b.String()
}
