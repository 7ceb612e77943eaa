package markdown

import "strings"

// safeHref reports whether dest may be a link's href: an http, https or
// mailto URL, or a relative one. dest is the value as the browser will
// read it (after the HTML attribute's entities are decoded), so it is
// judged the way the WHATWG URL parser reads a scheme: leading and
// trailing C0 controls and spaces are ignored, tabs and newlines anywhere
// are dropped, and the scheme is case-insensitive.
//
// An allowlist, not a list of bad schemes: whatever is not known to be
// harmless loses its href. A colon before any '/', '?' or '#' is taken as
// a scheme even where a browser would not (say "a b:c"); such a relative
// link is lost too, which is the safe side.
func safeHref(dest string) bool {
	s := strings.TrimFunc(dest, func(r rune) bool { return r <= ' ' })
	i := 0
	var scheme []byte
	for ; i < len(s); i++ {
		c := s[i]
		if c == '\t' || c == '\n' || c == '\r' {
			continue
		}
		if c == ':' || c == '/' || c == '?' || c == '#' {
			break
		}
		if len(scheme) <= len("mailto") { // longer than any allowed: no need to keep it
			scheme = append(scheme, lower(c))
		}
	}
	if i == len(s) || s[i] != ':' {
		return true // no scheme: relative
	}
	switch string(scheme) {
	case "http", "https", "mailto":
		return true
	}
	return false
}

// lower is ASCII-only on purpose: Unicode case folding maps some
// non-ASCII letters (the Kelvin sign) onto ASCII ones, which no URL
// parser does.
func lower(c byte) byte {
	if 'A' <= c && c <= 'Z' {
		return c + 'a' - 'A'
	}
	return c
}
