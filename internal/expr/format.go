package expr

import (
	"math"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/sirocco-project/sirocco/internal/jsonvalue"
)

// YAQL's format(): Python's str.format with positional ({}, {0}) and
// keyword ({name}, from `name => value` arguments) fields, field access
// ({0[key]}, {0.key}), conversions (!s, !r) and the format-spec mini
// language ([[fill]align][sign][0][width][,][.precision][type]).

// sfFormat is format(pattern, args...).
func sfFormat(e *evaluator, nodes []node) (any, error) {
	if len(nodes) == 0 {
		return nil, errorf("format() needs a format string")
	}
	if _, ok := nodes[0].(pairNode); ok {
		return nil, errorf("format() needs a format string first")
	}
	pattern, err := e.eval(nodes[0])
	if err != nil {
		return nil, err
	}
	return lmFormat(e, pattern, nodes[1:])
}

// lmFormat is pattern.format(args...).
func lmFormat(e *evaluator, recv any, nodes []node) (any, error) {
	pattern, ok := recv.(string)
	if !ok {
		return nil, errorf("format() needs a string to format, not '%s'", typeName(recv))
	}
	var args []any
	kwargs := map[string]any{}
	for _, a := range nodes {
		if p, ok := a.(pairNode); ok {
			key, ok := keywordName(p.key)
			if !ok {
				return nil, errorf("format(): a keyword argument needs a name")
			}
			v, err := e.eval(p.val)
			if err != nil {
				return nil, err
			}
			kwargs[key] = v
			continue
		}
		v, err := e.eval(a)
		if err != nil {
			return nil, err
		}
		args = append(args, v)
	}
	s, err := pyFormat(pattern, args, kwargs)
	if err != nil {
		return nil, err
	}
	if len(s) > maxStringLen {
		return nil, errorf("string too long")
	}
	return s, nil
}

// pyFormat formats pattern as Python's str.format(*args, **kwargs).
func pyFormat(pattern string, args []any, kwargs map[string]any) (string, error) {
	var b strings.Builder
	auto, manual := 0, false
	for i := 0; i < len(pattern); {
		c := pattern[i]
		switch {
		case c == '{' && i+1 < len(pattern) && pattern[i+1] == '{':
			b.WriteByte('{')
			i += 2
			continue
		case c == '}' && i+1 < len(pattern) && pattern[i+1] == '}':
			b.WriteByte('}')
			i += 2
			continue
		case c == '}':
			return "", errorf("Single '}' encountered in format string")
		case c != '{':
			b.WriteByte(c)
			i++
			continue
		}
		end := strings.IndexByte(pattern[i:], '}')
		if end < 0 {
			return "", errorf("Single '{' encountered in format string")
		}
		field := pattern[i+1 : i+end]
		i += end + 1
		if strings.Contains(field, "{") {
			return "", errorf("nested fields in format strings are not supported")
		}
		spec := ""
		if k := strings.IndexByte(field, ':'); k >= 0 {
			field, spec = field[:k], field[k+1:]
		}
		conv := byte(0)
		if k := strings.IndexByte(field, '!'); k >= 0 {
			if len(field) != k+2 || (field[k+1] != 's' && field[k+1] != 'r') {
				return "", errorf("invalid conversion in format field {%s}", field)
			}
			conv, field = field[k+1], field[:k]
		}
		// The first name of the field, then [key] and .key accessors.
		name, rest := field, ""
		if k := strings.IndexAny(field, ".["); k >= 0 {
			name, rest = field[:k], field[k:]
		}
		var v any
		switch {
		case name == "":
			if manual {
				return "", errorf("cannot switch from manual field specification to automatic field numbering")
			}
			if auto >= len(args) {
				return "", errorf("Replacement index %d out of range for positional args tuple", auto)
			}
			v, auto = args[auto], auto+1
		case name[0] >= '0' && name[0] <= '9':
			n, err := strconv.Atoi(name)
			if err != nil {
				return "", errorf("invalid format field {%s}", field)
			}
			if auto > 0 {
				return "", errorf("cannot switch from automatic field numbering to manual field specification")
			}
			manual = true
			if n >= len(args) {
				return "", errorf("Replacement index %d out of range for positional args tuple", n)
			}
			v = args[n]
		default:
			var ok bool
			if v, ok = kwargs[name]; !ok {
				return "", errorf("format(): no argument named '%s'", name)
			}
		}
		v, err := formatAccess(v, rest)
		if err != nil {
			return "", err
		}
		switch conv {
		case 's':
			v = Str(v)
		case 'r':
			if s, ok := v.(string); ok {
				v = reprString(s)
			} else {
				v = Str(v)
			}
		}
		out, err := formatSpec(v, spec)
		if err != nil {
			return "", err
		}
		b.WriteString(out)
		if b.Len() > maxStringLen {
			return "", errorf("string too long")
		}
	}
	return b.String(), nil
}

// formatAccess applies a field's accessors ([key], [0], .key) to v.
func formatAccess(v any, rest string) (any, error) {
	for rest != "" {
		var key string
		switch rest[0] {
		case '.':
			rest = rest[1:]
			k := strings.IndexAny(rest, ".[")
			if k < 0 {
				k = len(rest)
			}
			key, rest = rest[:k], rest[k:]
		case '[':
			k := strings.IndexByte(rest, ']')
			if k < 0 {
				return nil, errorf("Missing ']' in format string")
			}
			key, rest = rest[1:k], rest[k+1:]
		default:
			return nil, errorf("Only '.' or '[' may follow ']' in format field specifier")
		}
		switch x := canon(v).(type) {
		case *jsonvalue.Object, map[string]any:
			val, ok := dictGet(x, key)
			if !ok {
				return nil, errorf("format(): no key '%s'", key)
			}
			v = val
		case []any:
			n, err := strconv.Atoi(key)
			if err != nil || n < 0 || n >= len(x) {
				return nil, errorf("format(): no index %s", key)
			}
			v = x[n]
		default:
			return nil, errorf("format(): '%s' has no '%s'", typeName(v), key)
		}
	}
	return v, nil
}

// formatSpec renders v by a format spec: [[fill]align][sign][0][width][,][.precision][type].
func formatSpec(v any, spec string) (string, error) {
	fill, align := ' ', byte(0)
	if r, size := utf8.DecodeRuneInString(spec); size > 0 && size < len(spec) && strings.IndexByte("<>^=", spec[size]) >= 0 {
		fill, align, spec = r, spec[size], spec[size+1:]
	} else if spec != "" && strings.IndexByte("<>^=", spec[0]) >= 0 {
		align, spec = spec[0], spec[1:]
	}
	sign := byte('-')
	if spec != "" && strings.IndexByte("+- ", spec[0]) >= 0 {
		sign, spec = spec[0], spec[1:]
	}
	zero := false
	if strings.HasPrefix(spec, "0") {
		if align == 0 {
			fill, align, zero = '0', '=', true
		}
		spec = spec[1:]
	}
	width := 0
	for spec != "" && spec[0] >= '0' && spec[0] <= '9' {
		width = width*10 + int(spec[0]-'0')
		spec = spec[1:]
		if width > maxStringLen {
			return "", errorf("format width too large")
		}
	}
	comma := strings.HasPrefix(spec, ",")
	if comma {
		spec = spec[1:]
	}
	precision := -1
	if strings.HasPrefix(spec, ".") {
		spec = spec[1:]
		precision = 0
		digits := 0
		for spec != "" && spec[0] >= '0' && spec[0] <= '9' {
			precision = precision*10 + int(spec[0]-'0')
			spec, digits = spec[1:], digits+1
			if precision > 1000 {
				return "", errorf("format precision too large")
			}
		}
		if digits == 0 {
			return "", errorf("Format specifier missing precision")
		}
	}
	if len(spec) > 1 {
		return "", errorf("Invalid format specifier")
	}
	typ := byte(0)
	if spec != "" {
		typ = spec[0]
	}

	var body, signStr string
	numeric := false
	switch x := v.(type) {
	case string:
		if typ != 0 && typ != 's' {
			return "", errorf("Unknown format code '%c' for object of type 'str'", typ)
		}
		if zero {
			align = '<' // '{:05}'.format('ab') is 'ab000'
		}
		if sign != '-' || comma || align == '=' {
			return "", errorf("Sign not allowed in string format specifier")
		}
		body = x
		if precision >= 0 && utf8.RuneCountInString(body) > precision {
			body = string([]rune(body)[:precision])
		}
	case bool, int64, float64:
		numeric = true
		f, isInt := 0.0, false
		var n int64
		switch y := x.(type) {
		case bool:
			if typ == 0 || typ == 's' {
				body, numeric = Str(y), false // format(True, '') is 'True'
				break
			}
			n, isInt = boolInt(y), true
		case int64:
			n, isInt = y, true
		case float64:
			f = y
		}
		if !numeric {
			break
		}
		neg := false
		switch {
		case isInt && strings.IndexByte("dxXobcn", typ) >= 0 || isInt && typ == 0:
			if precision >= 0 {
				return "", errorf("Precision not allowed in integer format specifier")
			}
			u := n
			if n < 0 {
				neg, u = true, -n
			}
			switch typ {
			case 'x':
				body = strconv.FormatUint(uint64(u), 16)
			case 'X':
				body = strings.ToUpper(strconv.FormatUint(uint64(u), 16))
			case 'o':
				body = strconv.FormatUint(uint64(u), 8)
			case 'b':
				body = strconv.FormatUint(uint64(u), 2)
			case 'c':
				body, numeric = string(rune(n)), false
			default:
				body = strconv.FormatUint(uint64(u), 10)
			}
		case strings.IndexByte("eEfFgG%", typ) >= 0 || typ == 0:
			if isInt {
				f = float64(n)
			}
			neg = f < 0 || (f == 0 && math.Signbit(f))
			a := math.Abs(f)
			given := precision >= 0
			if !given {
				precision = 6
			}
			switch {
			case math.IsNaN(a):
				body = "nan"
			case math.IsInf(a, 0):
				body = "inf"
			case typ == 'f' || typ == 'F':
				body = strconv.FormatFloat(a, 'f', precision, 64)
			case typ == 'e' || typ == 'E':
				body = strconv.FormatFloat(a, 'e', precision, 64) // e+06, as Python
			case typ == '%':
				body = strconv.FormatFloat(a*100, 'f', precision, 64) + "%"
			case typ == 'g' || typ == 'G':
				body = strconv.FormatFloat(a, 'g', max(precision, 1), 64)
			case given: // no type: like 'g', keeping one digit after the point
				body = strconv.FormatFloat(a, 'g', max(precision, 1), 64)
				if !strings.ContainsAny(body, ".e") {
					body += ".0"
				}
			default: // no type, no precision: str()
				body = jsonvalue.FormatFloat(a)
			}
			if typ == 'E' || typ == 'G' || typ == 'F' {
				body = strings.ToUpper(body)
			}
		default:
			return "", errorf("Unknown format code '%c' for object of type '%s'", typ, typeName(v))
		}
		if !numeric {
			break
		}
		if comma {
			body = thousands(body)
		}
		switch {
		case neg:
			signStr = "-"
		case sign == '+':
			signStr = "+"
		case sign == ' ':
			signStr = " "
		}
	default:
		if typ != 0 && typ != 's' {
			return "", errorf("Unknown format code '%c' for object of type '%s'", typ, typeName(v))
		}
		body = Str(v)
	}
	if align == 0 {
		align = '<'
		if numeric {
			align = '>'
		}
	}
	pad := width - utf8.RuneCountInString(signStr+body)
	if pad <= 0 {
		return signStr + body, nil
	}
	fills := strings.Repeat(string(fill), pad)
	switch align {
	case '<':
		return signStr + body + fills, nil
	case '^':
		left := strings.Repeat(string(fill), pad/2)
		return left + signStr + body + strings.Repeat(string(fill), pad-pad/2), nil
	case '=':
		return signStr + fills + body, nil
	}
	return fills + signStr + body, nil
}

// thousands inserts commas into the integer part of a number's digits.
func thousands(s string) string {
	intPart, frac := s, ""
	if k := strings.IndexAny(s, ".e%"); k >= 0 {
		intPart, frac = s[:k], s[k:]
	}
	if len(intPart) <= 3 {
		return s
	}
	var b strings.Builder
	lead := len(intPart) % 3
	if lead > 0 {
		b.WriteString(intPart[:lead])
	}
	for i := lead; i < len(intPart); i += 3 {
		if b.Len() > 0 {
			b.WriteByte(',')
		}
		b.WriteString(intPart[i : i+3])
	}
	return b.String() + frac
}
