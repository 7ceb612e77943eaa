package dsl

import (
	"fmt"
	"regexp"
	"strings"
	"unicode/utf8"

	"github.com/sirocco-project/sirocco/internal/jsonvalue"
)

// token is one whitespace-separated word of an inline ("short") line, with
// its rune offset in the line.
type token struct {
	Text string
	Off  int
}

// splitInline splits s into words. Whitespace inside quotes (at the start
// of a word or a value), expressions and [...]/{...}/(...) groups does not
// split. With commas set, a comma outside those also separates words.
func splitInline(s string, commas bool) ([]token, error) {
	sep := func(c byte) bool { return isSpace(c) || (commas && c == ',') }
	var out []token
	i := 0
	for i < len(s) {
		if sep(s[i]) {
			i++
			continue
		}
		start := i
		depth := 0
		for i < len(s) && (depth > 0 || !sep(s[i])) {
			if end, ok := exprEnd(s, i); ok {
				if end < 0 {
					return nil, fmt.Errorf("unclosed expression %q", s[i:])
				}
				i = end
				continue
			}
			c := s[i]
			switch {
			case (c == '"' || c == '\'') && (i == start || s[i-1] == '=' || s[i-1] == '(' || s[i-1] == ',' || depth > 0):
				j := strings.IndexByte(s[i+1:], c)
				if j < 0 {
					return nil, fmt.Errorf("unterminated quoted value %s", s[i:])
				}
				i += j + 2
				continue
			case c == '[' || c == '{' || c == '(':
				depth++
			case (c == ']' || c == '}' || c == ')') && depth > 0:
				depth--
			}
			i++
		}
		out = append(out, token{Text: s[start:i], Off: utf8.RuneCountInString(s[:start])})
	}
	return out, nil
}

func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }

// exprEnd reports whether an expression opens at s[i] and, if so, the index
// just past its closing delimiter (-1 when unclosed).
func exprEnd(s string, i int) (int, bool) {
	for _, d := range [][2]string{{"<%", "%>"}, {"{{", "}}"}, {"{%", "%}"}} {
		if strings.HasPrefix(s[i:], d[0]) {
			j := strings.Index(s[i+2:], d[1])
			if j < 0 {
				return -1, true
			}
			return i + 2 + j + 2, true
		}
	}
	return 0, false
}

// inlineParam is one parsed key=value pair of an inline line.
type inlineParam struct {
	Key   string
	Value any
	Off   int // rune offset of the value in the line
}

var paramKeyRe = regexp.MustCompile(`^[\w-]+$`)

// parseParams parses "key=value" words. See parseInlineValue for values.
func parseParams(toks []token) ([]inlineParam, error) {
	var out []inlineParam
	for _, t := range toks {
		k, v, ok := strings.Cut(t.Text, "=")
		if !ok {
			return nil, &inlineError{Off: t.Off, Msg: fmt.Sprintf("'%s' is not a key=value parameter", t.Text)}
		}
		if !paramKeyRe.MatchString(k) {
			return nil, &inlineError{Off: t.Off, Msg: fmt.Sprintf("invalid parameter name '%s' in '%s'", k, t.Text)}
		}
		if v == "" {
			return nil, &inlineError{Off: t.Off, Msg: fmt.Sprintf("parameter '%s' has no value", k)}
		}
		out = append(out, inlineParam{Key: k, Value: parseInlineValue(v), Off: t.Off + utf8.RuneCountInString(k) + 1})
	}
	return out, nil
}

// inlineError is an inline-syntax problem at a rune offset of the line.
type inlineError struct {
	Off int
	Msg string
}

func (e *inlineError) Error() string { return e.Msg }

// parseInlineValue interprets the value of an inline key=value pair. Quoted
// values are used verbatim without their quotes; values holding expressions
// stay strings; [...] and {...} are JSON-decoded when valid; true, false,
// null and numbers are JSON-decoded; any other word is kept as a string
// (Mistral 15 silently drops such words; Sirocco keeps them).
func parseInlineValue(v string) any {
	if len(v) >= 2 && (v[0] == '"' || v[0] == '\'') && v[len(v)-1] == v[0] {
		return v[1 : len(v)-1]
	}
	if hasExpr(v) {
		return v
	}
	switch v[0] {
	case '[', '{', 't', 'f', 'n', '-', '0', '1', '2', '3', '4', '5', '6', '7', '8', '9':
		if x, ok := decodeJSON(v); ok {
			return x
		}
	}
	return v
}

// decodeJSON decodes a JSON text into canonical values (int64 for integer
// literals, float64 otherwise, objects in their keys' order).
func decodeJSON(s string) (any, bool) {
	v, err := jsonvalue.Decode([]byte(s))
	return v, err == nil
}

// splitCommand splits an inline line into its first word (the action,
// workflow or command name) and its parameters. The call form
// "name(k=v, k2=v2)" is accepted too.
func splitCommand(s string) (string, int, []inlineParam, error) {
	toks, err := splitInline(s, false)
	if err != nil {
		return "", 0, nil, err
	}
	if len(toks) == 0 {
		return "", 0, nil, fmt.Errorf("empty")
	}
	name := toks[0]
	rest := toks[1:]
	if open := strings.IndexByte(name.Text, '('); open > 0 && !hasExpr(name.Text[:open]) {
		if len(rest) > 0 || !strings.HasSuffix(name.Text, ")") {
			return "", 0, nil, fmt.Errorf("'%s' must end with ')' and nothing may follow it", s)
		}
		inner := name.Text[open+1 : len(name.Text)-1]
		innerToks, err := splitInline(inner, true)
		if err != nil {
			return "", 0, nil, err
		}
		base := name.Off + utf8.RuneCountInString(name.Text[:open+1])
		for i := range innerToks {
			innerToks[i].Off += base
		}
		rest = innerToks
		name.Text = name.Text[:open]
	}
	if strings.Contains(name.Text, "=") && !hasExpr(name.Text) {
		return "", 0, nil, fmt.Errorf("missing name before parameter '%s'", name.Text)
	}
	params, err := parseParams(rest)
	if err != nil {
		return "", 0, nil, err
	}
	return name.Text, name.Off, params, nil
}
