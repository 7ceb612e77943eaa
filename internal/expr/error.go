package expr

import (
	"fmt"
	"strings"
)

// Error is the error returned for an expression that cannot be parsed or
// evaluated. Its text follows Mistral's wording so that users (and the real
// CLI, which shows state_info verbatim) see familiar messages.
type Error struct {
	// Expr is the expression text without its delimiters (or the whole
	// string, for errors that concern the string rather than one expression).
	Expr string
	// Msg says what went wrong.
	Msg string
	// Data is the data context the expression was evaluated against.
	Data any
	// Lang is "YAQL" or "Jinja"; empty for errors about the whole string.
	Lang string
	// Parse is true for syntax errors (nothing was evaluated).
	Parse bool
	// Err is the underlying error, if any (for example one returned by a Func).
	Err error
}

// Error renders the message the way Mistral does:
// "Can not evaluate YAQL expression [expression=..., error=..., data=...]".
func (e *Error) Error() string {
	var b strings.Builder
	switch {
	case e.Lang == "":
		b.WriteString(e.Msg)
		b.WriteString(" [expression=")
		b.WriteString(e.Expr)
		b.WriteString("]")
	case e.Parse:
		b.WriteString("Can not parse ")
		b.WriteString(e.Lang)
		b.WriteString(" expression [expression=")
		b.WriteString(e.Expr)
		b.WriteString(", error=")
		b.WriteString(e.Msg)
		b.WriteString("]")
	default:
		b.WriteString("Can not evaluate ")
		b.WriteString(e.Lang)
		b.WriteString(" expression [expression=")
		b.WriteString(e.Expr)
		b.WriteString(", error=")
		b.WriteString(e.Msg)
		b.WriteString(", data=")
		b.WriteString(Str(e.Data))
		b.WriteString("]")
	}
	return b.String()
}

// Unwrap gives access to the underlying error, so that callers can use
// errors.Is / errors.As on failures raised by their own Funcs.
func (e *Error) Unwrap() error { return e.Err }

// evalError is the error raised inside the evaluator; the top level turns it
// into an *Error carrying the expression and the data.
type evalError struct {
	msg string
	err error
}

func (e *evalError) Error() string { return e.msg }
func (e *evalError) Unwrap() error { return e.err }

func errorf(format string, args ...any) error {
	return &evalError{msg: fmt.Sprintf(format, args...)}
}
