package expr

import (
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// tokKind classifies tokens.
type tokKind int

const (
	tokEOF tokKind = iota
	tokIdent
	tokInt
	tokFloat
	tokString
	tokDollar // $ or $name (YAQL)
	tokOp     // punctuation and symbolic operators
)

// token is one lexical unit; val holds the decoded literal for numbers and
// strings.
type token struct {
	kind tokKind
	text string // identifier name, operator, or $-variable name
	val  any
	pos  int
}

func (t token) String() string {
	switch t.kind {
	case tokEOF:
		return "end of expression"
	case tokString:
		return "string " + strconv.Quote(t.val.(string))
	case tokDollar:
		return "$" + t.text
	}
	return strconv.Quote(t.text)
}

// operators, longest first so that "=>" wins over "=".
var operators = []string{
	"=>", "==", "!=", "=~", "!~", "<=", ">=", "//", "**",
	"<", ">", "=", "+", "-", "*", "/", "%", "~", "|",
	".", ",", ":", "(", ")", "[", "]", "{", "}", "?",
}

// lex splits src into tokens.
func lex(src string, l lang) ([]token, error) {
	var toks []token
	i := 0
	for i < len(src) {
		r, size := utf8.DecodeRuneInString(src[i:])
		switch {
		case unicode.IsSpace(r):
			i += size
		case r == '\'' || r == '"' || (r == '`' && l == langYAQL):
			s, n, err := lexString(src[i:])
			if err != nil {
				return nil, errorf("%v at position %d", err, i)
			}
			toks = append(toks, token{kind: tokString, val: s, text: src[i : i+n], pos: i})
			i += n
		case r >= '0' && r <= '9':
			t, n, err := lexNumber(src[i:])
			if err != nil {
				return nil, errorf("%v at position %d", err, i)
			}
			t.pos = i
			toks = append(toks, t)
			i += n
		case r == '$' && l == langYAQL:
			j := i + 1
			for j < len(src) && isIdentByte(src[j]) {
				j++
			}
			toks = append(toks, token{kind: tokDollar, text: src[i+1 : j], pos: i})
			i = j
		case r == '_' || unicode.IsLetter(r):
			j := i
			for j < len(src) {
				r2, n2 := utf8.DecodeRuneInString(src[j:])
				if r2 != '_' && !unicode.IsLetter(r2) && !unicode.IsDigit(r2) {
					break
				}
				j += n2
			}
			toks = append(toks, token{kind: tokIdent, text: src[i:j], pos: i})
			i = j
		default:
			op := ""
			for _, o := range operators {
				if strings.HasPrefix(src[i:], o) {
					op = o
					break
				}
			}
			if op == "" {
				return nil, errorf("unexpected character %q at position %d", r, i)
			}
			toks = append(toks, token{kind: tokOp, text: op, pos: i})
			i += len(op)
		}
	}
	return append(toks, token{kind: tokEOF, pos: len(src)}), nil
}

func isIdentByte(c byte) bool {
	return c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
}

// lexNumber reads an integer or a float (digits, optional fraction, optional
// exponent). Integers too large for int64 are an error: Python would keep
// them exact, and silently rounding would be worse.
func lexNumber(s string) (token, int, error) {
	j := 0
	for j < len(s) && s[j] >= '0' && s[j] <= '9' {
		j++
	}
	isFloat := false
	if j+1 < len(s) && s[j] == '.' && s[j+1] >= '0' && s[j+1] <= '9' {
		isFloat = true
		j++
		for j < len(s) && s[j] >= '0' && s[j] <= '9' {
			j++
		}
	}
	if j < len(s) && (s[j] == 'e' || s[j] == 'E') {
		k := j + 1
		if k < len(s) && (s[k] == '+' || s[k] == '-') {
			k++
		}
		if k < len(s) && s[k] >= '0' && s[k] <= '9' {
			isFloat = true
			for k < len(s) && s[k] >= '0' && s[k] <= '9' {
				k++
			}
			j = k
		}
	}
	text := s[:j]
	if isFloat {
		f, err := strconv.ParseFloat(text, 64)
		if err != nil {
			return token{}, 0, errorf("invalid number %s", text)
		}
		return token{kind: tokFloat, text: text, val: f}, j, nil
	}
	n, err := strconv.ParseInt(text, 10, 64)
	if err != nil {
		return token{}, 0, errorf("integer literal %s is too large", text)
	}
	return token{kind: tokInt, text: text, val: n}, j, nil
}

// lexString reads a quoted string starting at s[0], decoding the usual
// backslash escapes (unknown escapes keep their backslash, as in Python).
// Backquoted YAQL strings are raw.
func lexString(s string) (string, int, error) {
	q := s[0]
	var b strings.Builder
	for j := 1; j < len(s); j++ {
		c := s[j]
		if c == q {
			return b.String(), j + 1, nil
		}
		if c != '\\' || q == '`' {
			b.WriteByte(c)
			continue
		}
		j++
		if j >= len(s) {
			break
		}
		switch e := s[j]; e {
		case 'n':
			b.WriteByte('\n')
		case 't':
			b.WriteByte('\t')
		case 'r':
			b.WriteByte('\r')
		case 'b':
			b.WriteByte('\b')
		case 'f':
			b.WriteByte('\f')
		case '0':
			b.WriteByte(0)
		case '\\', '\'', '"', '`', '/':
			b.WriteByte(e)
		case 'u', 'x':
			n := 4
			if e == 'x' {
				n = 2
			}
			if j+n < len(s) {
				if v, err := strconv.ParseUint(s[j+1:j+1+n], 16, 32); err == nil {
					b.WriteRune(rune(v))
					j += n
					continue
				}
			}
			return "", 0, errorf("invalid \\%c escape", e)
		default:
			b.WriteByte('\\')
			b.WriteByte(e)
		}
	}
	return "", 0, errorf("unterminated string")
}
