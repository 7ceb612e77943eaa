package expr

import "strings"

// lang identifies the expression language of a segment.
type lang int

const (
	langText  lang = iota // plain text, not an expression
	langYAQL              // <% ... %>
	langJinja             // {{ ... }}
	langStmt              // {% ... %}: a Jinja statement, rendered by the template code
)

func (l lang) String() string {
	switch l {
	case langYAQL:
		return "YAQL"
	case langJinja, langStmt:
		return "Jinja"
	}
	return "text"
}

// segment is one piece of a string: literal text or one expression.
type segment struct {
	lang lang
	text string // literal text, or the expression source without delimiters
}

// splitSegments cuts s into literal text and expressions. A closing
// delimiter inside a quoted string does not end an expression, and in Jinja
// braces nest ({{ {'a': {'b': 1}} }}). An opener with no closer is plain text,
// as in Mistral (whose regular expressions simply do not match it).
func splitSegments(s string) []segment {
	var segs []segment
	text := 0 // start of pending literal text
	for i := 0; i+1 < len(s); {
		var l lang
		switch s[i : i+2] {
		case "<%":
			l = langYAQL
		case "{{":
			l = langJinja
		case "{%":
			l = langStmt
		default:
			i++
			continue
		}
		end := findClose(s, i+2, l)
		if end < 0 {
			i++
			continue
		}
		if text < i {
			segs = append(segs, segment{lang: langText, text: s[text:i]})
		}
		segs = append(segs, segment{lang: l, text: s[i+2 : end]})
		i = end + 2
		text = i
	}
	if text < len(s) {
		segs = append(segs, segment{lang: langText, text: s[text:]})
	}
	return segs
}

// findClose returns the index of the closing delimiter of an expression of
// language l whose body starts at start, or -1.
func findClose(s string, start int, l lang) int {
	closer := "%>"
	switch l {
	case langJinja:
		closer = "}}"
	case langStmt:
		closer = "%}"
	}
	depth := 0
	for j := start; j < len(s); j++ {
		c := s[j]
		switch {
		case c == '\'' || c == '"' || (c == '`' && l == langYAQL):
			k := skipQuoted(s, j)
			if k < 0 {
				// Unterminated quote: fall back to the first closer, so
				// that the parser reports the real problem.
				if k := strings.Index(s[start:], closer); k >= 0 {
					return start + k
				}
				return -1
			}
			j = k
		case depth == 0 && strings.HasPrefix(s[j:], closer):
			return j
		case l == langJinja && c == '{':
			depth++
		case l == langJinja && c == '}' && depth > 0:
			depth--
		}
	}
	return -1
}

// skipQuoted returns the index of the quote closing the string opened at
// s[i], honouring backslash escapes, or -1.
func skipQuoted(s string, i int) int {
	q := s[i]
	for j := i + 1; j < len(s); j++ {
		switch s[j] {
		case '\\':
			j++
		case q:
			return j
		}
	}
	return -1
}

// whole reports whether the segments form exactly one expression and
// nothing else; it returns that expression's index. Text around it, even
// a space or a newline, makes the string interpolated, as Mistral compares
// the expression's length with the whole string's.
func whole(segs []segment) (int, bool) {
	if len(segs) != 1 || segs[0].lang == langText || segs[0].lang == langStmt {
		return 0, false // a statement alone renders as a template
	}
	return 0, true
}

// TypeChanges reports whether s is one expression with only whitespace
// around it: Sirocco used to give such a string the expression's typed
// value, and the interpolation rule (Mistral's) now makes it a string.
// Definitions are checked with it so that their authors are warned.
func TypeChanges(s string) bool {
	segs := splitSegments(s)
	if len(segs) < 2 {
		return false
	}
	idx := -1
	for i, sg := range segs {
		if sg.lang == langText {
			if strings.TrimSpace(sg.text) != "" {
				return false
			}
			continue
		}
		if idx >= 0 || sg.lang == langStmt {
			return false
		}
		idx = i
	}
	return idx >= 0
}
