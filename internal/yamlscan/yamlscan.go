// Package yamlscan bounds the nodes of a YAML document before anything is
// built from it. yaml.v3 decodes a whole document into a node tree before
// a caller can count it, and each node costs a few hundred bytes: a
// megabyte of "- a" lines is half a million nodes and some 200 MB. Count
// walks the text once, with no allocation but two small stacks, and
// returns at least as many nodes as yaml.v3 would build, so a document
// over a limit can be refused for the price of reading it.
//
// The count follows yaml.v3's scanner (which decides what is a scalar,
// where a block scalar or a multi-line plain scalar ends, and which '-',
// '?' and ':' are indicators) and adds up the nodes by their place rather
// than by their kind: every node but a document's root is a sequence item,
// a mapping key or a mapping value. So the count is two per document
// (itself and its root), one per block sequence entry and flow sequence
// entry, and two per mapping pair: each block or flow-sequence '?' and ':'
// indicator (an explicit key followed by its ':' counts twice), and each
// flow mapping entry. For documents without explicit keys or several
// documents this is exactly yaml.v3's node count (aliases count once, as
// they are written).
package yamlscan

import (
	"unicode/utf16"
	"unicode/utf8"
)

// Position is a place in a document: 1-based line and column (in
// characters, as yaml.v3 counts them).
type Position struct{ Line, Column int }

// Count returns an upper bound of the nodes yaml.v3 builds for src,
// counting the document nodes; past a scanning error, what follows is not
// counted (yaml.v3 builds nothing after it).
func Count(src []byte) int {
	s := newScanner(src, -1)
	s.run()
	return s.nodes
}

// Over reports whether src may hold more than limit nodes, and the token
// at which the count passed it.
func Over(src []byte, limit int) (Position, bool) {
	s := newScanner(src, limit)
	s.run()
	return s.at, s.over
}

// Limits of yaml.v3 past which it fails: the scan stops there too.
const (
	maxIndents    = 10000
	maxFlowLevels = 10000
	maxKeyLength  = 1024 // characters between a simple key and its ':'
)

type scanner struct {
	src   []byte
	pos   int
	line  int // 0-based, as yaml.v3 counts
	col   int // characters since the line's start
	index int // characters since the start

	// indent is the column of the innermost open block collection (-1 at
	// the top); indents holds the enclosing ones.
	indent  int
	indents []int
	// flows holds the open flow collections, innermost last.
	flows []flow
	// keyAllowed is yaml.v3's simple_key_allowed: whether a token here may
	// start a simple (implicit) key.
	keyAllowed bool
	// key is the possible simple key of the block context: where a ':'
	// found on its line rolls the block mapping's indentation.
	key simpleKey

	nodes int
	limit int // < 0: no limit
	over  bool
	at    Position
	stop  bool // yaml.v3 would fail here: nothing after it is built
}

type flow struct {
	mapping bool
	inEntry bool // a token of the current entry has been seen
}

type simpleKey struct {
	possible         bool
	line, col, index int
}

func newScanner(src []byte, limit int) *scanner {
	switch {
	case len(src) >= 2 && src[0] == 0xFF && src[1] == 0xFE:
		src = fromUTF16(src[2:], false)
	case len(src) >= 2 && src[0] == 0xFE && src[1] == 0xFF:
		src = fromUTF16(src[2:], true)
	case len(src) >= 3 && src[0] == 0xEF && src[1] == 0xBB && src[2] == 0xBF:
		src = src[3:]
	}
	return &scanner{src: src, indent: -1, keyAllowed: true, limit: limit}
}

// fromUTF16 converts a UTF-16 document, as yaml.v3 reads one that starts
// with a byte order mark.
func fromUTF16(b []byte, bigEndian bool) []byte {
	units := make([]uint16, len(b)/2)
	for i := range units {
		if bigEndian {
			units[i] = uint16(b[2*i])<<8 | uint16(b[2*i+1])
		} else {
			units[i] = uint16(b[2*i+1])<<8 | uint16(b[2*i])
		}
	}
	out := make([]byte, 0, len(b))
	for _, r := range utf16.Decode(units) {
		out = utf8.AppendRune(out, r)
	}
	return out
}

// add counts n nodes found at the current token.
func (s *scanner) add(n int) {
	s.nodes += n
	if s.limit >= 0 && s.nodes > s.limit && !s.over {
		s.over, s.at = true, Position{Line: s.line + 1, Column: s.col + 1}
	}
}

func (s *scanner) done() bool { return s.stop || s.over || s.pos >= len(s.src) }

// peek returns the byte at offset i from the current position, 0 past the end.
func (s *scanner) peek(i int) byte {
	if s.pos+i < len(s.src) {
		return s.src[s.pos+i]
	}
	return 0
}

// breakAt returns the length of the line break at offset i, or 0: CR, LF,
// CRLF, NEL, LS and PS, as yaml.v3 reads them.
func (s *scanner) breakAt(i int) int {
	switch s.peek(i) {
	case '\n':
		return 1
	case '\r':
		if s.peek(i+1) == '\n' {
			return 2
		}
		return 1
	case 0xC2:
		if s.peek(i+1) == 0x85 {
			return 2
		}
	case 0xE2:
		if s.peek(i+1) == 0x80 && (s.peek(i+2) == 0xA8 || s.peek(i+2) == 0xA9) {
			return 3
		}
	}
	return 0
}

func (s *scanner) isBlank(i int) bool { c := s.peek(i); return c == ' ' || c == '\t' }

// isBreakZ: a line break or the end (yaml.v3's is_breakz). A NUL byte is
// not the end here but a character skip refuses.
func (s *scanner) isBreakZ(i int) bool { return s.pos+i >= len(s.src) || s.breakAt(i) > 0 }

func (s *scanner) isBlankZ(i int) bool { return s.isBlank(i) || s.isBreakZ(i) }

// skip moves past one character. yaml.v3's reader refuses control
// characters and malformed UTF-8, before its scanner gets there: the scan
// ends at them.
func (s *scanner) skip() {
	if s.pos >= len(s.src) {
		return
	}
	r, n := rune(s.src[s.pos]), 1
	if r >= utf8.RuneSelf {
		r, n = utf8.DecodeRune(s.src[s.pos:])
	}
	if !allowed(r, n) {
		s.stop, s.pos = true, len(s.src)
		return
	}
	s.pos += n
	s.col++
	s.index++
}

// allowed is the set of characters yaml.v3 reads.
func allowed(r rune, size int) bool {
	switch {
	case r == utf8.RuneError && size == 1:
		return false
	case r == 0x09, r == 0x0A, r == 0x0D, r >= 0x20 && r <= 0x7E, r == 0x85:
		return true
	case r >= 0xA0 && r <= 0xD7FF, r >= 0xE000 && r <= 0xFFFD, r >= 0x10000 && r <= 0x10FFFF:
		return true
	}
	return false
}

// skipBreak moves past a line break.
func (s *scanner) skipBreak() {
	n := s.breakAt(0)
	if n == 0 {
		return
	}
	s.pos += n
	s.line++
	s.col = 0
	s.index++
}

func (s *scanner) skipToBreak() {
	for !s.isBreakZ(0) {
		if c := s.src[s.pos]; c >= ' ' && c < 0x7F {
			s.pos, s.col, s.index = s.pos+1, s.col+1, s.index+1
			continue
		}
		s.skip()
	}
}

// documentMarker reports a "---" or "..." line start.
func (s *scanner) documentMarker(c byte) bool {
	return s.col == 0 && s.peek(0) == c && s.peek(1) == c && s.peek(2) == c && s.isBlankZ(3)
}

func (s *scanner) roll(col int) {
	if len(s.flows) > 0 || s.indent >= col {
		return
	}
	s.indents = append(s.indents, s.indent)
	s.indent = col
	if len(s.indents) > maxIndents {
		s.stop = true
	}
}

func (s *scanner) unroll(col int) {
	if len(s.flows) > 0 {
		return
	}
	for s.indent > col {
		s.indent = s.indents[len(s.indents)-1]
		s.indents = s.indents[:len(s.indents)-1]
	}
}

// saveKey notes that a token here may be a simple key.
func (s *scanner) saveKey() {
	if len(s.flows) == 0 && s.keyAllowed {
		s.key = simpleKey{possible: true, line: s.line, col: s.col, index: s.index}
	}
}

// keyValid reports whether a ':' here ends the saved simple key: yaml.v3
// allows them one line and 1024 characters.
func (s *scanner) keyValid() bool {
	return s.key.possible && s.key.line == s.line && s.key.index+maxKeyLength >= s.index
}

// entry counts the first token of a flow collection's entry: a sequence
// item, or a mapping pair.
func (s *scanner) entry() {
	if len(s.flows) == 0 {
		return
	}
	f := &s.flows[len(s.flows)-1]
	if f.inEntry {
		return
	}
	f.inEntry = true
	if f.mapping {
		s.add(2)
	} else {
		s.add(1)
	}
}

func (s *scanner) run() {
	s.add(2) // the first document and its root
	for !s.done() {
		s.skipToToken()
		if s.done() {
			return
		}
		s.unroll(s.col)
		s.token()
	}
}

// skipToToken moves past blanks, comments and line breaks.
func (s *scanner) skipToToken() {
	for !s.stop {
		// yaml.v3 allows tabs in the flow context, and in the block context
		// only where a simple key may not start; elsewhere a tab cannot
		// start any token.
		for s.peek(0) == ' ' || (s.peek(0) == '\t' && (len(s.flows) > 0 || !s.keyAllowed)) {
			s.skip()
		}
		if s.peek(0) == '#' {
			s.skipToBreak()
		}
		if s.breakAt(0) == 0 {
			return
		}
		s.skipBreak()
		if len(s.flows) == 0 {
			s.keyAllowed = true
		}
	}
}

// token consumes one token and counts what it adds.
func (s *scanner) token() {
	c := s.peek(0)
	flowing := len(s.flows) > 0
	switch {
	case s.col == 0 && c == '%': // a directive: no nodes
		s.skipToBreak()
	case s.documentMarker('-'):
		s.unroll(-1)
		s.key.possible, s.keyAllowed = false, false
		s.skip()
		s.skip()
		s.skip()
		s.add(2)
	case s.documentMarker('.'):
		s.unroll(-1)
		s.key.possible, s.keyAllowed = false, false
		s.skip()
		s.skip()
		s.skip()
	case c == '[' || c == '{':
		s.saveKey()
		s.entry()
		s.flows = append(s.flows, flow{mapping: c == '{'})
		if len(s.flows) > maxFlowLevels {
			s.stop = true
		}
		s.keyAllowed = true
		s.skip()
	case c == ']' || c == '}':
		if flowing {
			s.flows = s.flows[:len(s.flows)-1]
		}
		s.keyAllowed = false
		s.skip()
	case c == ',':
		if flowing {
			s.flows[len(s.flows)-1].inEntry = false
		}
		s.keyAllowed = true
		s.skip()
	case c == '-' && s.isBlankZ(1):
		if flowing {
			s.entry() // an error in yaml.v3's parser
		} else {
			s.roll(s.col)
			s.key.possible = false
			s.add(1)
		}
		s.keyAllowed = true
		s.skip()
	case c == '?' && (flowing || s.isBlankZ(1)):
		s.indicatorPair()
		if !flowing {
			s.roll(s.col)
			s.key.possible = false
		}
		s.keyAllowed = !flowing
		s.skip()
	case c == ':' && (flowing || s.isBlankZ(1)):
		s.indicatorPair()
		if !flowing {
			if s.keyValid() {
				s.roll(s.key.col)
				s.key.possible, s.keyAllowed = false, false
			} else {
				s.roll(s.col)
				s.keyAllowed = true
			}
		} else {
			s.keyAllowed = false
		}
		s.skip()
	case c == '*' || c == '&':
		s.saveKey()
		s.entry()
		s.keyAllowed = false
		s.skip()
		for isAlpha(s.peek(0)) {
			s.skip()
		}
	case c == '!':
		s.saveKey()
		s.entry()
		s.keyAllowed = false
		for !s.isBlankZ(0) {
			s.skip()
		}
	case (c == '|' || c == '>') && !flowing:
		s.key.possible, s.keyAllowed = false, true
		s.blockScalar()
	case c == '\'' || c == '"':
		s.saveKey()
		s.entry()
		s.keyAllowed = false
		s.quoted(c)
	case s.plainStart(c):
		s.saveKey()
		s.entry()
		s.keyAllowed = false
		s.plain()
	default: // a character that cannot start any token: yaml.v3 fails
		s.stop = true
	}
}

// indicatorPair counts the pair a '?' or ':' indicator belongs to: in the
// block context and in a flow sequence (a single-pair mapping) it is one
// more pair; in a flow mapping it is the current entry's.
func (s *scanner) indicatorPair() {
	if len(s.flows) == 0 {
		s.add(2)
		return
	}
	f := s.flows[len(s.flows)-1]
	s.entry()
	if !f.mapping {
		s.add(2)
	}
}

func isAlpha(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c == '_' || c == '-'
}

// plainStart reports whether c starts a plain scalar here.
func (s *scanner) plainStart(c byte) bool {
	switch c {
	case '-':
		return !s.isBlank(1)
	case '?', ':':
		return len(s.flows) == 0 && !s.isBlankZ(1)
	case ',', '[', ']', '{', '}', '#', '&', '*', '!', '|', '>', '\'', '"', '%', '@', '`':
		return false
	}
	return !s.isBlankZ(0)
}

// plain moves past a plain scalar, which may go on over lines indented
// deeper than its block collection (in the flow context, over any lines).
func (s *scanner) plain() {
	indent := s.indent + 1
	leadingBlanks := false
	flowing := len(s.flows) > 0
	for {
		if s.documentMarker('-') || s.documentMarker('.') || s.peek(0) == '#' {
			break
		}
		for {
			// Printable ASCII other than ':' and the flow indicators is
			// content: the common case, without the checks below.
			if s.pos < len(s.src) {
				if c := s.src[s.pos]; c > ' ' && c < 0x7F && c != ':' && !(flowing && flowIndicator(c)) {
					s.pos, s.col, s.index, leadingBlanks = s.pos+1, s.col+1, s.index+1, false
					continue
				}
			}
			if s.isBlankZ(0) {
				break
			}
			c := s.peek(0)
			if c == ':' && s.isBlankZ(1) {
				break
			}
			if flowing && flowIndicator(c) {
				break
			}
			leadingBlanks = false
			s.skip()
		}
		if !s.isBlank(0) && s.breakAt(0) == 0 {
			break
		}
		for s.isBlank(0) || s.breakAt(0) > 0 {
			if s.isBlank(0) {
				if leadingBlanks && s.col < indent && s.peek(0) == '\t' {
					s.stop = true // a tab that violates indentation
					return
				}
				s.skip()
			} else {
				s.skipBreak()
				leadingBlanks = true
			}
		}
		if !flowing && s.col < indent {
			break
		}
	}
	if leadingBlanks {
		s.keyAllowed = true
	}
}

func flowIndicator(c byte) bool {
	return c == ',' || c == '?' || c == '[' || c == ']' || c == '{' || c == '}'
}

// quoted moves past a single- or double-quoted scalar, over lines if need be.
func (s *scanner) quoted(q byte) {
	s.skip()
	for {
		if s.documentMarker('-') || s.documentMarker('.') || s.pos >= len(s.src) {
			s.stop = true // yaml.v3: unexpected document indicator or end of stream
			return
		}
		c := s.peek(0)
		switch {
		case q == '\'' && c == '\'' && s.peek(1) == '\'':
			s.skip()
			s.skip()
		case c == q:
			s.skip()
			return
		case q == '"' && c == '\\':
			s.skip()
			if s.breakAt(0) > 0 {
				s.skipBreak()
			} else {
				s.skip()
			}
		case s.breakAt(0) > 0:
			s.skipBreak()
		default:
			s.skip()
		}
	}
}

// blockScalar moves past a literal or folded scalar: its header line, then
// every line indented at least as its content (given by an indentation
// indicator, or by its first non-empty line).
func (s *scanner) blockScalar() {
	s.skip()
	increment := 0
	chomp := func() bool { c := s.peek(0); return c == '+' || c == '-' }
	digit := func() bool {
		c := s.peek(0)
		if c < '0' || c > '9' {
			return false
		}
		if c == '0' {
			s.stop = true // yaml.v3: an indentation indicator equal to 0
			return false
		}
		increment = int(c - '0')
		s.skip()
		return true
	}
	if chomp() {
		s.skip()
		digit()
	} else if digit() && chomp() {
		s.skip()
	}
	if s.stop {
		return
	}
	for s.isBlank(0) {
		s.skip()
	}
	if s.peek(0) == '#' {
		s.skipToBreak()
	}
	if !s.isBreakZ(0) {
		s.stop = true // yaml.v3: did not find expected comment or line break
		return
	}
	s.skipBreak()
	indent := 0
	if increment > 0 {
		indent = increment
		if s.indent >= 0 {
			indent = s.indent + increment
		}
	}
	s.blockBreaks(&indent)
	for !s.stop && s.col == indent && s.pos < len(s.src) {
		s.skipToBreak()
		s.skipBreak()
		s.blockBreaks(&indent)
	}
}

// blockBreaks moves past the indentation and empty lines before a block
// scalar's next line, and settles its indentation if not yet known.
func (s *scanner) blockBreaks(indent *int) {
	maxIndent := 0
	for {
		for (*indent == 0 || s.col < *indent) && s.peek(0) == ' ' {
			s.skip()
		}
		maxIndent = max(maxIndent, s.col)
		if (*indent == 0 || s.col < *indent) && s.peek(0) == '\t' {
			s.stop = true // yaml.v3: a tab where an indentation space is expected
			return
		}
		if s.breakAt(0) == 0 {
			break
		}
		s.skipBreak()
	}
	if *indent == 0 {
		*indent = max(maxIndent, s.indent+1, 1)
	}
}
