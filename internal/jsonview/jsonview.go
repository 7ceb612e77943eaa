// Package jsonview formats stored JSON text for people to read, within
// fixed bounds. The dashboard shows values that came from outside
// (callback outputs, inputs, HTTP responses) or were built by expressions;
// whatever their shape, what Format writes is at most Limits.MaxBytes plus
// an ellipsis, containers nested past Limits.MaxDepth are collapsed, and
// the work is one pass over the input with no allocation beyond the
// output. json.Indent, by contrast, writes indentation whose size grows
// with the square of the nesting depth.
package jsonview

import (
	"errors"
	"strings"
	"unicode/utf8"
)

// Limits bound what Format writes.
type Limits struct {
	// MaxBytes is the most text written before the ellipsis that ends a
	// shortened view.
	MaxBytes int
	// MaxDepth is the deepest container shown; deeper ones are written
	// as […] or {…}.
	MaxDepth int
	// Indent is one level of indentation; "" writes the value on one
	// line, as json.Compact does.
	Indent string
}

var (
	// Block is for a value shown on its own: indented, up to 64 KiB.
	Block = Limits{MaxBytes: 64 << 10, MaxDepth: 32, Indent: "  "}
	// Line is for a value in a table cell: one line, up to 256 bytes.
	Line = Limits{MaxBytes: 256, MaxDepth: 8}
)

// Ellipsis ends a view that was shortened, and stands for the contents
// of a collapsed container.
const Ellipsis = "…"

// View is a formatted value.
type View struct {
	Text string
	// Truncated says Text stops at Limits.MaxBytes (it then ends with
	// Ellipsis).
	Truncated bool
	// Collapsed says containers past Limits.MaxDepth are shown as […]
	// or {…}.
	Collapsed bool
	// JSON says Text is the input formatted as JSON. Input that is not
	// JSON is shown as it is, within MaxBytes.
	JSON bool
}

// Shortened reports whether Text leaves out part of the value.
func (v View) Shortened() bool { return v.Truncated || v.Collapsed }

var (
	errSyntax = errors.New("not JSON")
	errFull   = errors.New("output full")
)

// Format indents the JSON text s (or writes it on one line) within lim.
// Text that is not JSON is returned as it is, cut at lim.MaxBytes. The
// cost is linear in len(s), whatever the nesting.
func Format(s string, lim Limits) View {
	if s == "" {
		return View{}
	}
	p := printer{in: s, lim: lim}
	// A guess that fits most values without growing, never past the cap.
	p.out.Grow(min(len(s)+len(s)/2, lim.MaxBytes) + len(Ellipsis))
	err := p.value(0)
	if err == nil {
		p.space()
		if p.i != len(p.in) {
			err = errSyntax
		}
	}
	switch err {
	case nil:
		return View{Text: p.out.String(), Collapsed: p.collapsed, JSON: true}
	case errFull:
		// What follows the cut was not read: if it is not JSON, the
		// download shows it.
		p.out.WriteString(Ellipsis)
		return View{Text: p.out.String(), Truncated: true, Collapsed: p.collapsed, JSON: true}
	}
	text, cut := Clip(s, lim.MaxBytes)
	return View{Text: text, Truncated: cut}
}

// Clip returns s cut to at most max bytes on a character boundary, with
// Ellipsis appended when it was cut. It bounds text shown as it is (state
// information, notes, a request body).
func Clip(s string, max int) (string, bool) {
	if len(s) <= max {
		return s, false
	}
	return s[:cutPoint(s, max)] + Ellipsis, true
}

// cutPoint is the largest n ≤ max at which s can be cut without
// splitting a UTF-8 sequence.
func cutPoint(s string, max int) int {
	n := max
	for n > 0 && n > max-utf8.UTFMax && !utf8.RuneStart(s[n]) {
		n--
	}
	return n
}

// printer is one Format call: a recursive-descent reader of in that
// writes as it goes. Recursion stops at MaxDepth: deeper containers are
// skipped by counting brackets.
type printer struct {
	in        string
	i         int
	out       strings.Builder
	lim       Limits
	collapsed bool
}

// write appends t, or as much of it as fits before errFull.
func (p *printer) write(t string) error {
	room := p.room()
	if len(t) <= room {
		p.out.WriteString(t)
		return nil
	}
	if room > 0 {
		p.out.WriteString(t[:cutPoint(t, room)])
	}
	return errFull
}

// newline starts a line at depth when indenting.
func (p *printer) newline(depth int) error {
	if p.lim.Indent == "" {
		return nil
	}
	if err := p.write("\n"); err != nil {
		return err
	}
	for range depth {
		if err := p.write(p.lim.Indent); err != nil {
			return err
		}
	}
	return nil
}

func (p *printer) space() {
	for p.i < len(p.in) {
		switch p.in[p.i] {
		case ' ', '\t', '\n', '\r':
			p.i++
		default:
			return
		}
	}
}

// value reads and writes one value inside depth containers.
func (p *printer) value(depth int) error {
	p.space()
	if p.i >= len(p.in) {
		return errSyntax
	}
	var tok string
	var err error
	switch c := p.in[p.i]; {
	case c == '{' || c == '[':
		return p.container(depth + 1)
	case c == '"':
		tok, err = p.str(p.room())
	case c == '-' || c >= '0' && c <= '9':
		tok, err = p.number()
	default:
		tok, err = p.literal()
	}
	if err != nil {
		return err
	}
	return p.write(tok)
}

// container reads and writes an array or object that is at depth.
func (p *printer) container(depth int) error {
	open, close, empty, collapsed := "[", "]", "[]", "["+Ellipsis+"]"
	if p.in[p.i] == '{' {
		open, close, empty, collapsed = "{", "}", "{}", "{"+Ellipsis+"}"
	}
	if depth > p.lim.MaxDepth {
		if err := p.skip(); err != nil {
			return err
		}
		p.collapsed = true
		return p.write(collapsed)
	}
	p.i++
	p.space()
	if p.i < len(p.in) && p.in[p.i] == close[0] {
		p.i++
		return p.write(empty)
	}
	if err := p.write(open); err != nil {
		return err
	}
	for {
		if err := p.newline(depth); err != nil {
			return err
		}
		if open == "{" {
			if err := p.key(); err != nil {
				return err
			}
		}
		if err := p.value(depth); err != nil {
			return err
		}
		p.space()
		if p.i >= len(p.in) {
			return errSyntax
		}
		c := p.in[p.i]
		p.i++
		if c == close[0] {
			break
		}
		if c != ',' {
			return errSyntax
		}
		if err := p.write(","); err != nil {
			return err
		}
	}
	if err := p.newline(depth - 1); err != nil {
		return err
	}
	return p.write(close)
}

// key reads and writes an object key and its colon.
func (p *printer) key() error {
	p.space()
	if p.i >= len(p.in) || p.in[p.i] != '"' {
		return errSyntax
	}
	tok, err := p.str(p.room())
	if err != nil {
		return err
	}
	if len(tok) > p.room() {
		return p.write(tok)
	}
	p.space()
	if p.i >= len(p.in) || p.in[p.i] != ':' {
		return errSyntax
	}
	p.i++
	if err := p.write(tok); err != nil {
		return err
	}
	if p.lim.Indent == "" {
		return p.write(":")
	}
	return p.write(": ")
}

// room is how much more fits in the output.
func (p *printer) room() int { return p.lim.MaxBytes - p.out.Len() }

// str reads a string token, quotes included, checking its escapes. It
// stops once the token is longer than room: writing it fills the output,
// so the rest of a long string is never read.
func (p *printer) str(room int) (string, error) {
	start := p.i
	p.i++
	for p.i < len(p.in) {
		if p.i-start > room {
			return p.in[start:p.i], nil
		}
		switch c := p.in[p.i]; {
		case c == '"':
			p.i++
			return p.in[start:p.i], nil
		case c == '\\':
			p.i++
			if p.i >= len(p.in) {
				return "", errSyntax
			}
			switch p.in[p.i] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
				p.i++
			case 'u':
				if p.i+5 > len(p.in) {
					return "", errSyntax
				}
				for _, h := range []byte(p.in[p.i+1 : p.i+5]) {
					if !isHex(h) {
						return "", errSyntax
					}
				}
				p.i += 5
			default:
				return "", errSyntax
			}
		case c < 0x20:
			return "", errSyntax
		default:
			p.i++
		}
	}
	return "", errSyntax
}

func isHex(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F'
}

// number reads a number token: -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?
func (p *printer) number() (string, error) {
	start := p.i
	if p.in[p.i] == '-' {
		p.i++
	}
	switch {
	case p.i < len(p.in) && p.in[p.i] == '0':
		p.i++
	case p.digits() == 0:
		return "", errSyntax
	}
	if p.i < len(p.in) && p.in[p.i] == '.' {
		p.i++
		if p.digits() == 0 {
			return "", errSyntax
		}
	}
	if p.i < len(p.in) && (p.in[p.i] == 'e' || p.in[p.i] == 'E') {
		p.i++
		if p.i < len(p.in) && (p.in[p.i] == '+' || p.in[p.i] == '-') {
			p.i++
		}
		if p.digits() == 0 {
			return "", errSyntax
		}
	}
	return p.in[start:p.i], nil
}

func (p *printer) digits() int {
	start := p.i
	for p.i < len(p.in) && p.in[p.i] >= '0' && p.in[p.i] <= '9' {
		p.i++
	}
	return p.i - start
}

func (p *printer) literal() (string, error) {
	for _, lit := range []string{"true", "false", "null"} {
		if strings.HasPrefix(p.in[p.i:], lit) {
			p.i += len(lit)
			return lit, nil
		}
	}
	return "", errSyntax
}

// skip passes over the container that starts at p.i without writing it,
// in constant space: it counts brackets outside strings. It checks no
// more than that; a collapsed view does not claim to be the whole value.
func (p *printer) skip() error {
	depth := 0
	for p.i < len(p.in) {
		switch p.in[p.i] {
		case '"':
			if _, err := p.str(len(p.in)); err != nil {
				return err
			}
			continue
		case '[', '{':
			depth++
		case ']', '}':
			depth--
			if depth == 0 {
				p.i++
				return nil
			}
		}
		p.i++
	}
	return errSyntax
}
