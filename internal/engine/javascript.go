package engine

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/dop251/goja"

	"github.com/sirocco-project/sirocco/internal/jsonvalue"
)

// jsParams are std.javascript's (and std.js's) parameters.
var jsParams = []param{{name: "script", required: true}, {name: "context"}}

// DefaultJSTimeout is the default bound on one run of std.javascript.
const DefaultJSTimeout = 10 * time.Second

// maxJSScript bounds a script's text.
const maxJSScript = 256 << 10

// maxJSCallDepth bounds the script's call stack: runaway recursion is a
// RangeError, not a server whose memory fills up.
const maxJSCallDepth = 2000

// errJSTimeout is what interrupts a script that runs too long.
var errJSTimeout = errors.New("the script ran too long")

// jsProgram wraps a script in a function, as Mistral does, so that it
// returns its result; it starts on the script's first line so that the
// line numbers of errors are the script's own.
func jsProgram(script string) string { return "(function () {" + script + "\n})()" }

// compileJS compiles a script as std.javascript runs it.
func compileJS(script string) (*goja.Program, error) {
	return goja.Compile("script", jsProgram(script), false)
}

// runJavaScript evaluates a script with goja, a JavaScript engine written
// in Go: the script sees its context as $ and nothing of the outside
// world (no require, no timers, no network, no files: goja has none unless
// a host adds them, and none is added). Time is bounded by an interrupt,
// the call stack by maxJSCallDepth, the result by the action result's
// limit. The result is what JSON.stringify makes of the returned value.
func runJavaScript(ctx context.Context, e *Engine, a *ActionExecution, in map[string]any) (any, error) {
	fail := func(msg string) error { return crash(a, "JavaScriptAction failed: "+msg) }
	script, ok := in["script"].(string)
	if !ok {
		return nil, fail("script must be a string")
	}
	if len(script) > maxJSScript {
		return nil, fail(fmt.Sprintf("the script is %d bytes, the limit is %d", len(script), maxJSScript))
	}
	ctxJSON, err := jsonvalue.Encode(in["context"])
	if err != nil {
		return nil, fail("context: " + err.Error())
	}
	if len(ctxJSON) > e.maxOutput {
		return nil, fail(fmt.Sprintf("the context is %d bytes encoded, the limit is %d", len(ctxJSON), e.maxOutput))
	}
	prog, err := compileJS(script)
	if err != nil {
		return nil, fail(err.Error())
	}
	timeout := e.jsTimeout
	if timeout <= 0 {
		timeout = DefaultJSTimeout
	}
	// The time bound starts once a slot is had: waiting is not running.
	select {
	case e.jsSlots <- struct{}{}:
		defer func() { <-e.jsSlots }()
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	vm := goja.New()
	vm.SetMaxCallStackSize(maxJSCallDepth)
	// Taken before the script runs, which may replace them.
	json := vm.Get("JSON").ToObject(vm)
	parse, _ := goja.AssertFunction(json.Get("parse"))
	stringify, _ := goja.AssertFunction(json.Get("stringify"))
	timer := time.AfterFunc(timeout, func() { vm.Interrupt(errJSTimeout) })
	defer timer.Stop()
	stop := context.AfterFunc(ctx, func() { vm.Interrupt(ctx.Err()) })
	defer stop()

	out, err := func() (out string, err error) {
		defer func() {
			if r := recover(); r != nil {
				err = fmt.Errorf("the script crashed: %v", r)
			}
		}()
		dollar, err := parse(goja.Undefined(), vm.ToValue(string(ctxJSON)))
		if err != nil {
			return "", err
		}
		if err := vm.Set("$", dollar); err != nil {
			return "", err
		}
		v, err := vm.RunProgram(prog)
		if err != nil {
			return "", err
		}
		s, err := stringify(goja.Undefined(), v)
		if err != nil {
			return "", fmt.Errorf("the result is not JSON: %w", err)
		}
		if goja.IsUndefined(s) {
			return "null", nil // undefined, a function: Mistral's None
		}
		return s.String(), nil
	}()
	var interrupted *goja.InterruptedError
	var overflow *goja.StackOverflowError
	switch {
	case errors.As(err, &overflow):
		return nil, fail(fmt.Sprintf("RangeError: Maximum call stack size exceeded (calls nested deeper than %d)%s", maxJSCallDepth, overflow.Error()))
	case errors.As(err, &interrupted) && ctx.Err() != nil:
		return nil, ctx.Err() // shutting down: the job runs again after restart
	case errors.As(err, &interrupted):
		return nil, fail(fmt.Sprintf("the script ran longer than %s and was stopped", timeout))
	case err != nil:
		return nil, fail(err.Error())
	}
	if len(out) > e.maxOutput {
		return nil, fail(fmt.Sprintf("the result is %d bytes encoded, the limit is %d", len(out), e.maxOutput))
	}
	res, err := jsonvalue.DecodeInput([]byte(out))
	if err != nil {
		return nil, fail("the result: " + err.Error())
	}
	return res, nil
}
