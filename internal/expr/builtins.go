package expr

import (
	"crypto/rand"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/sirocco-project/sirocco/internal/jsonvalue"
)

// builtin is a function whose arguments are evaluated before the call.
type builtin func(e *evaluator, args []any) (any, error)

// builtins maps names (YAQL camelCase, with snake_case aliases) to
// functions; a method call x.f(a) is f(x, a). Filled by init because some
// entries call back into the evaluator, which consults this table.
var builtins map[string]builtin

// builtinParams names the parameters of the built-ins Mistral defines in
// Python, for keyword arguments (`json_dump(data => $.x)`).
var builtinParams = map[string][]string{
	"json_parse": {"data"},
	"json_dump":  {"data"},
	"json_pp":    {"data"},
	"yaml_parse": {"data"},
	"yaml_dump":  {"data"},
}

func init() {
	builtins = map[string]builtin{
		"len":         fnLen,
		"count":       fnLen,
		"str":         fnStr,
		"int":         fnInt,
		"float":       fnFloat,
		"bool":        fnBool,
		"list":        fnList,
		"toList":      fnToList,
		"to_list":     fnToList,
		"json_parse":  fnJSONParse,
		"yaml_parse":  fnYAMLParse,
		"yaml_dump":   fnYAMLDump,
		"json_dump":   fnJSONDump,
		"json_pp":     fnJSONDump,
		"uuid":        fnUUID,
		"keys":        fnKeys,
		"values":      fnValues,
		"items":       fnItems,
		"get":         fnGet,
		"first":       fnFirst,
		"skip":        fnSkip,
		"take":        fnTake,
		"limit":       fnTake,
		"last":        fnLast,
		"join":        fnJoin,
		"split":       fnSplit,
		"toUpper":     stringFn("toUpper", strings.ToUpper),
		"to_upper":    stringFn("to_upper", strings.ToUpper),
		"upper":       stringFn("upper", strings.ToUpper),
		"toLower":     stringFn("toLower", strings.ToLower),
		"to_lower":    stringFn("to_lower", strings.ToLower),
		"lower":       stringFn("lower", strings.ToLower),
		"trim":        stringFn("trim", strings.TrimSpace),
		"strip":       stringFn("strip", strings.TrimSpace),
		"replace":     fnReplace,
		"startsWith":  fnAffix("startsWith", strings.HasPrefix),
		"starts_with": fnAffix("starts_with", strings.HasPrefix),
		"startswith":  fnAffix("startswith", strings.HasPrefix),
		"endsWith":    fnAffix("endsWith", strings.HasSuffix),
		"ends_with":   fnAffix("ends_with", strings.HasSuffix),
		"endswith":    fnAffix("endswith", strings.HasSuffix),
		"concat":      fnConcat,
		"substring":   fnSubstring,
		"indexOf":     fnIndexOf,
		"index_of":    fnIndexOf,
		"sum":         fnSum,
		"min":         fnMinMax("min", -1),
		"max":         fnMinMax("max", 1),
		"abs":         fnAbs,
		"range":       fnRange,
		"distinct":    fnDistinct,
		"flatten":     fnFlatten,
		"contains":    fnContains,
		"isEmpty":     fnIsEmpty,
		"is_empty":    fnIsEmpty,
		"isString":    typeTest("isString", func(v any) bool { _, ok := v.(string); return ok }),
		"isList":      typeTest("isList", func(v any) bool { _, ok := v.([]any); return ok }),
		"isDict":      typeTest("isDict", isDict),
		"isInteger":   typeTest("isInteger", func(v any) bool { _, ok := v.(int64); return ok }),
		"isNumber":    typeTest("isNumber", func(v any) bool { _, _, ok := number(v); return ok }),
		"isBoolean":   typeTest("isBoolean", func(v any) bool { _, ok := v.(bool); return ok }),
		"reverse":     fnReverse,
		"sort":        fnSort,
		"union":       fnUnion,
		"dict_merge":  fnMerge,
		"merge_with":  fnMerge,
		"mergeWith":   fnMerge,
		"to_json":     fnToJSON,
		"tojson":      fnToJSON,
		"string":      fnString,
		"capitalize":  stringFn("capitalize", capitalize),
		"length":      fnLen,
		"default":     fnDefault,
		"d":           fnDefault,
		"unique":      fnDistinct,
		"is_list":     typeTest("is_list", func(v any) bool { _, ok := v.([]any); return ok }),
		"is_dict":     typeTest("is_dict", isDict),
		"is_string":   typeTest("is_string", func(v any) bool { _, ok := v.(string); return ok }),
		"not_null":    func(_ *evaluator, a []any) (any, error) { return len(a) > 0 && a[0] != nil, nil },
		"isNull":      func(_ *evaluator, a []any) (any, error) { return len(a) == 0 || a[0] == nil, nil },
		"str_join":    fnJoin,
		"splitlines":  fnSplitLines,
		"lstrip":      stringFn("lstrip", func(s string) string { return strings.TrimLeft(s, " \t\n\r\v\f") }),
		"rstrip":      stringFn("rstrip", func(s string) string { return strings.TrimRight(s, " \t\n\r\v\f") }),
		"trimLeft":    stringFn("trimLeft", func(s string) string { return strings.TrimLeft(s, " \t\n\r\v\f") }),
		"trimRight":   stringFn("trimRight", func(s string) string { return strings.TrimRight(s, " \t\n\r\v\f") }),
		"title":       stringFn("title", title),
		"round":       fnRound,
	}
}

// arity checks the argument count of a built-in.
func arity(name string, args []any, lo, hi int) error {
	if len(args) >= lo && len(args) <= hi {
		return nil
	}
	switch {
	case lo == hi:
		return errorf("%s() takes exactly %d argument(s) (%d given)", name, lo, len(args))
	case hi == math.MaxInt:
		return errorf("%s() takes at least %d argument(s) (%d given)", name, lo, len(args))
	}
	return errorf("%s() takes from %d to %d arguments (%d given)", name, lo, hi, len(args))
}

func wantString(fn string, v any) (string, error) {
	s, ok := v.(string)
	if !ok {
		return "", errorf("%s() expects a string, not '%s'", fn, typeName(v))
	}
	return s, nil
}

func wantList(fn string, v any) ([]any, error) {
	l, ok := v.([]any)
	if !ok {
		return nil, errorf("%s() expects a list, not '%s'", fn, typeName(v))
	}
	return l, nil
}

func wantInt(fn string, v any) (int64, error) {
	n, ok := v.(int64)
	if !ok {
		return 0, errorf("%s() expects an integer, not '%s'", fn, typeName(v))
	}
	return n, nil
}

// iterate returns the items of a collection: a list, the keys of a dict,
// the characters of a string.
func iterate(fn string, v any) ([]any, error) {
	switch x := v.(type) {
	case []any:
		return x, nil
	case *jsonvalue.Object, map[string]any:
		o, _ := asDict(x)
		out := make([]any, o.Len())
		for i, m := range o.Members() {
			out[i] = m.Key
		}
		return out, nil
	case string:
		out := make([]any, 0, len(x))
		for _, r := range x {
			out = append(out, string(r))
		}
		return out, nil
	}
	return nil, errorf("%s(): '%s' object is not iterable", fn, typeName(v))
}

func fnLen(_ *evaluator, a []any) (any, error) {
	if err := arity("len", a, 1, 1); err != nil {
		return nil, err
	}
	switch x := a[0].(type) {
	case string:
		return int64(utf8.RuneCountInString(x)), nil
	case []any:
		return int64(len(x)), nil
	case *jsonvalue.Object, map[string]any:
		return int64(dictLen(x)), nil
	}
	return nil, errorf("object of type '%s' has no len()", typeName(a[0]))
}

// fnStr is str(): YAQL spells the top-level null/true/false in lower case.
func fnStr(e *evaluator, a []any) (any, error) {
	if err := arity("str", a, 1, 1); err != nil {
		return nil, err
	}
	if e.lang == langYAQL {
		return yaqlStr(a[0]), nil
	}
	return Str(a[0]), nil
}

// fnString is Jinja's string filter: Python str().
func fnString(_ *evaluator, a []any) (any, error) {
	if err := arity("string", a, 1, 1); err != nil {
		return nil, err
	}
	return Str(a[0]), nil
}

// fnInt is int(): null is 0 (YAQL), floats truncate, strings must hold a
// decimal integer.
func fnInt(_ *evaluator, a []any) (any, error) {
	if err := arity("int", a, 1, 1); err != nil {
		return nil, err
	}
	switch x := a[0].(type) {
	case nil:
		return int64(0), nil
	case bool:
		return boolInt(x), nil
	case int64:
		return x, nil
	case float64:
		if math.IsNaN(x) || math.IsInf(x, 0) || x >= 9.223372036854775807e18 || x < -9.223372036854775808e18 {
			return nil, errorf("cannot convert float %s to integer", jsonvalue.FormatFloat(x))
		}
		return int64(x), nil
	case string:
		n, err := strconv.ParseInt(strings.TrimSpace(x), 10, 64)
		if err != nil {
			return nil, errorf("invalid literal for int() with base 10: %s", reprString(x))
		}
		return n, nil
	}
	return nil, errorf("int() argument must be a string or a number, not '%s'", typeName(a[0]))
}

func fnFloat(_ *evaluator, a []any) (any, error) {
	if err := arity("float", a, 1, 1); err != nil {
		return nil, err
	}
	switch x := a[0].(type) {
	case nil:
		return 0.0, nil
	case bool:
		return float64(boolInt(x)), nil
	case int64:
		return float64(x), nil
	case float64:
		return x, nil
	case string:
		t := strings.TrimSpace(x)
		f, err := strconv.ParseFloat(t, 64)
		// Out of range is Python's inf (ParseFloat returns ±Inf with it).
		if (err != nil && !errors.Is(err, strconv.ErrRange)) || strings.ContainsAny(t, "_xXpP") {
			return nil, errorf("could not convert string to float: %s", reprString(x))
		}
		return f, nil
	}
	return nil, errorf("float() argument must be a string or a number, not '%s'", typeName(a[0]))
}

func fnBool(_ *evaluator, a []any) (any, error) {
	if err := arity("bool", a, 1, 1); err != nil {
		return nil, err
	}
	return truthy(a[0]), nil
}

func fnList(_ *evaluator, a []any) (any, error) {
	return append([]any{}, a...), nil
}

// fnToList converts a collection to a list (Jinja's list filter, YAQL's
// toList()).
func fnToList(_ *evaluator, a []any) (any, error) {
	if err := arity("toList", a, 1, 1); err != nil {
		return nil, err
	}
	l, err := iterate("toList", a[0])
	if err != nil {
		return nil, err
	}
	return append([]any{}, l...), nil
}

func fnJSONParse(_ *evaluator, a []any) (any, error) {
	if err := arity("json_parse", a, 1, 1); err != nil {
		return nil, err
	}
	s, err := wantString("json_parse", a[0])
	if err != nil {
		return nil, err
	}
	v, err := jsonvalue.DecodeInput([]byte(s))
	if err != nil {
		return nil, &evalError{msg: "json_parse(): " + err.Error(), err: err}
	}
	return v, nil
}

// fnJSONDump is Mistral's json_dump: indented by 4, ASCII only.
func fnJSONDump(_ *evaluator, a []any) (any, error) {
	if err := arity("json_dump", a, 1, 1); err != nil {
		return nil, err
	}
	b, err := jsonvalue.AppendIndent(nil, a[0], "    ")
	if err != nil {
		return nil, errorf("json_dump(): %v", err)
	}
	return string(b), nil
}

// fnToJSON is Jinja's tojson filter, compact form; Jinja sorts the keys
// (its json.dumps_kwargs policy).
func fnToJSON(_ *evaluator, a []any) (any, error) {
	if err := arity("tojson", a, 1, 2); err != nil {
		return nil, err
	}
	b, err := jsonvalue.AppendSorted(nil, a[0])
	if err != nil {
		return nil, errorf("tojson(): %v", err)
	}
	return string(b), nil
}

// fnUUID returns a random (version 4) UUID.
func fnUUID(_ *evaluator, a []any) (any, error) {
	if err := arity("uuid", a, 0, 0); err != nil {
		return nil, err
	}
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		return nil, &evalError{msg: "uuid(): " + err.Error(), err: err}
	}
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16]), nil
}
