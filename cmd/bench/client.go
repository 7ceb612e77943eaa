package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync/atomic"
	"time"
)

// Client speaks the parts of the Mistral v2 REST API the benchmark needs,
// and nothing Sirocco-specific, so the same runs measure a real Mistral.
type Client struct {
	bases []string // each ends in /v2; requests take turns (replicas)
	next  atomic.Uint64
	http  *http.Client
	token string // sent as a bearer token when set
}

// base is the URL the next request goes to: with several (-url a,b),
// consecutive requests go to different replicas, so a workflow started on
// one is completed through another.
func (c *Client) base() string {
	if len(c.bases) == 1 {
		return c.bases[0]
	}
	return c.bases[(c.next.Add(1)-1)%uint64(len(c.bases))]
}

// NewClient checks that base, a URL or several separated by commas
// (replicas of one server), is on loopback over http: the tool is for
// measuring servers on this machine, not for loading someone else's.
func NewClient(base string, conns int) (*Client, error) {
	c := &Client{}
	for _, b := range strings.Split(base, ",") {
		u, err := checkBase(b)
		if err != nil {
			return nil, err
		}
		c.bases = append(c.bases, u)
	}
	tr := &http.Transport{
		Proxy:               nil,
		MaxIdleConns:        conns * 2,
		MaxIdleConnsPerHost: conns * 2,
		IdleConnTimeout:     90 * time.Second,
		DisableCompression:  true,
	}
	c.http = &http.Client{Transport: tr, Timeout: 120 * time.Second}
	return c, nil
}

func checkBase(base string) (string, error) {
	u, err := url.Parse(strings.TrimRight(base, "/"))
	if err != nil {
		return "", fmt.Errorf("bad -url: %w", err)
	}
	if u.Scheme != "http" {
		return "", fmt.Errorf("-url must be http://, got %q", base)
	}
	host := u.Hostname()
	ip := net.ParseIP(host)
	if host != "localhost" && (ip == nil || !ip.IsLoopback()) {
		return "", fmt.Errorf("-url must be on loopback (127.0.0.1, ::1 or localhost), got %q", host)
	}
	if !strings.HasSuffix(u.Path, "/v2") {
		u.Path += "/v2"
	}
	return u.String(), nil
}

// apiError is a non-2xx answer.
type apiError struct {
	Method, Path string
	Status       int
	Body         string
}

func (e *apiError) Error() string {
	return fmt.Sprintf("%s %s: %d %s", e.Method, e.Path, e.Status, e.Body)
}

func (c *Client) do(ctx context.Context, method, path, ctype string, body []byte, out any) error {
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.base()+path, rd)
	if err != nil {
		return err
	}
	if ctype != "" {
		req.Header.Set("Content-Type", ctype)
	}
	// Mistral answers 406 to Accept: application/json on its text/plain
	// workflow routes; the mistral CLI sends */* too.
	req.Header.Set("Accept", "*/*")
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return fmt.Errorf("%s %s: read body: %w", method, path, err)
	}
	if resp.StatusCode/100 != 2 {
		if len(b) > 300 {
			b = b[:300]
		}
		return &apiError{Method: method, Path: path, Status: resp.StatusCode, Body: string(b)}
	}
	if out == nil {
		return nil
	}
	if err := json.Unmarshal(b, out); err != nil {
		return fmt.Errorf("%s %s: decode: %w", method, path, err)
	}
	return nil
}

// CreateWorkflow registers a YAML definition (POST /v2/workflows, text/plain).
func (c *Client) CreateWorkflow(ctx context.Context, yaml string) error {
	return c.do(ctx, http.MethodPost, "/workflows", "text/plain", []byte(yaml), nil)
}

// DeleteWorkflow removes a workflow by name; used only to tidy up.
func (c *Client) DeleteWorkflow(ctx context.Context, name string) error {
	return c.do(ctx, http.MethodDelete, "/workflows/"+url.PathEscape(name), "", nil, nil)
}

type idState struct {
	ID    string `json:"id"`
	State string `json:"state"`
}

// StartExecution starts workflow and returns the execution id.
func (c *Client) StartExecution(ctx context.Context, workflow string) (string, error) {
	body, _ := json.Marshal(map[string]any{"workflow_name": workflow})
	var ex idState
	if err := c.do(ctx, http.MethodPost, "/executions", "application/json", body, &ex); err != nil {
		return "", err
	}
	if ex.ID == "" {
		return "", errors.New("POST /executions: no id in answer")
	}
	return ex.ID, nil
}

// ExecutionState reads one execution's state.
func (c *Client) ExecutionState(ctx context.Context, id string) (string, error) {
	var ex idState
	if err := c.do(ctx, http.MethodGet, "/executions/"+id, "", nil, &ex); err != nil {
		return "", err
	}
	return ex.State, nil
}

// PendingAction returns the RUNNING action execution of the execution's
// task, or "" when the engine has not created it yet (Mistral schedules the
// task asynchronously, through RabbitMQ).
func (c *Client) PendingAction(ctx context.Context, execID string) (string, error) {
	var tasks struct {
		Tasks []idState `json:"tasks"`
	}
	if err := c.do(ctx, http.MethodGet, "/executions/"+execID+"/tasks", "", nil, &tasks); err != nil {
		return "", err
	}
	for _, t := range tasks.Tasks {
		var acts struct {
			ActionExecutions []idState `json:"action_executions"`
		}
		if err := c.do(ctx, http.MethodGet, "/tasks/"+t.ID+"/action_executions", "", nil, &acts); err != nil {
			return "", err
		}
		for _, a := range acts.ActionExecutions {
			if a.State == "RUNNING" {
				return a.ID, nil
			}
		}
	}
	return "", nil
}

// Complete delivers the async action's result, as a web service would:
// PUT /v2/action_executions/<id>. Mistral insists on an object output.
func (c *Client) Complete(ctx context.Context, actionID string) error {
	return c.do(ctx, http.MethodPut, "/action_executions/"+actionID, "application/json",
		[]byte(`{"state":"SUCCESS","output":{"ok":true}}`), nil)
}

// listIDs pages through a list resource (keyset: marker = last id) and
// returns the ids; query holds the filters.
func (c *Client) listIDs(ctx context.Context, resource string, query url.Values, pageSize, max int) ([]string, error) {
	var out []string
	marker := ""
	for {
		q := url.Values{}
		for k, v := range query {
			q[k] = v
		}
		q.Set("limit", fmt.Sprint(pageSize))
		q.Set("fields", "id,state")
		q.Set("sort_keys", "created_at,id")
		q.Set("sort_dirs", "asc,asc")
		if marker != "" {
			q.Set("marker", marker)
		}
		var page map[string]json.RawMessage
		if err := c.do(ctx, http.MethodGet, "/"+resource+"?"+q.Encode(), "", nil, &page); err != nil {
			return nil, err
		}
		var items []idState
		if err := json.Unmarshal(page[resource], &items); err != nil {
			return nil, fmt.Errorf("list %s: %w", resource, err)
		}
		for _, it := range items {
			out = append(out, it.ID)
		}
		if len(items) < pageSize || len(out) >= max {
			return out, nil
		}
		marker = items[len(items)-1].ID
	}
}

// RunningActions lists the RUNNING action executions of workflow.
func (c *Client) RunningActions(ctx context.Context, workflow string, max int) ([]string, error) {
	return c.listIDs(ctx, "action_executions", url.Values{"workflow_name": {workflow}, "state": {"RUNNING"}}, 1000, max)
}

// CountExecutions counts the executions of workflow in one of states.
func (c *Client) CountExecutions(ctx context.Context, workflow string, states string, max int) (int, error) {
	ids, err := c.listIDs(ctx, "executions", url.Values{"workflow_name": {workflow}, "state": {"in:" + states}}, 1000, max)
	return len(ids), err
}

// CountTasks counts the task executions of workflow's executions in one of
// states.
func (c *Client) CountTasks(ctx context.Context, workflow string, states string, max int) (int, error) {
	ids, err := c.listIDs(ctx, "tasks", url.Values{"workflow_name": {workflow}, "state": {"in:" + states}}, 1000, max)
	return len(ids), err
}

// AnyUnfinished reports whether some execution of workflow is not finished.
func (c *Client) AnyUnfinished(ctx context.Context, workflow string) (bool, error) {
	q := url.Values{"workflow_name": {workflow}, "state": {"in:IDLE,RUNNING,PAUSED"}, "limit": {"1"}, "fields": {"id,state"}}
	var page struct {
		Executions []idState `json:"executions"`
	}
	if err := c.do(ctx, http.MethodGet, "/executions?"+q.Encode(), "", nil, &page); err != nil {
		return false, err
	}
	return len(page.Executions) > 0, nil
}

// Goroutines reads go_goroutines from the server's Prometheus /metrics (next
// to /v2). Mistral has no such page; the answer is then 0. This is the one
// request outside the Mistral API, used only to sample the soak.
func (c *Client) Goroutines(ctx context.Context) int {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, strings.TrimSuffix(c.bases[0], "/v2")+"/metrics", nil)
	if err != nil {
		return 0
	}
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return 0
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		return 0
	}
	return parseGoroutines(string(b))
}

// parseGoroutines finds the go_goroutines sample in a Prometheus text page.
func parseGoroutines(page string) int {
	for _, line := range strings.Split(page, "\n") {
		if v, ok := strings.CutPrefix(line, "go_goroutines "); ok {
			f, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
			if err == nil {
				return int(f)
			}
		}
	}
	return 0
}

// pendingAction is a RUNNING action execution.
type pendingAction struct {
	ID   string `json:"id"`
	Name string `json:"name"` // the action, e.g. std.async_noop
}

// PendingActions lists up to limit RUNNING action executions of workflow,
// oldest first, after marker (an action execution id) unless it is "". The
// list holds synchronous actions too while the engine runs them; their
// names tell them apart.
func (c *Client) PendingActions(ctx context.Context, workflow string, limit int, marker string) ([]pendingAction, error) {
	q := url.Values{"workflow_name": {workflow}, "state": {"RUNNING"}, "limit": {fmt.Sprint(limit)},
		"fields": {"id,state,name"}, "sort_keys": {"created_at,id"}, "sort_dirs": {"asc,asc"}}
	if marker != "" {
		q.Set("marker", marker)
	}
	var page struct {
		ActionExecutions []pendingAction `json:"action_executions"`
	}
	if err := c.do(ctx, http.MethodGet, "/action_executions?"+q.Encode(), "", nil, &page); err != nil {
		return nil, err
	}
	return page.ActionExecutions, nil
}
