package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"
)

// clientVerbs are the client commands, named as in the mistral CLI, for
// users without Python.
var clientVerbs = map[string]func(ctx context.Context, args []string, getenv func(string) string, stdout io.Writer) error{
	"action-execution-update": actionExecutionUpdate,
	"action-execution-list":   actionExecutionList,
	"backup":                  backup,
	"migrate-to":              migrateTo,
	"audit":                   auditCmd,
	"whoami":                  whoami,
	"user-list":               userList,
	"user-create":             userCreate,
	"user-update":             userUpdate,
	"user-delete":             deleteVerb("user-delete", "name", "/auth/users/", "Deleted user"),
	"group-list":              groupList,
	"group-create":            groupCreate,
	"group-delete":            deleteVerb("group-delete", "name", "/auth/groups/", "Deleted group"),
	"group-add-user":          groupAddUser,
	"group-remove-user":       groupRemoveUser,
	"token-list":              tokenList,
	"token-create":            tokenCreate,
	"token-revoke":            deleteVerb("token-revoke", "id", "/auth/tokens/", "Revoked token"),
}

const defaultURL = "http://127.0.0.1:8989"

// clientArgs splits args into positional arguments and --name value flags
// (flags may come before or after positional arguments, as in the mistral CLI).
func clientArgs(args []string, known ...string) (pos []string, flags map[string]string, err error) {
	flags = map[string]string{}
	isKnown := setOf(known)
	for i := 0; i < len(args); i++ {
		a := args[i]
		if !strings.HasPrefix(a, "-") || a == "-" {
			pos = append(pos, a)
			continue
		}
		name, val, hasVal := strings.Cut(strings.TrimLeft(a, "-"), "=")
		if !isKnown[name] {
			return nil, nil, usageError{fmt.Sprintf("unknown flag %s (known: --%s)", a, strings.Join(known, ", --"))}
		}
		if !hasVal {
			if i+1 >= len(args) {
				return nil, nil, usageError{fmt.Sprintf("flag %s needs a value", a)}
			}
			i++
			val = args[i]
		}
		flags[name] = val
	}
	return pos, flags, nil
}

func setOf(names []string) map[string]bool {
	m := map[string]bool{}
	for _, n := range names {
		m[n] = true
	}
	return m
}

func serverURL(flags map[string]string, getenv func(string) string) string {
	u := flags["url"]
	if u == "" {
		u = getenv("SIROCCO_URL")
	}
	if u == "" {
		u = defaultURL
	}
	return strings.TrimSuffix(strings.TrimRight(u, "/"), "/v2")
}

// call sends one API request and decodes the JSON answer into out; an
// error status becomes an error carrying the server's faultstring. Every
// error names the method and URL tried: "connection refused" alone does
// not say that SIROCCO_URL points at the wrong port.
func call(ctx context.Context, token, method, u string, body any, out any) error {
	if err := send(ctx, token, method, u, body, out); err != nil {
		return fmt.Errorf("%s %s: %w", method, u, err)
	}
	return nil
}

func send(ctx context.Context, token, method, u string, body any, out any) error {
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return err
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, u, rd)
	if err != nil {
		return err
	}
	req.Header.Set("User-Agent", "sirocco-cli")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	client := &http.Client{Timeout: 30 * time.Second}
	resp, err := client.Do(req)
	if err != nil {
		return unreachable(err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, 64<<20))
	if err != nil {
		return err
	}
	if resp.StatusCode == http.StatusNoContent || out == nil {
		if resp.StatusCode < 300 {
			return nil
		}
	}
	if resp.StatusCode >= 300 {
		var fault struct {
			Faultstring string `json:"faultstring"`
		}
		if json.Unmarshal(raw, &fault) == nil && fault.Faultstring != "" {
			return fmt.Errorf("%s (HTTP %d)", fault.Faultstring, resp.StatusCode)
		}
		return fmt.Errorf("HTTP %d: %s", resp.StatusCode, strings.TrimSpace(string(raw)))
	}
	if err := json.Unmarshal(raw, out); err != nil {
		return fmt.Errorf("the answer is not the JSON expected (is this a Sirocco server?): %w", err)
	}
	return nil
}

// unreachable turns a failed request into its cause (the caller names the
// URL, which *url.Error would repeat) and a hint at the usual mistake.
func unreachable(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err
	}
	return fmt.Errorf("%w (is Sirocco listening there? --url or SIROCCO_URL sets the address)", err)
}

var actionColumns = []struct{ key, title string }{
	{"id", "ID"}, {"name", "Name"}, {"workflow_name", "Workflow name"}, {"workflow_namespace", "Workflow namespace"},
	{"task_name", "Task name"}, {"task_execution_id", "Task ID"}, {"state", "State"}, {"state_info", "State info"},
	{"accepted", "Accepted"}, {"created_at", "Created at"}, {"updated_at", "Updated at"},
}

func cell(v any) string {
	switch x := v.(type) {
	case nil:
		return "<none>"
	case string:
		return x
	}
	b, _ := json.Marshal(v)
	return string(b)
}

// actionExecutionUpdate delivers a result: action-execution-update <id>
// --state SUCCESS --output 3. On an approval it is a vote, with an
// optional --comment; an admin decides one alone with --override and a
// --reason.
func actionExecutionUpdate(ctx context.Context, args []string, getenv func(string) string, stdout io.Writer) error {
	// --override is a switch: it takes no value of its own.
	args = append([]string(nil), args...)
	for i, a := range args {
		if a == "--override" || a == "-override" {
			args[i] = "--override=true"
		}
	}
	pos, flags, err := clientArgs(args, "state", "output", "comment", "override", "reason", "url", "token")
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return usageError{"usage: action-execution-update <id> --state {SUCCESS,ERROR,CANCELLED,PAUSED,RUNNING} [--output JSON|FILE] [--comment TEXT] [--override --reason TEXT] [--url URL]"}
	}
	body := map[string]any{}
	if s, ok := flags["state"]; ok {
		body["state"] = strings.ToUpper(s)
	}
	if c, ok := flags["comment"]; ok {
		body["comment"] = c
	}
	if o, ok := flags["override"]; ok {
		on, err := strconv.ParseBool(o)
		if err != nil {
			return usageError{fmt.Sprintf("--override takes no value (or true/false), got %q", o)}
		}
		body["override"] = on
	}
	if r, ok := flags["reason"]; ok {
		body["reason"] = r
	}
	if o, ok := flags["output"]; ok {
		text := []byte(o)
		if b, err := os.ReadFile(o); err == nil {
			text = b // like the mistral CLI: a file name, else inline JSON
		}
		var v any
		if err := json.Unmarshal(text, &v); err != nil {
			return usageError{fmt.Sprintf("--output must be JSON (e.g. 3, '\"text\"', '{\"a\": 1}') or a file holding JSON: %v", err)}
		}
		body["output"] = json.RawMessage(bytes.TrimSpace(text))
	}
	if len(body) == 0 {
		return usageError{"Please provide either state or output for action execution."}
	}
	var out map[string]any
	u := serverURL(flags, getenv) + "/v2/action_executions/" + url.PathEscape(pos[0])
	token, err := clientToken(ctx, flags, getenv)
	if err != nil {
		return err
	}
	if err := call(ctx, token, http.MethodPut, u, body, &out); err != nil {
		return fmt.Errorf("action-execution-update %s: %w", pos[0], err)
	}
	tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "Field\tValue")
	for _, c := range actionColumns {
		if v, ok := out[c.key]; ok {
			fmt.Fprintf(tw, "%s\t%s\n", c.title, cell(v))
		}
	}
	if v, ok := out["output"]; ok {
		fmt.Fprintf(tw, "Output\t%s\n", cell(v))
	}
	return tw.Flush()
}

// actionExecutionList lists action executions, newest first:
// action-execution-list [--state RUNNING].
func actionExecutionList(ctx context.Context, args []string, getenv func(string) string, stdout io.Writer) error {
	pos, flags, err := clientArgs(args, "state", "url", "limit", "token")
	if err != nil {
		return err
	}
	if len(pos) > 1 {
		return usageError{"usage: action-execution-list [task_execution_id] [--state STATE] [--limit N] [--url URL]"}
	}
	q := url.Values{}
	q.Set("sort_keys", "created_at")
	q.Set("sort_dirs", "desc")
	q.Set("limit", "100")
	if l := flags["limit"]; l != "" {
		q.Set("limit", l)
	}
	if s := flags["state"]; s != "" {
		q.Set("state", strings.ToUpper(s))
	}
	path := "/v2/action_executions"
	if len(pos) == 1 {
		path = "/v2/tasks/" + url.PathEscape(pos[0]) + "/action_executions"
	}
	var out struct {
		ActionExecutions []map[string]any `json:"action_executions"`
	}
	token, err := clientToken(ctx, flags, getenv)
	if err != nil {
		return err
	}
	if err := call(ctx, token, http.MethodGet, serverURL(flags, getenv)+path+"?"+q.Encode(), nil, &out); err != nil {
		return fmt.Errorf("action-execution-list: %w", err)
	}
	tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
	cols := []int{0, 1, 2, 4, 5, 6, 8, 9}
	for i, ci := range cols {
		if i > 0 {
			fmt.Fprint(tw, "\t")
		}
		fmt.Fprint(tw, actionColumns[ci].title)
	}
	fmt.Fprintln(tw)
	for _, a := range out.ActionExecutions {
		for i, ci := range cols {
			if i > 0 {
				fmt.Fprint(tw, "\t")
			}
			fmt.Fprint(tw, cell(a[actionColumns[ci].key]))
		}
		fmt.Fprintln(tw)
	}
	return tw.Flush()
}
