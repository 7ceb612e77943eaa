package conformance

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// Runner drives cases through a Mistral-v2-compatible REST API.
type Runner struct {
	// BaseURL ends with /v2, as the mistral CLI's OS_MISTRAL_URL.
	BaseURL string
	Client  *http.Client
	// Wait bounds every wait (for a pending action, a state); 30 s if zero.
	Wait time.Duration
	// Poll is the pause between two polls; 20 ms if zero.
	Poll time.Duration
}

// Outcome is a run's result plus what is useful when it goes wrong.
type Outcome struct {
	Result      *Result
	ExecutionID string
}

func (r *Runner) wait() time.Duration {
	if r.Wait <= 0 {
		return 30 * time.Second
	}
	return r.Wait
}

func (r *Runner) poll() time.Duration {
	if r.Poll <= 0 {
		return 20 * time.Millisecond
	}
	return r.Poll
}

// apiError is a non-2xx answer.
type apiError struct {
	method, path string
	status       int
	body         string
}

func (e *apiError) Error() string {
	return fmt.Sprintf("%s %s: %d %s", e.method, e.path, e.status, strings.TrimSpace(e.body))
}

// call sends a request and decodes a JSON object answer into a map.
func (r *Runner) call(ctx context.Context, method, path, contentType, body string) (map[string]any, error) {
	req, err := http.NewRequestWithContext(ctx, method, strings.TrimSuffix(r.BaseURL, "/")+path, strings.NewReader(body))
	if err != nil {
		return nil, err
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	client := r.Client
	if client == nil {
		client = http.DefaultClient
	}
	resp, err := client.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, err
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return nil, &apiError{method, path, resp.StatusCode, string(raw)}
	}
	m := map[string]any{}
	if len(raw) > 0 {
		if err := json.Unmarshal(raw, &m); err != nil {
			return nil, fmt.Errorf("%s %s: %w: %s", method, path, err, raw)
		}
	}
	return m, nil
}

// Run registers the case's workflows, starts the first, delivers the
// callbacks and waits until the execution has stopped running.
func (r *Runner) Run(ctx context.Context, c *Case) (*Outcome, error) {
	names, err := c.WorkflowNames()
	if err != nil {
		return nil, err
	}
	if _, err := r.call(ctx, http.MethodPost, "/workflows", "text/plain", c.Workflow); err != nil {
		// Registered by an earlier run: replace the definition.
		if ae, ok := err.(*apiError); !ok || ae.status != http.StatusConflict {
			return nil, fmt.Errorf("register: %w", err)
		}
		if _, err := r.call(ctx, http.MethodPut, "/workflows", "text/plain", c.Workflow); err != nil {
			return nil, fmt.Errorf("update: %w", err)
		}
	}
	for _, env := range c.Environments {
		if err := r.putEnvironment(ctx, env); err != nil {
			return nil, err
		}
	}
	start := map[string]any{"workflow_name": names[0], "description": "conformance " + c.Name}
	if c.Input != nil {
		start["input"] = EncodeJSON(c.Input)
	}
	if c.Params != nil {
		start["params"] = EncodeJSON(c.Params)
	}
	ex, err := r.call(ctx, http.MethodPost, "/executions", "application/json", EncodeJSON(start))
	if err != nil {
		return nil, fmt.Errorf("start: %w", err)
	}
	exID, _ := ex["id"].(string)
	out := &Outcome{ExecutionID: exID}
	for i, cb := range c.Callbacks {
		if err := r.deliver(ctx, exID, cb); err != nil {
			return out, fmt.Errorf("callback %d: %w", i+1, err)
		}
	}
	final, err := r.until(ctx, "the execution to stop running", func() (map[string]any, bool, error) {
		m, err := r.call(ctx, http.MethodGet, "/executions/"+exID, "", "")
		if err != nil {
			return nil, false, err
		}
		s := m["state"]
		return m, s != "RUNNING" && s != "IDLE", nil
	})
	if err != nil {
		return out, err
	}
	out.Result, err = r.collect(ctx, final)
	return out, err
}

// putEnvironment stores env as the CLI sends it (variables as a JSON
// string), replacing the one an earlier run stored.
func (r *Runner) putEnvironment(ctx context.Context, env Environment) error {
	vars := env.Variables
	if vars == nil {
		vars = map[string]any{}
	}
	body := map[string]any{"name": env.Name, "variables": EncodeJSON(vars)}
	if env.Description != "" {
		body["description"] = env.Description
	}
	_, err := r.call(ctx, http.MethodPost, "/environments", "application/json", EncodeJSON(body))
	if ae, ok := err.(*apiError); ok && ae.status == http.StatusConflict {
		_, err = r.call(ctx, http.MethodPut, "/environments", "application/json", EncodeJSON(body))
	}
	if err != nil {
		return fmt.Errorf("environment %s: %w", env.Name, err)
	}
	return nil
}

// until polls f until it says done, or the wait runs out.
func (r *Runner) until(ctx context.Context, what string, f func() (map[string]any, bool, error)) (map[string]any, error) {
	deadline := time.Now().Add(r.wait())
	for {
		m, done, err := f()
		if err != nil {
			return nil, err
		}
		if done {
			return m, nil
		}
		if time.Now().After(deadline) {
			return m, fmt.Errorf("timed out after %s waiting for %s (last: %v)", r.wait(), what, brief(m))
		}
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(r.poll()):
		}
	}
}

func brief(m map[string]any) string {
	if m == nil {
		return "nothing"
	}
	return fmt.Sprintf("state %v, state_info %v", m["state"], m["state_info"])
}

func (r *Runner) deliver(ctx context.Context, exID string, cb Callback) error {
	if cb.Execution != "" {
		if cb.Execution == "RUNNING" {
			// Resume what has paused (a pause command or policy, a paused action).
			if _, err := r.until(ctx, "the execution to pause", func() (map[string]any, bool, error) {
				m, err := r.call(ctx, http.MethodGet, "/executions/"+exID, "", "")
				if err != nil {
					return nil, false, err
				}
				return m, m["state"] != "RUNNING" && m["state"] != "IDLE", nil
			}); err != nil {
				return err
			}
		} else {
			// Stop or pause once the workflow waits on something.
			if _, err := r.until(ctx, "a pending action", func() (map[string]any, bool, error) {
				m, err := r.call(ctx, http.MethodGet, "/executions/"+exID, "", "")
				if err != nil {
					return nil, false, err
				}
				if m["state"] != "RUNNING" {
					return m, true, nil
				}
				a, err := r.pendingAction(ctx, exID, "")
				return m, a != nil, err
			}); err != nil {
				return err
			}
		}
		body := map[string]any{"state": cb.Execution}
		if cb.StateInfo != "" {
			body["state_info"] = cb.StateInfo
		}
		_, err := r.call(ctx, http.MethodPut, "/executions/"+exID, "application/json", EncodeJSON(body))
		return err
	}
	if cb.TaskState != "" {
		name := cb.Task
		if cb.WaitTask != "" {
			name = cb.WaitTask
		}
		if _, err := r.until(ctx, "task "+name+" to be "+cb.TaskState, func() (map[string]any, bool, error) {
			tasks, err := r.tasks(ctx, exID)
			if err != nil {
				return nil, false, err
			}
			for _, t := range tasks {
				if t["name"] == name && t["state"] == cb.TaskState {
					return t, true, nil
				}
			}
			return nil, false, nil
		}); err != nil {
			return err
		}
	}
	a, err := r.until(ctx, "a pending action of task "+cb.Task, func() (map[string]any, bool, error) {
		a, err := r.pendingAction(ctx, exID, cb.Task)
		return a, a != nil, err
	})
	if err != nil {
		return err
	}
	body := map[string]any{"state": cb.State}
	if cb.Output != nil {
		body["output"] = cb.Output
	}
	_, err = r.call(ctx, http.MethodPut, "/action_executions/"+a["id"].(string), "application/json", EncodeJSON(body))
	return err
}

// tasks lists the execution's task executions in creation order.
func (r *Runner) tasks(ctx context.Context, exID string) ([]map[string]any, error) {
	m, err := r.call(ctx, http.MethodGet, "/executions/"+exID+"/tasks?sort_keys=created_at&sort_dirs=asc", "", "")
	if err != nil {
		return nil, err
	}
	return items(m, "tasks"), nil
}

func items(m map[string]any, key string) []map[string]any {
	l, _ := m[key].([]any)
	out := make([]map[string]any, 0, len(l))
	for _, e := range l {
		if o, ok := e.(map[string]any); ok {
			out = append(out, o)
		}
	}
	return out
}

// pendingAction is the first RUNNING or PAUSED action execution of the
// named task (of any task when name is empty), or nil.
func (r *Runner) pendingAction(ctx context.Context, exID, name string) (map[string]any, error) {
	tasks, err := r.tasks(ctx, exID)
	if err != nil {
		return nil, err
	}
	for _, t := range tasks {
		if name != "" && t["name"] != name {
			continue
		}
		m, err := r.call(ctx, http.MethodGet, "/tasks/"+url.PathEscape(t["id"].(string))+"/action_executions?sort_keys=created_at&sort_dirs=asc", "", "")
		if err != nil {
			return nil, err
		}
		for _, a := range items(m, "action_executions") {
			if a["state"] == "RUNNING" || a["state"] == "PAUSED" {
				return a, nil
			}
		}
	}
	return nil, nil
}

// collect reads what the execution came to.
func (r *Runner) collect(ctx context.Context, ex map[string]any) (*Result, error) {
	exID := ex["id"].(string)
	res := &Result{State: fmt.Sprint(ex["state"]), Tasks: map[string][]string{}, Results: map[string]any{}}
	if s, ok := ex["state_info"].(string); ok {
		s = cutTraceback(s)
		res.StateInfo = &s
		if uuidRE.MatchString(s) {
			for _, f := range uuidRE.Split(s, -1) {
				if f = strings.TrimSpace(f); f != "" {
					res.StateInfoContains = append(res.StateInfoContains, f)
				}
			}
		}
	}
	res.HasStateInfo = res.StateInfoContains == nil
	res.HasOutput = true
	if s, ok := ex["output"].(string); ok && s != "" {
		v, err := decodeJSON(s)
		if err != nil {
			return nil, fmt.Errorf("execution output %q: %w", s, err)
		}
		res.Output = mask(v)
	}
	tasks, err := r.tasks(ctx, exID)
	if err != nil {
		return nil, err
	}
	last := map[string]string{}
	for _, t := range tasks {
		name := fmt.Sprint(t["name"])
		if _, seen := res.Tasks[name]; !seen {
			res.TaskOrder = append(res.TaskOrder, name)
		}
		res.Tasks[name] = append(res.Tasks[name], fmt.Sprint(t["state"]))
		last[name] = t["id"].(string)
	}
	for _, name := range res.TaskOrder {
		t, err := r.call(ctx, http.MethodGet, "/tasks/"+url.PathEscape(last[name]), "", "")
		if err != nil {
			return nil, err
		}
		s, ok := t["result"].(string)
		if !ok {
			continue
		}
		v, err := decodeJSON(s)
		if err != nil {
			return nil, fmt.Errorf("task %s result %q: %w", name, s, err)
		}
		res.Results[name] = mask(v)
	}
	return res, nil
}

// cutTraceback drops the Python traceback Mistral appends to some messages
// ("...:\nTraceback (most recent call last):\n..."): it names Mistral's own
// source files, which no other implementation can reproduce.
func cutTraceback(s string) string {
	if i := strings.Index(s, "\nTraceback (most recent call last):"); i >= 0 {
		return strings.TrimSuffix(s[:i], ":")
	}
	return s
}

// mask makes strings comparable across runs: tracebacks cut, ids
// replaced by <id>.
func mask(v any) any {
	switch x := v.(type) {
	case string:
		return uuidRE.ReplaceAllString(cutTraceback(x), "<id>")
	case []any:
		for i := range x {
			x[i] = mask(x[i])
		}
	case map[string]any:
		for k := range x {
			x[k] = mask(x[k])
		}
	}
	return v
}
