package markdown

import (
	"fmt"
	"regexp"
	"strings"
	"unicode/utf8"

	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"
)

// allowed is every element Render may write, with the attributes each may
// have. Anything else in the output is a failure: an <img>, a <script>,
// an on… attribute, a style.
var allowed = map[string]map[string]bool{
	"p": {"class": true}, "br": {}, "hr": {},
	"h1": {}, "h2": {}, "h3": {}, "h4": {}, "h5": {}, "h6": {},
	"em": {}, "strong": {}, "del": {}, "code": {"class": true}, "pre": {},
	"blockquote": {}, "ul": {}, "ol": {"start": true}, "li": {},
	"a":     {"href": true, "title": true, "rel": true},
	"table": {}, "thead": {}, "tbody": {}, "tr": {},
	"th": {"align": true}, "td": {"align": true},
}

var (
	// scheme is how the WHATWG URL parser finds a scheme, once leading
	// and trailing C0 controls and spaces and every tab and newline are
	// gone.
	scheme    = regexp.MustCompile(`^([a-zA-Z][a-zA-Z0-9+.\-]*):`)
	codeClass = regexp.MustCompile(`^language-\S+$`) // one word: the page's own classes cannot be named
	align     = regexp.MustCompile(`^(left|right|center)$`)
)

// unsafeHTML returns what is wrong with out as HTML from Render, or "".
// It parses out as a browser would (golang.org/x/net/html) and checks
// every element and attribute against allowed; it is written apart from
// the package's own checks, so a mistake in one is caught by the other.
func unsafeHTML(out string) string {
	if !utf8.ValidString(out) {
		return "output is not valid UTF-8"
	}
	if strings.Contains(strings.ToLower(out), "<script") {
		return "output contains <script"
	}
	body := &html.Node{Type: html.ElementNode, Data: "body", DataAtom: atom.Body}
	nodes, err := html.ParseFragment(strings.NewReader(out), body)
	if err != nil {
		return fmt.Sprintf("output does not parse: %v", err)
	}
	for _, n := range nodes {
		for d := range n.Descendants() {
			if msg := unsafeNode(d); msg != "" {
				return msg
			}
		}
		if msg := unsafeNode(n); msg != "" {
			return msg
		}
	}
	return ""
}

func unsafeNode(n *html.Node) string {
	switch n.Type {
	case html.TextNode:
		return ""
	case html.ElementNode:
	default:
		return fmt.Sprintf("node of type %d (%q) in the output", n.Type, n.Data)
	}
	attrs, ok := allowed[n.Data]
	if !ok {
		return fmt.Sprintf("element <%s> in the output", n.Data)
	}
	hasHref := false
	for _, a := range n.Attr {
		key := strings.ToLower(a.Key)
		if strings.HasPrefix(key, "on") || !attrs[key] || a.Namespace != "" {
			return fmt.Sprintf("attribute %s=%q on <%s>", a.Key, a.Val, n.Data)
		}
		switch key {
		case "href":
			hasHref = true
			if !allowedHref(a.Val) {
				return fmt.Sprintf("href %q", a.Val)
			}
		case "rel":
			if a.Val != "noopener noreferrer" {
				return fmt.Sprintf("rel %q", a.Val)
			}
		case "class":
			if n.Data == "code" && !codeClass.MatchString(a.Val) || n.Data == "p" && a.Val != "markdown-note" {
				return fmt.Sprintf("class %q on <%s>", a.Val, n.Data)
			}
		case "align":
			if !align.MatchString(a.Val) {
				return fmt.Sprintf("align %q", a.Val)
			}
		}
	}
	if hasHref {
		rel := false
		for _, a := range n.Attr {
			rel = rel || a.Key == "rel"
		}
		if !rel {
			return "a link without rel"
		}
	}
	return ""
}

// allowedHref reports whether a browser would read v as an http, https or
// mailto URL, or a relative one.
func allowedHref(v string) bool {
	v = strings.TrimFunc(v, func(r rune) bool { return r <= 0x20 })
	v = strings.NewReplacer("\t", "", "\n", "", "\r", "").Replace(v)
	if strings.HasPrefix(strings.ToLower(v), "javascript:") {
		return false // the scheme check below covers it; said here plainly
	}
	m := scheme.FindStringSubmatch(v)
	if m == nil {
		return true
	}
	switch strings.ToLower(m[1]) {
	case "http", "https", "mailto":
		return true
	}
	return false
}
