package engine

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"mime"
	"net/http"
	"net/url"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/sirocco-project/sirocco/internal/dsl"
	"github.com/sirocco-project/sirocco/internal/expr"
	"github.com/sirocco-project/sirocco/internal/fault"
	"github.com/sirocco-project/sirocco/internal/jsonvalue"
)

// actionDef describes an action: a built-in (reachable by its full name,
// std.echo, and, as the async-actions guide writes them, without std.), or
// an ad-hoc one made from a stored definition (base and spec set).
type actionDef struct {
	base   *actionDef  // an ad-hoc action's base
	spec   *dsl.Action // an ad-hoc action's definition
	name   string
	class  string // Mistral's class name, for error messages users may search for
	label  string // how Mistral names the action in "The action raised an exception" (default: name)
	async  bool
	params []param
	// run performs the action outside any transaction. For an async action
	// it only starts the work; a nil run means there is nothing to start.
	run func(ctx context.Context, e *Engine, a *ActionExecution, in map[string]any) (any, error)
	// instant actions compute their result from their input alone, at
	// once, with no I/O (std.echo without a delay, std.noop, std.fail; not
	// std.test_dict, whose size its caller chooses): they run in the
	// transaction that started them (work.runInstant).
	instant bool
}

type param struct {
	name     string
	def      any
	required bool
	// secret values (a password, a private key) are masked wherever an
	// action's input is shown (maskInput).
	secret bool
}

// actionError is an action's error result (as opposed to a crash): the
// task goes to ERROR with value as its result.
type actionError struct{ value any }

func (e *actionError) Error() string { return expr.Str(e.value) }

// httpParams are std.http's parameters, shared by std.mistral_http.
var httpParams = []param{
	{name: "url", required: true}, {name: "method", def: "GET"}, {name: "params"}, {name: "body"},
	{name: "json"}, {name: "headers"}, {name: "cookies"}, {name: "auth"}, {name: "timeout"},
	{name: "allow_redirects"}, {name: "proxies"}, {name: "verify"},
}

var actions = map[string]*actionDef{}

func init() {
	for _, a := range []*actionDef{
		{name: "std.noop", class: "NoOpAction", instant: true, run: func(context.Context, *Engine, *ActionExecution, map[string]any) (any, error) {
			return nil, nil
		}},
		{name: "std.async_noop", class: "AsyncNoOpAction", async: true},
		{name: "std.echo", class: "EchoAction", instant: true, params: []param{{name: "output", required: true}, {name: "delay", def: int64(0)}}, run: runEcho},
		{name: "std.fail", class: "FailAction", instant: true, label: "Fail action", params: []param{{name: "error_data"}}, run: runFail},
		{name: "std.sleep", class: "SleepAction", params: []param{{name: "seconds", def: int64(1)}}, run: runSleep},
		{name: "std.http", class: "HTTPAction", params: httpParams, run: runHTTP},
		{name: "std.mistral_http", class: "MistralHTTPAction", async: true, params: httpParams, run: runMistralHTTP},
		{name: "std.ssh", class: "SSHAction", params: sshParams, run: runSSH},
		{name: "std.ssh_proxied", class: "SSHProxiedAction", params: sshProxiedParams, run: runSSHProxied},
		{name: "std.javascript", class: "JavaScriptAction", params: jsParams, run: runJavaScript},
		{name: "std.js", class: "JavaScriptAction", params: jsParams, run: runJavaScript},
		{name: "std.test_dict", class: "TestDictAction", params: testDictParams, run: runTestDict},
	} {
		actions[a.name] = a
	}
}

// lookupAction finds a built-in action by its name, with or without "std.".
func lookupAction(name string) (*actionDef, error) {
	if a, ok := actions[name]; ok {
		return a, nil
	}
	if a, ok := actions["std."+name]; ok {
		return a, nil
	}
	return nil, fault.Errorf(fault.EINVALID, "Failed to find action [action_name=%s]", name)
}

// BuiltinAction returns the full name of a built-in action ("std.echo" for
// "echo" too), or "" when name is not one.
func BuiltinAction(name string) string {
	if d, err := lookupAction(name); err == nil {
		return d.name
	}
	return ""
}

// ActionNames lists the built-in actions.
func ActionNames() []string {
	names := make([]string, 0, len(actions))
	for n := range actions {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// check fills defaults and reports missing or unexpected parameters.
func (d *actionDef) check(in map[string]any) (map[string]any, error) {
	out := make(map[string]any, len(d.params))
	known := map[string]bool{}
	var missing, unexpected []string
	for _, p := range d.params {
		known[p.name] = true
		if v, ok := in[p.name]; ok {
			out[p.name] = v
		} else if p.required {
			missing = append(missing, p.name)
		} else {
			out[p.name] = p.def
		}
	}
	for k := range in {
		if !known[k] {
			unexpected = append(unexpected, k)
		}
	}
	if len(missing) == 0 && len(unexpected) == 0 {
		return out, nil
	}
	sort.Strings(unexpected)
	msg := fmt.Sprintf("Invalid input [name=%s, class=%s", d.name, d.class)
	if len(missing) > 0 {
		msg += ", missing=" + pyList(missing)
	}
	if len(unexpected) > 0 {
		msg += ", unexpected=" + pyList(unexpected)
	}
	return nil, fault.Errorf(fault.EINVALID, "%s]", msg)
}

// crash wraps an action's failure the way Mistral reports an exception.
func crash(a *ActionExecution, msg string) error {
	label := a.Name
	if d, ok := actions[a.Name]; ok && d.label != "" {
		label = d.label
	}
	id := a.ID
	if id == "" {
		id = "None" // an ad-hoc run that is not stored
	}
	return &actionError{value: fmt.Sprintf("The action raised an exception [action=%s, action_ex_id=%s, msg='%s']", label, id, msg)}
}

func toSeconds(v any) (float64, bool) {
	switch x := v.(type) {
	case int64:
		return float64(x), true
	case float64:
		return x, true
	case string:
		var f float64
		if _, err := fmt.Sscan(x, &f); err == nil {
			return f, true
		}
	case nil:
		return 0, true
	}
	return 0, false
}

// sleep waits d or until ctx ends.
func sleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return nil
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func runEcho(ctx context.Context, _ *Engine, a *ActionExecution, in map[string]any) (any, error) {
	d, ok := toSeconds(in["delay"])
	if !ok {
		return nil, crash(a, "delay must be a number")
	}
	if err := sleep(ctx, time.Duration(d*float64(time.Second))); err != nil {
		return nil, err
	}
	return in["output"], nil
}

func runFail(_ context.Context, _ *Engine, a *ActionExecution, in map[string]any) (any, error) {
	if in["error_data"] != nil {
		return nil, &actionError{value: in["error_data"]}
	}
	return nil, crash(a, "Fail action expected exception.")
}

func runSleep(ctx context.Context, _ *Engine, a *ActionExecution, in map[string]any) (any, error) {
	d, ok := toSeconds(in["seconds"])
	if !ok {
		return nil, crash(a, "seconds must be a number")
	}
	return nil, sleep(ctx, time.Duration(int64(d))*time.Second)
}

// maxHTTPBody bounds what std.http reads of a response.
const maxHTTPBody = 10 << 20

// buildRequest turns std.http parameters into a request.
func buildRequest(ctx context.Context, in map[string]any) (*http.Request, time.Duration, error) {
	rawURL, _ := in["url"].(string)
	u, err := url.Parse(rawURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, 0, fmt.Errorf("invalid URL %q: an absolute http or https URL is required", rawURL)
	}
	method := strings.ToUpper(fmt.Sprint(in["method"]))
	if m, ok := in["method"].(string); ok && m != "" {
		method = strings.ToUpper(m)
	}
	if params, ok := mapOf(in["params"]); ok {
		q := u.Query()
		for _, k := range slices.Sorted(maps.Keys(params)) {
			switch v := params[k].(type) {
			case []any:
				for _, item := range v {
					q.Add(k, expr.Str(item))
				}
			case nil:
			default:
				q.Add(k, expr.Str(v))
			}
		}
		u.RawQuery = q.Encode()
	}
	var body io.Reader
	contentType := ""
	switch {
	case in["body"] != nil && in["json"] != nil:
		return nil, 0, fmt.Errorf("body and json cannot both be given")
	case in["json"] != nil:
		b, err := jsonvalue.Encode(in["json"])
		if err != nil {
			return nil, 0, err
		}
		body, contentType = bytes.NewReader(b), "application/json"
	case in["body"] != nil:
		switch v := in["body"].(type) {
		case string:
			body = strings.NewReader(v)
		default:
			b, err := jsonvalue.Encode(v)
			if err != nil {
				return nil, 0, err
			}
			body = bytes.NewReader(b)
		}
	}
	req, err := http.NewRequestWithContext(ctx, method, u.String(), body)
	if err != nil {
		return nil, 0, err
	}
	req.Header.Set("User-Agent", "Sirocco")
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	if h, ok := mapOf(in["headers"]); ok {
		for k, v := range h {
			req.Header.Set(k, expr.Str(v))
		}
	}
	if c, ok := mapOf(in["cookies"]); ok {
		for k, v := range c {
			req.AddCookie(&http.Cookie{Name: k, Value: expr.Str(v)})
		}
	}
	switch auth := in["auth"].(type) {
	case string:
		if user, pass, ok := strings.Cut(auth, ":"); ok {
			req.SetBasicAuth(user, pass)
		}
	case []any:
		if len(auth) == 2 {
			req.SetBasicAuth(expr.Str(auth[0]), expr.Str(auth[1]))
		}
	}
	var timeout time.Duration
	if s, ok := toSeconds(in["timeout"]); ok && s > 0 {
		timeout = time.Duration(s * float64(time.Second))
	}
	return req, timeout, nil
}

// doHTTP sends a std.http request and returns Mistral's result dict.
func doHTTP(ctx context.Context, e *Engine, in map[string]any) (*jsonvalue.Object, error) {
	req, timeout, err := buildRequest(ctx, in)
	if err != nil {
		return nil, err
	}
	if timeout > 0 {
		c, cancel := context.WithTimeout(ctx, timeout)
		defer cancel()
		req = req.WithContext(c)
	}
	start := time.Now()
	resp, err := e.http.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, maxHTTPBody))
	if err != nil {
		return nil, err
	}
	headers := map[string]any{}
	for k := range resp.Header {
		headers[k] = resp.Header.Get(k)
	}
	cookies := map[string]any{}
	for _, c := range resp.Cookies() {
		cookies[c.Name] = c.Value
	}
	// A JSON body is held to the depth limit of every JSON document from
	// outside, or the page that shows it, and every expression over it,
	// pays for the nesting. Any body that opens with a bracket is counted:
	// the check is one pass, and a string would be no use either.
	if t := bytes.TrimLeft(raw, " \t\r\n"); len(t) > 0 && (t[0] == '[' || t[0] == '{') {
		if err := jsonvalue.CheckDepth(t); err != nil {
			return nil, err
		}
	}
	var content any = string(raw)
	if v, err := jsonvalue.Decode(raw); err == nil && len(raw) > 0 {
		content = v
	}
	encoding := any(nil)
	if _, params, err := mime.ParseMediaType(resp.Header.Get("Content-Type")); err == nil && params["charset"] != "" {
		encoding = params["charset"]
	}
	// In Mistral's order (a user sees the result as it is).
	return jsonvalue.ObjectOf(
		"content", content,
		"status", int64(resp.StatusCode),
		"headers", headers,
		"url", resp.Request.URL.String(),
		"history", []any{},
		"encoding", encoding,
		"reason", strings.TrimSpace(strings.TrimPrefix(resp.Status, fmt.Sprint(resp.StatusCode))),
		"cookies", cookies,
		"elapsed", time.Since(start).Seconds(),
	), nil
}

// okStatus is Mistral's success range for std.http.
func okStatus(code int64) bool { return code >= 200 && code <= 306 }

// httpFailure words why std.http (or std.mistral_http) failed, for its
// result: the request could not be sent, or the response was refused.
func httpFailure(err error) string {
	if errors.Is(err, jsonvalue.ErrTooDeep) {
		return "The HTTP response is not accepted: " + err.Error()
	}
	return "Failed to send HTTP request: " + err.Error()
}

func runHTTP(ctx context.Context, e *Engine, a *ActionExecution, in map[string]any) (any, error) {
	res, err := doHTTP(ctx, e, in)
	if err != nil {
		return nil, crash(a, httpFailure(err))
	}
	if !okStatus(res.Value("status").(int64)) {
		return nil, &actionError{value: res}
	}
	return res, nil
}

// runMistralHTTP starts an asynchronous HTTP action: it sends the request
// with the Mistral-* headers and returns; the receiver completes the action
// later through the callback URL.
func runMistralHTTP(ctx context.Context, e *Engine, a *ActionExecution, in map[string]any) (any, error) {
	headers := asObject(in["headers"])
	headers = merge(headers)
	set := func(k string, v *string) {
		if v != nil {
			headers[k] = *v
		}
	}
	set("Mistral-Workflow-Name", a.WorkflowName)
	set("Mistral-Workflow-Execution-Id", a.WorkflowExecutionID)
	set("Mistral-Task-Id", a.TaskExecutionID)
	set("Mistral-Action-Execution-Id", &a.ID)
	set("Mistral-Callback-URL", strPtr(strings.TrimRight(e.baseURL, "/")))
	if e.cbTokens != nil {
		tok, err := e.cbTokens.CallbackToken(ctx, a.ID)
		if err != nil {
			return nil, fmt.Errorf("callback token for %s: %w", a.ID, err)
		}
		headers[CallbackTokenHeader] = tok
	}
	in = merge(in, map[string]any{"headers": headers})
	res, err := doHTTP(ctx, e, in)
	if err != nil {
		return nil, crash(a, httpFailure(err))
	}
	if !okStatus(res.Value("status").(int64)) {
		return nil, &actionError{value: res}
	}
	return res, nil
}

// CallbackTokenHeader carries an action's callback token (see CallbackTokens).
const CallbackTokenHeader = "Sirocco-Callback-Token"

// requestRecord describes what an HTTP action sent, for people deciding
// on it later. Authorization and the callback token are masked.
func requestRecord(in map[string]any, e *Engine, a *ActionExecution) map[string]any {
	req, _, err := buildRequest(context.Background(), in)
	if err != nil {
		return map[string]any{"error": err.Error()}
	}
	headers := map[string]any{}
	for k := range req.Header {
		v := req.Header.Get(k)
		if k == "Authorization" || k == CallbackTokenHeader {
			v = "***"
		}
		headers[k] = v
	}
	if a.Name == "std.mistral_http" {
		for k, v := range map[string]*string{
			"Mistral-Workflow-Name": a.WorkflowName, "Mistral-Workflow-Execution-Id": a.WorkflowExecutionID,
			"Mistral-Task-Id": a.TaskExecutionID, "Mistral-Action-Execution-Id": &a.ID,
			"Mistral-Callback-URL": strPtr(strings.TrimRight(e.baseURL, "/")),
		} {
			if v != nil {
				headers[k] = *v
			}
		}
		if e.cbTokens != nil {
			headers[CallbackTokenHeader] = "***"
		}
	}
	rec := map[string]any{"method": req.Method, "url": req.URL.String(), "headers": headers}
	if req.Body != nil {
		b, _ := io.ReadAll(io.LimitReader(req.Body, 64<<10))
		rec["body"] = string(b)
	}
	return rec
}

// ActionInput renders an action's parameters like Mistral's action
// "input" field: `output, delay=0`.
func ActionInput(name string) string {
	a, err := lookupAction(name)
	if err != nil {
		return ""
	}
	parts := make([]string, len(a.params))
	for i, p := range a.params {
		switch {
		case p.required:
			parts[i] = p.name
		case p.def == nil:
			parts[i] = p.name + "=null"
		default:
			parts[i] = p.name + "=" + encodeOrNull(p.def)
		}
	}
	return strings.Join(parts, ", ")
}
