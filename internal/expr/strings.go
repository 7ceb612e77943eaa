package expr

import (
	"math"
	"strings"
	"unicode/utf8"
)

// String built-ins: YAQL string methods and their Python/Jinja spellings.

// fnJoin is collection.join(separator) (YAQL method, Jinja filter, where
// the separator defaults to ""); join(separator, collection) is accepted
// too. Non-string items are rendered with str().
func fnJoin(_ *evaluator, a []any) (any, error) {
	if err := arity("join", a, 1, 2); err != nil {
		return nil, err
	}
	coll, sep := a[0], any("")
	if len(a) == 2 {
		sep = a[1]
		if _, ok := a[0].(string); ok {
			if _, ok := a[1].([]any); ok {
				coll, sep = a[1], a[0]
			}
		}
	}
	s, err := wantString("join", sep)
	if err != nil {
		return nil, err
	}
	l, err := iterate("join", coll)
	if err != nil {
		return nil, err
	}
	parts := make([]string, len(l))
	n := 0
	for i, it := range l {
		parts[i] = Str(it)
		n += len(parts[i]) + len(s)
		if n > maxStringLen {
			return nil, errorf("string too long")
		}
	}
	return strings.Join(parts, s), nil
}

// fnSplit is Python's str.split(sep=None, maxsplit=-1).
func fnSplit(_ *evaluator, a []any) (any, error) {
	if err := arity("split", a, 1, 3); err != nil {
		return nil, err
	}
	s, err := wantString("split", a[0])
	if err != nil {
		return nil, err
	}
	maxSplit := int64(-1)
	if len(a) == 3 {
		if maxSplit, err = wantInt("split", a[2]); err != nil {
			return nil, err
		}
	}
	var parts []string
	if len(a) < 2 || a[1] == nil {
		parts = splitFields(s, maxSplit)
	} else {
		sep, err := wantString("split", a[1])
		if err != nil {
			return nil, err
		}
		if sep == "" {
			return nil, errorf("split(): empty separator")
		}
		n := -1
		if maxSplit >= 0 && maxSplit < maxListLen {
			n = int(maxSplit) + 1
		}
		parts = strings.SplitN(s, sep, n)
	}
	out := make([]any, len(parts))
	for i, p := range parts {
		out[i] = p
	}
	return out, nil
}

// splitFields splits on runs of whitespace, at most max times.
func splitFields(s string, max int64) []string {
	if max < 0 {
		return strings.Fields(s)
	}
	var out []string
	s = strings.TrimLeft(s, " \t\n\r\v\f")
	for s != "" {
		if int64(len(out)) == max {
			out = append(out, s)
			break
		}
		i := strings.IndexAny(s, " \t\n\r\v\f")
		if i < 0 {
			out = append(out, s)
			break
		}
		out = append(out, s[:i])
		s = strings.TrimLeft(s[i:], " \t\n\r\v\f")
	}
	return out
}

func fnSplitLines(_ *evaluator, a []any) (any, error) {
	if err := arity("splitlines", a, 1, 1); err != nil {
		return nil, err
	}
	s, err := wantString("splitlines", a[0])
	if err != nil {
		return nil, err
	}
	s = strings.ReplaceAll(s, "\r\n", "\n")
	lines := strings.FieldsFunc(s, func(r rune) bool { return r == '\n' || r == '\r' })
	out := make([]any, len(lines))
	for i, l := range lines {
		out[i] = l
	}
	return out, nil
}

// stringFn lifts a string -> string function into a one-argument built-in.
func stringFn(name string, f func(string) string) builtin {
	return func(_ *evaluator, a []any) (any, error) {
		if err := arity(name, a, 1, 1); err != nil {
			return nil, err
		}
		s, err := wantString(name, a[0])
		if err != nil {
			return nil, err
		}
		return f(s), nil
	}
}

func capitalize(s string) string {
	r, n := utf8.DecodeRuneInString(s)
	if n == 0 {
		return s
	}
	return strings.ToUpper(string(r)) + strings.ToLower(s[n:])
}

// title upper-cases the first letter of every word, as str.title() does
// for ordinary text.
func title(s string) string {
	var b strings.Builder
	prevLetter := false
	for _, r := range s {
		isLetter := strings.ToLower(string(r)) != strings.ToUpper(string(r))
		if isLetter && !prevLetter {
			b.WriteString(strings.ToUpper(string(r)))
		} else {
			b.WriteString(strings.ToLower(string(r)))
		}
		prevLetter = isLetter
	}
	return b.String()
}

// fnReplace is str.replace(old, new, count=-1).
func fnReplace(_ *evaluator, a []any) (any, error) {
	if err := arity("replace", a, 3, 4); err != nil {
		return nil, err
	}
	var ss [3]string
	for i := range ss {
		s, err := wantString("replace", a[i])
		if err != nil {
			return nil, err
		}
		ss[i] = s
	}
	n := int64(-1)
	if len(a) == 4 {
		var err error
		if n, err = wantInt("replace", a[3]); err != nil {
			return nil, err
		}
	}
	if n < 0 || n > maxStringLen {
		n = -1
	}
	grow := len(ss[2]) - len(ss[1])
	if grow > 0 && len(ss[0])+grow*(strings.Count(ss[0], ss[1])+1) > maxStringLen {
		return nil, errorf("string too long")
	}
	return strings.Replace(ss[0], ss[1], ss[2], int(n)), nil
}

func fnAffix(name string, f func(s, affix string) bool) builtin {
	return func(_ *evaluator, a []any) (any, error) {
		if err := arity(name, a, 2, math.MaxInt); err != nil {
			return nil, err
		}
		s, err := wantString(name, a[0])
		if err != nil {
			return nil, err
		}
		for _, x := range a[1:] {
			affix, err := wantString(name, x)
			if err != nil {
				return nil, err
			}
			if f(s, affix) {
				return true, nil
			}
		}
		return false, nil
	}
}

func fnConcat(_ *evaluator, a []any) (any, error) {
	var b strings.Builder
	for _, x := range a {
		s, err := wantString("concat", x)
		if err != nil {
			return nil, err
		}
		if b.Len()+len(s) > maxStringLen {
			return nil, errorf("string too long")
		}
		b.WriteString(s)
	}
	return b.String(), nil
}

// fnSubstring is YAQL's substring(start, length=-1), in characters.
func fnSubstring(_ *evaluator, a []any) (any, error) {
	if err := arity("substring", a, 2, 3); err != nil {
		return nil, err
	}
	s, err := wantString("substring", a[0])
	if err != nil {
		return nil, err
	}
	r := []rune(s)
	start, err := wantInt("substring", a[1])
	if err != nil {
		return nil, err
	}
	length := int64(-1)
	if len(a) == 3 {
		if length, err = wantInt("substring", a[2]); err != nil {
			return nil, err
		}
	}
	n := int64(len(r))
	if length < 0 {
		length = n
	}
	if start < 0 {
		start += n
	}
	start = max(0, min(start, n))
	end := start + min(length, n)
	end = min(end, n)
	return string(r[start:end]), nil
}

// fnIndexOf is str.find(sub) in characters, or the index of an item in a
// list; -1 when absent.
func fnIndexOf(_ *evaluator, a []any) (any, error) {
	if err := arity("indexOf", a, 2, 2); err != nil {
		return nil, err
	}
	if l, ok := a[0].([]any); ok {
		for i, it := range l {
			if equal(it, a[1]) {
				return int64(i), nil
			}
		}
		return int64(-1), nil
	}
	s, err := wantString("indexOf", a[0])
	if err != nil {
		return nil, err
	}
	sub, err := wantString("indexOf", a[1])
	if err != nil {
		return nil, err
	}
	i := strings.Index(s, sub)
	if i < 0 {
		return int64(-1), nil
	}
	return int64(utf8.RuneCountInString(s[:i])), nil
}

func lowerString(s string) string { return strings.ToLower(s) }

func upperString(s string) string { return strings.ToUpper(s) }
