package expr

import (
	"math"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/sirocco-project/sirocco/internal/jsonvalue"
)

// fnYAMLDump is Mistral's yaml_dump: PyYAML's
// yaml.safe_dump(data, default_flow_style=False). Its output is matched
// byte for byte: keys sorted, block style, empty collections as [] and {},
// strings quoted when they would read back as another type or hold special
// characters (non-ASCII is escaped: allow_unicode is off), long lines folded
// at 80 columns, and a root plain scalar followed by "...".
func fnYAMLDump(_ *evaluator, a []any) (any, error) {
	if err := arity("yaml_dump", a, 1, 1); err != nil {
		return nil, err
	}
	em := &yamlEmitter{whitespace: true, indention: true, indent: -1}
	if err := em.node(canon(a[0]), 0, true, false, false, false); err != nil {
		return nil, errorf("yaml_dump(): %v", err)
	}
	em.writeIndent() // document end
	if em.openEnded {
		em.writeIndicator("...", true, false, false)
		em.writeIndent()
	}
	if em.b.Len() > maxStringLen {
		return nil, errorf("yaml_dump(): result longer than %d bytes", maxStringLen)
	}
	return em.b.String(), nil
}

// Emitter settings of safe_dump's defaults.
const (
	yamlBestIndent = 2
	yamlBestWidth  = 80
)

// yamlEmitter is a port of the parts of PyYAML's Emitter that block-style
// dumping of JSON-like values uses; fields and methods keep PyYAML's names
// so that the two can be read side by side.
type yamlEmitter struct {
	b          strings.Builder
	column     int
	whitespace bool // the last character written was whitespace
	indention  bool // ... and was indentation ("-", "?", ":" or spaces)
	openEnded  bool
	indent     int // -1: None
	indents    []int
	simpleKey  bool
	root       bool
}

func (em *yamlEmitter) increaseIndent(flow, indentless bool) {
	em.indents = append(em.indents, em.indent)
	switch {
	case em.indent < 0 && flow:
		em.indent = yamlBestIndent
	case em.indent < 0:
		em.indent = 0
	case !indentless:
		em.indent += yamlBestIndent
	}
}

func (em *yamlEmitter) popIndent() {
	em.indent = em.indents[len(em.indents)-1]
	em.indents = em.indents[:len(em.indents)-1]
}

// node emits v (PyYAML's expect_node) in the given context.
func (em *yamlEmitter) node(v any, depth int, root, sequence, mapping, simpleKey bool) error {
	if depth > maxNesting {
		return errorf("value is nested too deeply")
	}
	em.root, em.simpleKey = root, simpleKey
	switch x := v.(type) {
	case []any:
		if len(x) == 0 {
			em.writeIndicator("[", true, true, false)
			em.writeIndicator("]", false, false, false)
			return nil
		}
		em.increaseIndent(false, mapping && !em.indention)
		for _, it := range x {
			em.writeIndent()
			em.writeIndicator("-", true, false, true)
			if err := em.node(canon(it), depth+1, false, true, false, false); err != nil {
				return err
			}
		}
		em.popIndent()
		return nil
	case *jsonvalue.Object, map[string]any:
		o, _ := asDict(x)
		if o.Len() == 0 {
			em.writeIndicator("{", true, true, false)
			em.writeIndicator("}", false, false, false)
			return nil
		}
		em.increaseIndent(false, false)
		// PyYAML's safe_dump sorts keys (sort_keys=True), whatever their order.
		keys := o.Keys()
		slices.Sort(keys)
		for _, k := range keys {
			em.writeIndent()
			// check_simple_key: shorter than 128 characters counting the
			// tag PyYAML prepares ("!!str"), on one line, not empty.
			if kr := []rune(k); len(kr)+len("!!str") < 128 && len(kr) > 0 && !strings.ContainsAny(k, "\n\u0085\u2028\u2029") {
				em.node(k, depth+1, false, false, true, true)
				em.writeIndicator(":", false, false, false)
			} else {
				em.writeIndicator("?", true, false, true)
				em.node(k, depth+1, false, false, true, false)
				em.writeIndent()
				em.writeIndicator(":", true, false, true)
			}
			if err := em.node(canon(o.Value(k)), depth+1, false, false, true, false); err != nil {
				return err
			}
		}
		em.popIndent()
		return nil
	}
	var text string
	plainOK := true // the scalar's plain form resolves to its own type
	switch x := v.(type) {
	case nil:
		text = "null"
	case bool:
		text = "false"
		if x {
			text = "true"
		}
	case int64:
		text = strconv.FormatInt(x, 10)
	case float64:
		text = yamlFloatText(x)
	case string:
		text = x
		plainOK = yamlResolvesToStr(x)
	default:
		return errorf("cannot represent '%s'", typeName(v))
	}
	em.increaseIndent(true, false)
	em.scalar(text, plainOK)
	em.popIndent()
	return nil
}

// yamlFloatText is PyYAML's represent_float.
func yamlFloatText(f float64) string {
	switch {
	case math.IsNaN(f):
		return ".nan"
	case math.IsInf(f, 1):
		return ".inf"
	case math.IsInf(f, -1):
		return "-.inf"
	}
	s := strings.ToLower(jsonvalue.FormatFloat(f))
	if !strings.Contains(s, ".") && strings.Contains(s, "e") {
		s = strings.Replace(s, "e", ".0e", 1)
	}
	return s
}

// PyYAML's implicit resolvers (YAML 1.1), keyed by the first character.
var (
	yamlResolveBool  = regexp.MustCompile(`^(?:yes|Yes|YES|no|No|NO|true|True|TRUE|false|False|FALSE|on|On|ON|off|Off|OFF)$`)
	yamlResolveFloat = regexp.MustCompile(`^(?:[-+]?(?:[0-9][0-9_]*)\.[0-9_]*(?:[eE][-+][0-9]+)?|\.[0-9][0-9_]*(?:[eE][-+][0-9]+)?|[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+\.[0-9_]*|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$`)
	yamlResolveInt   = regexp.MustCompile(`^(?:[-+]?0b[0-1_]+|[-+]?0[0-7_]+|[-+]?(?:0|[1-9][0-9_]*)|[-+]?0x[0-9a-fA-F_]+|[-+]?[1-9][0-9_]*(?::[0-5]?[0-9])+)$`)
	yamlResolveNull  = regexp.MustCompile(`^(?:~|null|Null|NULL|)$`)
	yamlResolveTime  = regexp.MustCompile(`^(?:[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]|[0-9][0-9][0-9][0-9]-[0-9][0-9]?-[0-9][0-9]?(?:[Tt]|[ \t]+)[0-9][0-9]?:[0-9][0-9]:[0-9][0-9](?:\.[0-9]*)?(?:[ \t]*(?:Z|[-+][0-9][0-9]?(?::[0-9][0-9])?))?)$`)
)

// yamlResolvesToStr reports whether PyYAML's resolver reads the plain
// scalar s as a string. Python's $ also matches before a final newline.
func yamlResolvesToStr(s string) bool {
	if s == "" {
		return false // null
	}
	t := strings.TrimSuffix(s, "\n")
	match := func(re *regexp.Regexp) bool { return re.MatchString(t) }
	switch c := s[0]; {
	case strings.IndexByte("yYnNtTfFoO", c) >= 0 && match(yamlResolveBool):
		return false
	case strings.IndexByte("-+0123456789.", c) >= 0 && match(yamlResolveFloat):
		return false
	case strings.IndexByte("-+0123456789", c) >= 0 && match(yamlResolveInt):
		return false
	case c == '<' && t == "<<", c == '=' && t == "=":
		return false
	case strings.IndexByte("~nN", c) >= 0 && match(yamlResolveNull):
		return false
	case c >= '0' && c <= '9' && match(yamlResolveTime):
		return false
	}
	return true
}

// yamlAnalysis is PyYAML's ScalarAnalysis.
type yamlAnalysis struct {
	empty, multiline                       bool
	allowBlockPlain, allowSingle, allowDbl bool
}

func isYAMLBreak(r rune) bool { return r == '\n' || r == 0x85 || r == 0x2028 || r == 0x2029 }

func isYAMLSpaceOrBreak(r rune) bool {
	return r == 0 || r == ' ' || r == '\t' || r == '\r' || isYAMLBreak(r)
}

// analyzeScalar is PyYAML's analyze_scalar with allow_unicode off, for
// block context (flow plain scalars are never written here).
func analyzeScalar(s []rune) yamlAnalysis {
	if len(s) == 0 {
		return yamlAnalysis{empty: true, allowBlockPlain: true, allowSingle: true, allowDbl: true}
	}
	var blockIndicators, lineBreaks, special bool
	var leadingSpace, leadingBreak, trailingSpace, trailingBreak, breakSpace, spaceBreak bool
	str := string(s)
	if strings.HasPrefix(str, "---") || strings.HasPrefix(str, "...") {
		blockIndicators = true
	}
	precededByWS := true
	followedByWS := len(s) == 1 || isYAMLSpaceOrBreak(s[1])
	prevSpace, prevBreak := false, false
	for i, ch := range s {
		if i == 0 {
			if strings.ContainsRune("#,[]{}&*!|>'\"%@`", ch) {
				blockIndicators = true
			}
			if (ch == '?' || ch == ':') && followedByWS {
				blockIndicators = true
			}
			if ch == '-' && followedByWS {
				blockIndicators = true
			}
		} else {
			if ch == ':' && followedByWS {
				blockIndicators = true
			}
			if ch == '#' && precededByWS {
				blockIndicators = true
			}
		}
		if isYAMLBreak(ch) {
			lineBreaks = true
		}
		if !(ch == '\n' || ch >= 0x20 && ch <= 0x7e) {
			special = true // allow_unicode is off: anything else is escaped
		}
		switch {
		case ch == ' ':
			leadingSpace = leadingSpace || i == 0
			trailingSpace = trailingSpace || i == len(s)-1
			breakSpace = breakSpace || prevBreak
			prevSpace, prevBreak = true, false
		case isYAMLBreak(ch):
			leadingBreak = leadingBreak || i == 0
			trailingBreak = trailingBreak || i == len(s)-1
			spaceBreak = spaceBreak || prevSpace
			prevSpace, prevBreak = false, true
		default:
			prevSpace, prevBreak = false, false
		}
		precededByWS = isYAMLSpaceOrBreak(ch)
		followedByWS = i+2 >= len(s) || isYAMLSpaceOrBreak(s[i+2])
	}
	a := yamlAnalysis{multiline: lineBreaks, allowBlockPlain: true, allowSingle: true, allowDbl: true}
	if leadingSpace || leadingBreak || trailingSpace || trailingBreak {
		a.allowBlockPlain = false
	}
	if breakSpace {
		a.allowBlockPlain, a.allowSingle = false, false
	}
	if spaceBreak || special {
		a.allowBlockPlain, a.allowSingle = false, false
	}
	if lineBreaks || blockIndicators {
		a.allowBlockPlain = false
	}
	return a
}

// scalar is PyYAML's process_scalar with choose_scalar_style.
func (em *yamlEmitter) scalar(text string, plainOK bool) {
	s := []rune(text)
	a := analyzeScalar(s)
	split := !em.simpleKey
	switch {
	case plainOK && !(em.simpleKey && (a.empty || a.multiline)) && a.allowBlockPlain:
		em.writePlain(s, split)
	case a.allowSingle && !(em.simpleKey && a.multiline):
		em.writeSingleQuoted(s, split)
	default:
		em.writeDoubleQuoted(s, split)
	}
}

func (em *yamlEmitter) write(s string) {
	em.b.WriteString(s)
	em.column += len(s) // all output is ASCII: allow_unicode is off
}

func (em *yamlEmitter) writeIndicator(ind string, needWhitespace, whitespace, indention bool) {
	if !em.whitespace && needWhitespace {
		ind = " " + ind
	}
	em.whitespace = whitespace
	em.indention = em.indention && indention
	em.openEnded = false
	em.write(ind)
}

func (em *yamlEmitter) writeIndent() {
	indent := max(em.indent, 0)
	if !em.indention || em.column > indent || (em.column == indent && !em.whitespace) {
		em.writeLineBreak()
	}
	if em.column < indent {
		em.whitespace = true
		em.write(strings.Repeat(" ", indent-em.column))
	}
}

func (em *yamlEmitter) writeLineBreak() {
	em.whitespace, em.indention = true, true
	em.b.WriteByte('\n')
	em.column = 0
}

// writeBreaks writes the line breaks text[start:end] as PyYAML's quoted and
// plain writers do: a leading "\n" counts twice (folding eats one).
func (em *yamlEmitter) writeBreaks(br []rune) {
	if br[0] == '\n' {
		em.writeLineBreak()
	}
	for _, r := range br {
		if r == '\n' {
			em.writeLineBreak()
		} else {
			em.whitespace, em.indention = true, true
			em.b.WriteRune(r) // not reached: such breaks force double quotes
			em.column = 0
		}
	}
	em.writeIndent()
}

func (em *yamlEmitter) writePlain(text []rune, split bool) {
	if em.root {
		em.openEnded = true
	}
	if len(text) == 0 {
		return
	}
	if !em.whitespace {
		em.write(" ")
	}
	em.whitespace, em.indention = false, false
	spaces, breaks := false, false
	start := 0
	for end := 0; end <= len(text); end++ {
		ch := rune(-1)
		if end < len(text) {
			ch = text[end]
		}
		switch {
		case spaces:
			if ch != ' ' {
				if start+1 == end && em.column > yamlBestWidth && split {
					em.writeIndent()
					em.whitespace, em.indention = false, false
				} else {
					em.write(string(text[start:end]))
				}
				start = end
			}
		case breaks:
			if !isYAMLBreak(ch) {
				em.writeBreaks(text[start:end])
				em.whitespace, em.indention = false, false
				start = end
			}
		default:
			if ch < 0 || ch == ' ' || isYAMLBreak(ch) {
				em.write(string(text[start:end]))
				start = end
			}
		}
		if ch >= 0 {
			spaces, breaks = ch == ' ', isYAMLBreak(ch)
		}
	}
}

func (em *yamlEmitter) writeSingleQuoted(text []rune, split bool) {
	em.writeIndicator("'", true, false, false)
	spaces, breaks := false, false
	start := 0
	for end := 0; end <= len(text); end++ {
		ch := rune(-1)
		if end < len(text) {
			ch = text[end]
		}
		switch {
		case spaces:
			if ch != ' ' {
				if start+1 == end && em.column > yamlBestWidth && split && start != 0 && end != len(text) {
					em.writeIndent()
				} else {
					em.write(string(text[start:end]))
				}
				start = end
			}
		case breaks:
			if !isYAMLBreak(ch) {
				em.writeBreaks(text[start:end])
				start = end
			}
		default:
			if ch < 0 || ch == ' ' || isYAMLBreak(ch) || ch == '\'' {
				if start < end {
					em.write(string(text[start:end]))
					start = end
				}
			}
		}
		if ch == '\'' {
			em.write("''")
			start = end + 1
		}
		if ch >= 0 {
			spaces, breaks = ch == ' ', isYAMLBreak(ch)
		}
	}
	em.writeIndicator("'", false, false, false)
}

// yamlEscapes is PyYAML's ESCAPE_REPLACEMENTS.
var yamlEscapes = map[rune]string{
	0: "0", 0x07: "a", 0x08: "b", 0x09: "t", 0x0a: "n", 0x0b: "v", 0x0c: "f", 0x0d: "r",
	0x1b: "e", '"': "\"", '\\': "\\", 0x85: "N", 0xa0: "_", 0x2028: "L", 0x2029: "P",
}

func (em *yamlEmitter) writeDoubleQuoted(text []rune, split bool) {
	em.writeIndicator("\"", true, false, false)
	start := 0
	for end := 0; end <= len(text); end++ {
		ch := rune(-1)
		if end < len(text) {
			ch = text[end]
		}
		if ch < 0 || ch == '"' || ch == '\\' || ch == 0x85 || ch == 0x2028 || ch == 0x2029 || ch == 0xfeff || ch < 0x20 || ch > 0x7e {
			if start < end {
				em.write(string(text[start:end]))
				start = end
			}
			if ch >= 0 {
				var data string
				switch esc, ok := yamlEscapes[ch]; {
				case ok:
					data = "\\" + esc
				case ch <= 0xff:
					data = "\\x" + strings.ToUpper(leftPad(strconv.FormatInt(int64(ch), 16), 2))
				case ch <= 0xffff:
					data = "\\u" + strings.ToUpper(leftPad(strconv.FormatInt(int64(ch), 16), 4))
				default:
					data = "\\U" + strings.ToUpper(leftPad(strconv.FormatInt(int64(ch), 16), 8))
				}
				em.write(data)
				start = end + 1
			}
		}
		if 0 < end && end < len(text)-1 && (ch == ' ' || start >= end) && em.column+(end-start) > yamlBestWidth && split {
			data := "\\" // after an escape start is end+1: Python's empty slice
			if start < end {
				data = string(text[start:end]) + data
				start = end
			}
			em.write(data)
			em.writeIndent()
			em.whitespace, em.indention = false, false
			if text[start] == ' ' {
				em.write("\\")
			}
		}
	}
	em.writeIndicator("\"", false, false, false)
}

func leftPad(s string, n int) string {
	if len(s) >= n {
		return s
	}
	return strings.Repeat("0", n-len(s)) + s
}
