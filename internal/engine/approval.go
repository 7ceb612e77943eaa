package engine

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/sirocco-project/sirocco/internal/dsl"
	"github.com/sirocco-project/sirocco/internal/expr"
	"github.com/sirocco-project/sirocco/internal/fault"
	"github.com/sirocco-project/sirocco/internal/jsonvalue"
	"github.com/sirocco-project/sirocco/internal/quorum"
	"github.com/sirocco-project/sirocco/internal/schemaform"
)

// std.approval asks people to decide. It starts nothing: its completions
// are votes (vote.go), checked against its request as evaluated when it
// started (Approval), which is stored with the action execution.

// ApprovalAction is the built-in approval's full name ("approval" names
// it too).
const ApprovalAction = "std.approval"

// Bounds on an approval's request.
const (
	MaxApprovalTitle       = 200      // runes
	MaxApprovalDescription = 64 << 10 // bytes of Markdown
)

var approvalParams = []param{
	{name: "title", required: true},
	{name: "description", def: ""},
	{name: "context"},
	{name: "requested_by"},
	{name: "schema"},
	{name: "approvers"},
	{name: "required"},
	{name: "allow_self_approval", def: false},
	{name: "reject_reason_required", def: true},
	// The timeout ladder (approval_ladder.go): reminders, escalation and
	// a timeout decision, each a job row.
	{name: "remind_after"},
	{name: "remind_every"},
	{name: "remind_max", def: DefaultRemindMax},
	{name: "escalate_after"},
	{name: "escalate_to"},
	{name: "escalate_required"},
	{name: "timeout"},
	{name: "on_timeout"},
	// Channels: bulk decisions from the inbox, and whether a decision
	// link needs the person's login.
	{name: "allow_bulk", def: false},
	{name: "require_login", def: true},
}

// DefaultRemindMax bounds the reminders of an approval that sets
// remind_every without remind_max.
const DefaultRemindMax = 3

func init() {
	actions[ApprovalAction] = &actionDef{name: ApprovalAction, class: "ApprovalAction", async: true, params: approvalParams}
}

// isApproval reports whether d is std.approval or an ad-hoc action built
// on it.
func (d *actionDef) isApproval() bool { return d.builtin().name == ApprovalAction }

// Approval is what an approval asks, as evaluated when it started: the
// deciders are shown this, and their votes are checked against it,
// whatever becomes of the definitions later.
type Approval struct {
	Title       string
	Description string // Markdown
	Context     any    // any JSON value; nil when none
	// RequestedBy asked for the approval (default: StartedBy).
	RequestedBy string
	// StartedBy started the execution (or ran the action); "" when
	// authentication was off.
	StartedBy string
	// Schema is the answer's JSON Schema, as given; nil for none (an
	// answer with no fields).
	Schema    any
	Approvers []string // user:<name> and group:<name>; empty: anyone who may decide
	// Required is the rules as given: nil, a number or a list of rules.
	Required             any
	Rules                []quorum.Rule
	AllowSelfApproval    bool
	RejectReasonRequired bool

	// The timeout ladder; zero durations are rungs not asked for.
	RemindAfter, RemindEvery time.Duration
	RemindMax                int
	EscalateAfter            time.Duration
	// EscalateTo are the approvers (user:<name>, group:<name>) the
	// decision passes to at escalation, under EscalateRules
	// (escalate_required as given: EscalateRequired).
	EscalateTo       []string
	EscalateRequired any
	EscalateRules    []quorum.Rule
	Timeout          time.Duration
	// OnTimeout is the decision applied when Timeout passes; nil leaves
	// the task's own timeout policy to act.
	OnTimeout *TimeoutDecision
	// Escalated is set, when the request is read with its ladder
	// (withLadder), once the decision passed to EscalateTo: Approvers,
	// Rules and Required are then the escalated ones.
	Escalated bool

	// AllowBulk lets the inbox decide it with others at once.
	AllowBulk bool
	// RequireLogin makes its decision links ask for the person's login
	// too (the default).
	RequireLogin bool
}

// TimeoutDecision is on_timeout: the state and output an approval gets
// when its timeout passes undecided.
type TimeoutDecision struct {
	State  State // StateSuccess or StateError
	Output any   // nil when none
}

// approvalError is a refusal of one value of an approval's input, with
// where it is (dsl.ValueError's path).
type approvalError struct {
	path []any
	msg  string
}

func (e *approvalError) Error() string { return e.msg }

func approvalErr(path []any, format string, args ...any) *approvalError {
	return &approvalError{path: path, msg: fmt.Sprintf(format, args...)}
}

// approvalField checks one input value of std.approval and stores it in
// ap. Only known keys reach it.
func approvalField(ap *Approval, key string, v any) *approvalError {
	at := []any{key}
	switch key {
	case "title":
		s, ok := v.(string)
		switch {
		case !ok:
			return approvalErr(at, "std.approval: title must be a string, got %s", jsonvalue.Kind(v))
		case strings.TrimSpace(s) == "":
			return approvalErr(at, "std.approval: title must not be empty")
		case strings.ContainsAny(s, "\r\n"):
			return approvalErr(at, "std.approval: title must be one line (put the rest in description)")
		case utf8.RuneCountInString(s) > MaxApprovalTitle:
			return approvalErr(at, "std.approval: title is longer than %d characters (put the rest in description)", MaxApprovalTitle)
		}
		ap.Title = strings.TrimSpace(s)
	case "description":
		s, ok := v.(string)
		if !ok && v != nil {
			return approvalErr(at, "std.approval: description must be a string (Markdown), got %s", jsonvalue.Kind(v))
		}
		if len(s) > MaxApprovalDescription {
			return approvalErr(at, "std.approval: description is longer than %d bytes", MaxApprovalDescription)
		}
		ap.Description = s
	case "context":
		ap.Context = v
	case "requested_by":
		s, ok := v.(string)
		if !ok && v != nil {
			return approvalErr(at, "std.approval: requested_by must be a user name, got %s", jsonvalue.Kind(v))
		}
		ap.RequestedBy = strings.TrimSpace(s)
	case "schema":
		if v == nil {
			return nil
		}
		if _, err := schemaform.Compile(jsonvalue.Unordered(v)); err != nil {
			path := at
			var se *schemaform.SchemaError
			if errors.As(err, &se) {
				path = append(path, pointerPath(se.Path)...)
			}
			return approvalErr(path, "std.approval: %s", fault.Message(err))
		}
		ap.Schema = v
	case "approvers":
		if v == nil {
			return nil
		}
		list, ok := v.([]any)
		if !ok {
			return approvalErr(at, "std.approval: approvers must be a list of user:<name> and group:<name>, got %s", jsonvalue.Kind(v))
		}
		approvers, err := quorum.ParseApprovers(list)
		if err != nil {
			return quorumErr(err, at)
		}
		ap.Approvers = approvers
	case "required":
		rules, err := quorum.ParseRequired(v)
		if err != nil {
			return quorumErr(err, at)
		}
		ap.Required, ap.Rules = v, rules
	case "allow_self_approval", "reject_reason_required", "allow_bulk", "require_login":
		b, ok := v.(bool)
		if !ok {
			return approvalErr(at, "std.approval: %s must be true or false, got %s", key, jsonvalue.Kind(v))
		}
		switch key {
		case "allow_self_approval":
			ap.AllowSelfApproval = b
		case "reject_reason_required":
			ap.RejectReasonRequired = b
		case "allow_bulk":
			ap.AllowBulk = b
		default:
			ap.RequireLogin = b
		}
	case "remind_after", "remind_every", "escalate_after", "timeout":
		if v == nil {
			return nil
		}
		d, err := ParseApprovalDuration(v)
		if err != nil {
			return approvalErr(at, "std.approval: %s: %v", key, err)
		}
		switch key {
		case "remind_after":
			ap.RemindAfter = d
		case "remind_every":
			ap.RemindEvery = d
		case "escalate_after":
			ap.EscalateAfter = d
		default:
			ap.Timeout = d
		}
	case "remind_max":
		n, ok := jsonvalue.Int(v)
		if !ok || n < 0 || n > 100 {
			return approvalErr(at, "std.approval: remind_max must be a whole number from 0 to 100, got %s", encodeOrNull(v))
		}
		ap.RemindMax = int(n)
	case "escalate_to":
		if v == nil {
			return nil
		}
		list, ok := v.([]any)
		if !ok || len(list) == 0 {
			return approvalErr(at, "std.approval: escalate_to must be a non-empty list of user:<name> and group:<name>, got %s", jsonvalue.Kind(v))
		}
		to, err := quorum.ParseApprovers(list)
		if err != nil {
			return renamed(quorumErr(err, at), "approvers", key)
		}
		ap.EscalateTo = to
	case "escalate_required":
		if v == nil {
			return nil
		}
		rules, err := quorum.ParseRequired(v)
		if err != nil {
			return renamed(quorumErr(err, at), "required", key)
		}
		ap.EscalateRequired, ap.EscalateRules = v, rules
	case "on_timeout":
		if v == nil {
			return nil
		}
		d, aerr := parseTimeoutDecision(v, at)
		if aerr != nil {
			return aerr
		}
		ap.OnTimeout = d
	}
	return nil
}

// parseTimeoutDecision reads on_timeout: {state: SUCCESS|ERROR, output}.
func parseTimeoutDecision(v any, at []any) (*TimeoutDecision, *approvalError) {
	m, ok := mapOf(v)
	if !ok {
		return nil, approvalErr(at, `std.approval: on_timeout must be an object such as {"state": "ERROR", "output": "nobody decided"}, got %s`, jsonvalue.Kind(v))
	}
	for k := range m {
		if k != "state" && k != "output" {
			return nil, approvalErr(append(at, k), "std.approval: on_timeout has no field '%s'; it takes state and output", k)
		}
	}
	st, _ := m["state"].(string)
	if st != string(StateSuccess) && st != string(StateError) {
		return nil, approvalErr(append(at, "state"), "std.approval: on_timeout.state must be SUCCESS or ERROR, got %s", encodeOrNull(m["state"]))
	}
	return &TimeoutDecision{State: State(st), Output: m["output"]}, nil
}

// ParseApprovalDuration reads a ladder duration: a number of seconds, or
// a string such as "90", "30m", "4h", "2d" or "1h30m". It must be at
// least a second and at most a year.
func ParseApprovalDuration(v any) (time.Duration, error) {
	var d time.Duration
	switch x := v.(type) {
	case string:
		s := strings.TrimSpace(x)
		switch n, err := strconv.ParseInt(strings.TrimSuffix(s, "d"), 10, 64); {
		case err == nil && strings.HasSuffix(s, "d"):
			d = time.Duration(min(n, 1000)) * 24 * time.Hour
		case err == nil:
			d = time.Duration(min(n, 1<<32)) * time.Second
		default:
			var perr error
			if d, perr = time.ParseDuration(s); perr != nil {
				return 0, fmt.Errorf(`%q is not a duration: write seconds, or a number with s, m, h or d ("30m", "4h", "2d")`, x)
			}
		}
	default:
		n, ok := jsonvalue.Int(v)
		if !ok {
			return 0, fmt.Errorf(`must be a duration ("30m", "4h", "2d") or a number of seconds, got %s`, jsonvalue.Kind(v))
		}
		d = time.Duration(min(max(n, -1), 1<<32)) * time.Second
	}
	if d < time.Second || d > 366*24*time.Hour {
		return 0, fmt.Errorf("must be from 1 second to 366 days, got %s", encodeOrNull(v))
	}
	return d, nil
}

// checkLadder checks what the ladder's fields say together, once all are
// read: rungs that need another field, and on_timeout's output against the
// answer schema (so that a timeout never decides what no person could).
func (ap *Approval) checkLadder() *approvalError {
	switch {
	case ap.EscalateAfter > 0 && len(ap.EscalateTo) == 0:
		return approvalErr([]any{"escalate_to"}, "std.approval: escalate_after needs escalate_to: who the decision passes to")
	case len(ap.EscalateTo) > 0 && ap.EscalateAfter == 0:
		return approvalErr([]any{"escalate_after"}, "std.approval: escalate_to needs escalate_after: when the decision passes to them")
	case ap.OnTimeout != nil && ap.Timeout == 0:
		return approvalErr([]any{"timeout"}, "std.approval: on_timeout needs timeout: how long to wait for a decision")
	case ap.Timeout > 0 && ap.EscalateAfter >= ap.Timeout:
		return approvalErr([]any{"escalate_after"}, "std.approval: escalate_after must come before timeout")
	}
	if ap.OnTimeout != nil && ap.OnTimeout.State == StateSuccess {
		schema, err := ap.AnswerSchema()
		if err != nil {
			return approvalErr([]any{"schema"}, "std.approval: %s", fault.Message(err))
		}
		if errs := schema.Validate(jsonvalue.Unordered(ap.OnTimeout.Output)); len(errs) > 0 {
			return approvalErr([]any{"on_timeout", "output"}, "std.approval: on_timeout.output does not match the schema: %s", fault.Message(schemaform.Err(errs)))
		}
	}
	return nil
}

// quorumErr words a refusal of quorum's parsers, located where quorum
// says (else at the parameter).
func quorumErr(err error, at []any) *approvalError {
	path := at
	var ie *quorum.InputError
	if errors.As(err, &ie) && len(ie.Path) > 0 {
		path = ie.Path
	}
	return approvalErr(path, "std.approval: %s", fault.Message(err))
}

// renamed words a refusal of quorum's parsers about parameter from (which
// they name) as one about parameter to, which takes the same values.
func renamed(e *approvalError, from, to string) *approvalError {
	if len(e.path) > 0 && e.path[0] == from {
		e.path = append([]any{to}, e.path[1:]...)
	}
	e.msg = strings.Replace(e.msg, "std.approval: "+from, "std.approval: "+to, 1)
	return e
}

// pointerPath splits a JSON pointer ("/properties/cores") into its
// tokens; digits stay strings, which the parser reads as list indexes
// where the document has a list.
func pointerPath(ptr string) []any {
	if ptr == "" {
		return nil
	}
	var out []any
	for _, tok := range strings.Split(strings.TrimPrefix(ptr, "/"), "/") {
		out = append(out, strings.ReplaceAll(strings.ReplaceAll(tok, "~1", "/"), "~0", "~"))
	}
	return out
}

// newApproval checks the evaluated input of std.approval (its parameters,
// defaults filled in) and makes its request. startedBy is who started the
// execution; it is who asks unless requested_by says otherwise.
func newApproval(in map[string]any, startedBy string) (*Approval, error) {
	ap := &Approval{StartedBy: startedBy, RejectReasonRequired: true, RequireLogin: true, Rules: []quorum.Rule{{Count: 1}},
		RemindMax: DefaultRemindMax, EscalateRules: []quorum.Rule{{Count: 1}}}
	for _, p := range approvalParams {
		if err := approvalField(ap, p.name, in[p.name]); err != nil {
			return nil, fault.Errorf(fault.EINVALID, "%s", err.msg)
		}
	}
	if err := ap.checkLadder(); err != nil {
		return nil, fault.Errorf(fault.EINVALID, "%s", err.msg)
	}
	if ap.RequestedBy == "" {
		ap.RequestedBy = startedBy
	}
	return ap, nil
}

// checkApprovalLiteral checks the input a definition gives std.approval
// (a task's input, an ad-hoc action's base input), value by value, as far
// as it is written literally: values with expressions are known only when
// the task runs. Refusals are *dsl.ValueError, which the parser places at
// the value's line and column.
func checkApprovalLiteral(in map[string]any) error {
	for _, k := range slices.Sorted(maps.Keys(in)) {
		known := false
		for _, p := range approvalParams {
			known = known || p.name == k
		}
		if !known {
			names := make([]string, len(approvalParams))
			for i, p := range approvalParams {
				names[i] = p.name
			}
			return &dsl.ValueError{Path: []any{k}, Msg: fmt.Sprintf("std.approval has no input '%s'; it takes %s", k, strings.Join(names, ", "))}
		}
	}
	if _, ok := in["title"]; !ok {
		return &dsl.ValueError{Msg: "std.approval needs a title (one line, shown in the inbox)"}
	}
	ap := Approval{EscalateRules: []quorum.Rule{{Count: 1}}}
	literal := true
	for _, p := range approvalParams {
		v, ok := in[p.name]
		if !ok {
			continue
		}
		if holdsExpr(v) {
			literal = false
			continue
		}
		if err := approvalField(&ap, p.name, v); err != nil {
			return &dsl.ValueError{Path: err.path, Msg: err.msg}
		}
	}
	if literal {
		// The fields that depend on each other, when all are known.
		if err := ap.checkLadder(); err != nil {
			return &dsl.ValueError{Path: err.path, Msg: err.msg}
		}
	}
	return nil
}

// holdsExpr reports whether v holds an expression anywhere.
func holdsExpr(v any) bool {
	switch v := v.(type) {
	case string:
		return expr.Contains(v)
	case []any:
		return slices.ContainsFunc(v, holdsExpr)
	case *jsonvalue.Object:
		for k, x := range v.All() {
			if expr.Contains(k) || holdsExpr(x) {
				return true
			}
		}
	case map[string]any:
		for k, x := range v {
			if expr.Contains(k) || holdsExpr(x) {
				return true
			}
		}
	}
	return false
}

// checkDefinitionInput is the dsl.InputCheck of definitions the engine
// stores or validates: the input of the actions it can check before they
// run (std.approval's, and those of stdliteral.go).
func checkDefinitionInput(action string, in map[string]any) error {
	if BuiltinAction(action) == ApprovalAction {
		return checkApprovalLiteral(in)
	}
	return checkStdLiteral(BuiltinAction(action), in)
}

// encode writes the request as stored (ActionExecution.ApprovalJSON).
func (ap *Approval) encode() (string, error) {
	m := map[string]any{
		"title": ap.Title, "description": ap.Description, "context": ap.Context,
		"requested_by": ap.RequestedBy, "started_by": ap.StartedBy, "schema": ap.Schema,
		"approvers": ap.Approvers, "required": ap.Required,
		"allow_self_approval": ap.AllowSelfApproval, "reject_reason_required": ap.RejectReasonRequired,
		"allow_bulk": ap.AllowBulk, "require_login": ap.RequireLogin,
	}
	if m["approvers"] == nil || len(ap.Approvers) == 0 {
		m["approvers"] = []any{}
	}
	// The ladder, in seconds; absent rungs are left out, so that requests
	// stored before the ladder read back the same.
	for k, d := range map[string]time.Duration{"remind_after": ap.RemindAfter, "remind_every": ap.RemindEvery,
		"escalate_after": ap.EscalateAfter, "timeout": ap.Timeout} {
		if d > 0 {
			m[k] = int64(d / time.Second)
		}
	}
	if ap.RemindEvery > 0 {
		m["remind_max"] = ap.RemindMax
	}
	if len(ap.EscalateTo) > 0 {
		m["escalate_to"], m["escalate_required"] = ap.EscalateTo, ap.EscalateRequired
	}
	if ap.OnTimeout != nil {
		m["on_timeout"] = map[string]any{"state": string(ap.OnTimeout.State), "output": ap.OnTimeout.Output}
	}
	b, err := jsonvalue.Canonical(m)
	if err != nil {
		return "", fault.Errorf(fault.EINVALID, "std.approval: cannot encode the request: %v", err)
	}
	return string(b), nil
}

// ParseApproval reads an approval's request as stored with its action
// execution (ActionExecution.ApprovalJSON).
func ParseApproval(text string) (*Approval, error) {
	v, err := jsonvalue.Decode([]byte(text))
	if err != nil {
		return nil, fmt.Errorf("approval request: %w", err)
	}
	m, ok := mapOf(v)
	if !ok {
		return nil, fmt.Errorf("approval request: not an object")
	}
	ap := &Approval{StartedBy: str(m["started_by"]), RequestedBy: str(m["requested_by"]), Title: str(m["title"]),
		Description: str(m["description"]), Context: m["context"], Schema: m["schema"], Required: m["required"]}
	ap.AllowSelfApproval, _ = m["allow_self_approval"].(bool)
	ap.RejectReasonRequired, _ = m["reject_reason_required"].(bool)
	ap.AllowBulk, _ = m["allow_bulk"].(bool)
	ap.RequireLogin = true
	if b, ok := m["require_login"].(bool); ok {
		ap.RequireLogin = b
	}
	if list, ok := m["approvers"].([]any); ok {
		for _, a := range list {
			ap.Approvers = append(ap.Approvers, str(a))
		}
	}
	if ap.Rules, err = quorum.ParseRequired(ap.Required); err != nil {
		return nil, fmt.Errorf("approval request: %w", err)
	}
	seconds := func(k string) time.Duration {
		n, _ := jsonvalue.Int(m[k])
		return time.Duration(n) * time.Second
	}
	ap.RemindAfter, ap.RemindEvery, ap.EscalateAfter, ap.Timeout = seconds("remind_after"), seconds("remind_every"), seconds("escalate_after"), seconds("timeout")
	ap.RemindMax = DefaultRemindMax
	if n, ok := jsonvalue.Int(m["remind_max"]); ok {
		ap.RemindMax = int(n)
	}
	if list, ok := m["escalate_to"].([]any); ok {
		for _, a := range list {
			ap.EscalateTo = append(ap.EscalateTo, str(a))
		}
	}
	ap.EscalateRequired = m["escalate_required"]
	if ap.EscalateRules, err = quorum.ParseRequired(ap.EscalateRequired); err != nil {
		return nil, fmt.Errorf("approval request: escalate_required: %w", err)
	}
	if ot, ok := mapOf(m["on_timeout"]); ok {
		ap.OnTimeout = &TimeoutDecision{State: State(str(ot["state"])), Output: ot["output"]}
	}
	return ap, nil
}

func str(v any) string {
	s, _ := v.(string)
	return s
}

// Spec is the approval's rules as quorum applies them.
func (ap *Approval) Spec() quorum.Spec {
	return quorum.Spec{Approvers: ap.Approvers, Rules: ap.Rules, AllowSelf: ap.AllowSelfApproval,
		Requester: ap.RequestedBy, Starter: ap.StartedBy}
}

// ShownDigest is the SHA-256 (hex) of the canonical JSON of what a
// decider is shown: {title, description, context, schema}. An audit
// record keeps it, so that what someone decided on can be proven later.
func (ap *Approval) ShownDigest() string {
	b, err := jsonvalue.Canonical(map[string]any{"title": ap.Title, "description": ap.Description, "context": ap.Context, "schema": ap.Schema})
	if err != nil {
		return ""
	}
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// schemas caches compiled answer schemas by their canonical text: every
// vote on an approval checks its answer against the same schema.
var schemas struct {
	sync.Mutex
	m map[string]*schemaform.Schema
}

// AnswerSchema returns the approval's compiled answer schema.
func (ap *Approval) AnswerSchema() (*schemaform.Schema, error) {
	key := "null"
	if ap.Schema != nil {
		b, err := jsonvalue.Canonical(ap.Schema)
		if err != nil {
			return nil, err
		}
		key = string(b)
	}
	schemas.Lock()
	s, ok := schemas.m[key]
	schemas.Unlock()
	if ok {
		return s, nil
	}
	s, err := schemaform.Compile(jsonvalue.Unordered(ap.Schema)) // schemaform looks keys up in Go maps
	if err != nil {
		return nil, err
	}
	schemas.Lock()
	if schemas.m == nil || len(schemas.m) > 256 {
		schemas.m = map[string]*schemaform.Schema{}
	}
	schemas.m[key] = s
	schemas.Unlock()
	return s, nil
}

// builtinArgs returns the input the built-in at the bottom of d's chain of
// ad-hoc actions gets from in, with its defaults, or why there is none.
func (d *actionDef) builtinArgs(in map[string]any) (map[string]any, error) {
	if d.spec == nil {
		return d.check(in)
	}
	for {
		full, err := d.baseInput(in)
		if err != nil || d.base.spec == nil {
			return full, err
		}
		in, d = full, d.base
	}
}

// approvalRequest evaluates and checks the request of an approval about
// to start; text is its ActionExecution.ApprovalJSON.
func approvalRequest(act *actionDef, input map[string]any, startedBy string) (*Approval, *string, error) {
	args, err := act.builtinArgs(input)
	if err != nil {
		return nil, nil, err
	}
	ap, err := newApproval(args, startedBy)
	if err != nil {
		return nil, nil, err
	}
	text, err := ap.encode()
	if err != nil {
		return nil, nil, err
	}
	return ap, &text, nil
}

// entry is what the inbox keeps of approval a while it waits: votes are
// the votes so far, res their tally.
func (ap *Approval) entry(a *ActionExecution, votes []*ApprovalVote, res quorum.Result) *ApprovalEntry {
	e := &ApprovalEntry{ActionExecutionID: a.ID, CreatedAt: a.CreatedAt, Title: ap.Title, RequestedBy: ap.RequestedBy,
		Deciders: ap.Approvers, Missing: res.Describe()}
	if len(e.Deciders) == 0 {
		e.Deciders = []string{DecidersAny}
	}
	if !ap.AllowSelfApproval {
		for _, u := range []string{ap.RequestedBy, ap.StartedBy} {
			if u != "" {
				e.Excluded = append(e.Excluded, u)
			}
		}
	}
	for _, v := range votes {
		if v.User != "" {
			e.Excluded = append(e.Excluded, v.User)
		}
	}
	return e
}

// startApproval records, in the transaction that creates approval a, who
// may decide it, for the inbox, and tells them (approval.requested). ex is
// its workflow execution; nil for an action run on its own.
func (w *work) startApproval(a *ActionExecution, ap *Approval, ex *Execution) error {
	if err := w.tx.PutApprovalEntry(w.ctx, ap.entry(a, nil, quorum.Tally(ap.Spec(), nil))); err != nil {
		return fmt.Errorf("approval %s: %w", a.ID, err)
	}
	if err := w.scheduleLadder(a, ap); err != nil {
		return fmt.Errorf("approval %s: %w", a.ID, err)
	}
	return w.approvalEvent(&approvalNotice{Event: ApprovalRequested, Action: a, Request: ap, Exec: ex})
}

// ApprovalStatus is where an approval stands: its request, the votes so
// far and their tally.
type ApprovalStatus struct {
	Action  *ActionExecution
	Request *Approval
	Votes   []*ApprovalVote
	// Tally counts the approvals (with the groups each voter had when
	// voting); Tally.Describe says what is still missing.
	Tally quorum.Result
	// ProposalJSON is the answer the first approval proposed, as
	// canonical JSON; "" before any approval.
	ProposalJSON string
	// Ladder is where its timeout ladder stands; nil when it has none.
	// Request is as the ladder left it (escalated or not).
	Ladder *Ladder
}

// ApprovalStatus reads an approval with its votes. An action that is no
// approval is fault.EINVALID.
func (e *Engine) ApprovalStatus(ctx context.Context, id string) (*ApprovalStatus, error) {
	a, err := e.GetActionExecution(ctx, id)
	if err != nil {
		return nil, err
	}
	if a.ApprovalJSON == nil {
		return nil, fault.Errorf(fault.EINVALID, "Action execution %s is not an approval.", id)
	}
	ap, err := ParseApproval(*a.ApprovalJSON)
	if err != nil {
		return nil, err
	}
	votes, err := e.store.ApprovalVotes(ctx, id)
	if err != nil {
		return nil, err
	}
	st := &ApprovalStatus{Action: a, Request: ap, Votes: votes}
	if ap.HasLadder() {
		recs, err := e.store.AuditRecords(ctx, id)
		if err != nil {
			return nil, err
		}
		ls := readLadder(recs)
		if ls.escalated {
			ap.escalate()
		}
		st.Ladder = ap.ladderOf(a, ls)
	}
	st.Tally = ap.tally(votes)
	if p := proposal(votes); p != nil {
		st.ProposalJSON = answerText(p)
	}
	return st, nil
}

// AuditRecords returns the audit records about an action execution (""
// for all), oldest first.
func (e *Engine) AuditRecords(ctx context.Context, actionID string) ([]*AuditRecord, error) {
	return e.store.AuditRecords(ctx, actionID)
}
