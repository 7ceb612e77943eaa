package web

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/sirocco-project/sirocco/internal/fault"
	"github.com/sirocco-project/sirocco/internal/jsonvalue"
	"github.com/sirocco-project/sirocco/internal/jsonview"
	"github.com/sirocco-project/sirocco/internal/quorum"
	"github.com/sirocco-project/sirocco/internal/schemaform"
	"github.com/sirocco-project/sirocco/web/templates"
)

// An approval (std.approval) on its action page. These functions map
// plain inputs — the compiled answer schema, the quorum spec and its
// tally, the votes — to the view models of web/templates, and read the
// decision form back; the handler fills an approvalRequest from the
// engine and calls them.

// approvalRequest is an approval as the dashboard shows it.
type approvalRequest struct {
	ActionID string
	// Pending is true while the action waits for votes.
	Pending     bool
	Title       string
	Description string // Markdown
	RequestedBy string
	// Context is the evaluated context input, decoded JSON (jsonvalue's
	// types); nil when there is none. ContextRawURL downloads it whole.
	Context       any
	ContextRawURL string
	// Schema is the compiled answer schema; nil has no fields.
	Schema *schemaform.Schema
	Spec   quorum.Spec
	// Result is the tally of the approvals so far (quorum.Tally).
	Result quorum.Result
	// Votes are in the order they were cast.
	Votes []templates.Vote
	// Proposal is the first approval's answer, nil before it (or when it
	// had none).
	Proposal             map[string]any
	RejectReasonRequired bool
	Ladder               *templates.LadderView // nil: no timeout ladder (ladder.go)
}

// rules are the request's rules, with quorum's default: one person.
func (r approvalRequest) rules() []quorum.Rule {
	if len(r.Spec.Rules) == 0 {
		return []quorum.Rule{{Count: 1}}
	}
	return r.Spec.Rules
}

// fields are the schema's form fields, none without a schema.
func (r approvalRequest) fields() []schemaform.Field {
	if r.Schema == nil {
		return nil
	}
	return r.Schema.Fields()
}

// confirming says later approvals confirm a proposal rather than answer.
func (r approvalRequest) confirming() bool {
	return r.Proposal != nil && len(r.fields()) > 0
}

// approvalPost is a decision read from the form.
type approvalPost struct {
	Approve  bool
	Override bool
	// Answer is the approval's answer; nil for none (a rejection, a
	// confirmation of the proposal, a schema without fields).
	Answer  map[string]any
	Comment string
	Reason  string
}

// approvalProblems is what was wrong with a posted form, shown back in it.
type approvalProblems struct {
	Fields  []schemaform.FieldError
	Comment string
	Reason  string
	// Form are problems with the form as a whole, or refusals by the
	// engine ("Only the approvers may decide …").
	Form []string
}

// any reports whether there is a problem.
func (p approvalProblems) any() bool {
	return len(p.Fields) > 0 || p.Comment != "" || p.Reason != "" || len(p.Form) > 0
}

// approvalProblemsOf words an error of the engine's vote path for the
// form: schema errors go under their fields, anything else at the top.
func approvalProblemsOf(err error) approvalProblems {
	var ae *schemaform.AnswerError
	if errors.As(err, &ae) {
		return approvalProblems{Fields: ae.Errors}
	}
	return approvalProblems{Form: []string{fault.Message(err)}}
}

// readApprovalPost reads the decision form: which button (Approve, Reject,
// or an admin's Override: approve / Override: reject), the answer (read
// and validated with the schema, for an approval that does not confirm a
// proposal), the comment and the override's reason. It checks what the
// form alone can tell; who may decide is the engine's to say.
func readApprovalPost(r approvalRequest, values url.Values) (approvalPost, approvalProblems) {
	var p approvalPost
	var pr approvalProblems
	p.Comment = strings.TrimSpace(values.Get("comment"))
	state := values.Get("state")
	if o := values.Get("override"); o != "" {
		if state != "" {
			pr.Form = append(pr.Form, "Choose one decision: a vote or an override.")
			return p, pr
		}
		state, p.Override = o, true
		if p.Reason = strings.TrimSpace(values.Get("reason")); p.Reason == "" {
			pr.Reason = "An override needs a reason: say why you decide alone."
		}
	}
	switch state {
	case "SUCCESS":
		p.Approve = true
	case "ERROR":
	default:
		pr.Form = append(pr.Form, "Choose Approve or Reject.")
		return p, pr
	}
	if !p.Approve && !p.Override && r.RejectReasonRequired && p.Comment == "" {
		pr.Comment = "A rejection needs a reason: say why in the comment."
	}
	switch {
	case !p.Approve || len(r.fields()) == 0:
	case !r.confirming():
		p.Answer, pr.Fields = r.Schema.FromForm(values)
	case values.Get(answeringField) == "1":
		// The form was drawn with the answer's fields, and someone
		// proposed an answer before it was sent: what was typed is sent
		// as it is, so that the engine confirms it if it is the same and
		// names the standing proposal if not, rather than this person's
		// approval confirming an answer they have not seen.
		var errs []schemaform.FieldError
		if p.Answer, errs = r.Schema.FromForm(values); len(errs) > 0 {
			p.Answer = nil
			pr.Form = append(pr.Form, "Another answer was proposed while you filled in the form (it is shown above): approving now confirms it. Check it, then approve or reject.")
		}
	case p.Override:
		// An admin's override confirms the proposal shown, as a vote
		// would, rather than approving with no answer.
		p.Answer = r.Proposal
	}
	return p, pr
}

// answeringField marks a form drawn with the answer's fields (not the
// confirmation of a proposal).
const answeringField = "answering"

// approvalView builds the approval's panels as who sees them. posted is
// the form as sent (nil when the page is first shown: the fields then
// hold their defaults), problems what was wrong with it.
func approvalView(r approvalRequest, who quorum.Voter, csrf string, posted url.Values, problems approvalProblems) templates.ApprovalView {
	v := templates.ApprovalView{
		ActionID: r.ActionID, Pending: r.Pending,
		Title: r.Title, RequestedBy: r.RequestedBy,
		Description: templates.RenderMarkdown(r.Description),
		Context:     contextTable(r.Context, r.ContextRawURL),
		Progress:    approvalProgress(r.Spec, r.Result),
		Votes:       voteRows(r.rules(), r.Result, r.Votes),
		Ladder:      r.Ladder,
	}
	if r.Pending && r.Proposal != nil {
		if first := proposer(r.Votes); first != nil {
			v.Proposal = &templates.Proposal{By: first.User, At: first.At, Answer: answerTable(r.fields(), r.Proposal)}
		}
	}
	for i := range r.Votes {
		if who.User != "" && r.Votes[i].User == who.User {
			v.MyVote = &v.Votes[i]
		}
	}
	v.Form = approvalForm(r, who, csrf, posted, problems, v.MyVote != nil)
	return v
}

// errApproverRole is why someone named among an approval's approvers
// cannot vote without the approver role.
var errApproverRole = fault.Errorf(fault.EFORBIDDEN, "You are among this approval's approvers, but deciding needs the approver role, which your account does not have: ask an admin for it.")

// approvalForm is the decision form for who.
func approvalForm(r approvalRequest, who quorum.Voter, csrf string, posted url.Values, problems approvalProblems, voted bool) templates.ApprovalForm {
	f := templates.ApprovalForm{
		Action: actionURL(r.ActionID), CSRF: csrf,
		Confirming:      r.confirming(),
		CommentRequired: r.RejectReasonRequired,
		CommentError:    problems.Comment, ReasonError: problems.Reason,
		Errors: append([]string(nil), problems.Form...),
	}
	if r.Pending {
		err := r.Spec.Eligible(who)
		if err == nil && !who.MayDecide && !who.Admin {
			// Named among the approvers, which is enough for the rules,
			// but the dashboard's (and the API's) decisions need the
			// approver role: the server would refuse the form.
			err = errApproverRole
		}
		f.CanVote = err == nil && !voted
		f.CanOverride = who.Admin
		if err != nil {
			f.Refusal = fault.Message(err)
			if who.Admin {
				f.Refusal += " As an admin you may override it."
			}
		}
	}
	values := url.Values(nil)
	if r.Schema != nil {
		values = r.Schema.Initial()
		if posted != nil {
			values = r.Schema.Echo(posted)
		}
	}
	var rest []string
	f.Fields, rest = formFields(r.fields(), values, problems.Fields)
	f.Errors = append(f.Errors, rest...)
	if posted != nil {
		f.Comment, f.Reason = posted.Get("comment"), posted.Get("reason")
	}
	return f
}

// formFields maps schema fields to the form's, with values (schemaform's
// Initial or Echo) and errors under their fields. Errors that belong to
// no drawn field (the answer as a whole) are returned apart.
func formFields(fields []schemaform.Field, values url.Values, errs []schemaform.FieldError) ([]templates.FormField, []string) {
	out := make([]templates.FormField, len(fields))
	byName := make(map[string]int, len(fields))
	for i, f := range fields {
		byName[f.Name] = i
		ff := templates.FormField{
			// Ids by position: a property may be named anything.
			ID: "af-" + strconv.Itoa(i), Name: f.Name, Label: f.Label, Help: f.Help,
			Kind: string(f.Kind), Required: f.Required, Values: values[f.Name],
			InputType: inputType(f.Format), Min: f.Min, Max: f.Max, Step: f.Step,
			MinLength: f.MinLength, MaxLength: f.MaxLength, Pattern: f.Pattern,
			AsText: f.Kind == schemaform.KindJSON && slices.Contains(values[schemaform.AsTextField], f.Name),
		}
		for j, c := range f.Choices {
			ff.Options = append(ff.Options, templates.FieldOption{
				ID: ff.ID + "-" + strconv.Itoa(j), Value: c.Value, Label: c.Label, Selected: slices.Contains(ff.Values, c.Value),
			})
		}
		// An optional choice of radios can be taken back.
		if f.Kind == schemaform.KindRadios && !f.Required {
			ff.Options = append(ff.Options, templates.FieldOption{
				ID: ff.ID + "-none", Value: "", Label: "(none)", Selected: ff.Value() == "",
			})
		}
		out[i] = ff
	}
	var rest []string
	for _, e := range errs {
		i, ok := byName[e.Field]
		if !ok || e.Field == "" {
			rest = append(rest, sentence(e.String()))
			continue
		}
		out[i].Errors = append(out[i].Errors, fieldMessage(fields[i], e))
		if e.Message == schemaform.NotJSON {
			out[i].NotJSON = true
		}
	}
	return out, rest
}

// fieldMessage words an error for the field it is shown under: "CPU cores
// must be at most 64.", "Extra disks (at /0/size_gb) is required."
func fieldMessage(f schemaform.Field, e schemaform.FieldError) string {
	at := "/" + pointerEscaper.Replace(f.Name)
	if e.Path == at || e.Path == "" {
		return sentence(f.Label + " " + e.Message)
	}
	return sentence(f.Label + " (at " + strings.TrimPrefix(e.Path, at) + ") " + e.Message)
}

var pointerEscaper = strings.NewReplacer("~", "~0", "/", "~1")

// sentence ends a message with a full stop.
func sentence(s string) string {
	if strings.HasSuffix(s, ".") || strings.HasSuffix(s, "?") || strings.HasSuffix(s, "!") {
		return s
	}
	return s + "."
}

// inputType is the input type of a text field of the given format: only
// those whose posted text is the format's own (a date input posts
// 2026-05-01; a datetime-local one posts no zone, which date-time needs).
func inputType(format string) string {
	switch format {
	case "email":
		return "email"
	case "date":
		return "date"
	case "uri":
		return "url"
	}
	return "text"
}

// approvalProgress says the rule and how far the tally has met it.
func approvalProgress(spec quorum.Spec, res quorum.Result) templates.ApprovalProgress {
	rules := spec.Rules
	if len(rules) == 0 {
		rules = []quorum.Rule{{Count: 1}}
	}
	p := templates.ApprovalProgress{
		Approvers: append([]string(nil), spec.Approvers...),
		SelfNote:  selfNote(spec),
		Met:       res.Met, Missing: res.Describe(),
	}
	short := make(map[int]int, len(res.Missing))
	for _, n := range res.Missing {
		short[n.Index] = n.Count
	}
	texts := make([]string, len(rules))
	for i, rule := range rules {
		texts[i] = ruleText(rule, len(spec.Approvers) > 0)
		have := max(rule.Count-short[i], 0)
		p.Rules = append(p.Rules, templates.RuleProgress{Text: texts[i], Have: have, Need: rule.Count, Met: short[i] == 0})
	}
	p.Rule = joinAnd(texts)
	return p
}

// ruleText says what a rule asks: "2 from finance", "alice", "1 approver".
func ruleText(r quorum.Rule, listed bool) string {
	switch {
	case r.User != "":
		return r.User
	case r.Group != "":
		return fmt.Sprintf("%d from %s", r.Count, r.Group)
	case listed:
		return fmt.Sprintf("%d of the approvers", r.Count)
	case r.Count == 1:
		return "1 approver"
	}
	return fmt.Sprintf("%d approvers", r.Count)
}

// ruleLabel names the rule a vote counted for: "finance", "alice", "any
// approver".
func ruleLabel(r quorum.Rule) string {
	switch {
	case r.User != "":
		return r.User
	case r.Group != "":
		return r.Group
	}
	return "any approver"
}

// selfNote says who may not decide their own request, "" when they may.
func selfNote(spec quorum.Spec) string {
	if spec.AllowSelf {
		return ""
	}
	req, start := spec.Requester, spec.Starter
	switch {
	case req != "" && start != "" && req != start:
		return req + ", who asked for it, and " + start + ", who started the execution, may not decide it."
	case req != "":
		return req + ", who asked for it, may not decide it."
	case start != "":
		return start + ", who started the execution, may not decide it."
	}
	return ""
}

// joinAnd joins "a", "b" and "c" as "a, b and c".
func joinAnd(parts []string) string {
	if len(parts) < 2 {
		return strings.Join(parts, "")
	}
	return strings.Join(parts[:len(parts)-1], ", ") + " and " + parts[len(parts)-1]
}

// voteRows maps the votes for the page, naming the rule each approval
// counts for: the one the tally assigns (the matching may move an earlier
// voter to another rule when a later one comes), else the one recorded
// with the vote.
func voteRows(rules []quorum.Rule, res quorum.Result, votes []templates.Vote) []templates.VoteRow {
	out := make([]templates.VoteRow, len(votes))
	for i, v := range votes {
		row := templates.VoteRow{
			User: v.User, Approve: v.Approve, Override: v.Override, Decision: "rejected",
			Comment: clip(v.Comment, maxNote), Channel: channelText(v.Channel), At: v.At,
		}
		if v.Approve {
			row.Decision = "approved"
		}
		if v.Override {
			row.Decision += " (override)"
		}
		rule := v.Rule
		if r, ok := res.Assignment[v.User]; ok {
			rule = r
		}
		if v.Approve && !v.Override && rule >= 0 && rule < len(rules) {
			row.Rule = ruleLabel(rules[rule])
		}
		out[i] = row
	}
	return out
}

// channelText names the way a vote came.
func channelText(c string) string {
	switch c {
	case "api":
		return "API"
	case "cli":
		return "CLI"
	case "":
		return "unknown"
	}
	return c
}

// proposer is the first approval that is not an override: the one whose
// answer later approvals confirm.
func proposer(votes []templates.Vote) *templates.Vote {
	for i := range votes {
		if votes[i].Approve && !votes[i].Override {
			return &votes[i]
		}
	}
	return nil
}

// Bounds on a context table. Past them the rest is summarised in place
// and the raw JSON offered (itself bounded by jsonview.Block), so a page
// stays small whatever the value.
const (
	contextMaxDepth = 6   // containers nested deeper are collapsed
	contextMaxRows  = 50  // rows of one object or array
	contextMaxCells = 400 // rows of the whole table
	contextMaxText  = 2000
	contextMaxKey   = 200
)

// contextBuilder is one contextTable call.
type contextBuilder struct {
	cells     int
	shortened bool
}

// contextTable shows v (decoded JSON) as nested tables: objects' keys in
// order, arrays' items numbered from 1; rawURL downloads it whole.
func contextTable(v any, rawURL string) templates.ContextTable {
	if v == nil {
		return templates.ContextTable{Empty: true}
	}
	var b contextBuilder
	t := templates.ContextTable{Root: b.node(v, 0)}
	b.finish(&t, v, rawURL)
	return t
}

// answerTable shows an answer with its fields' labels, in the form's
// order, then any other keys.
func answerTable(fields []schemaform.Field, answer map[string]any) templates.ContextTable {
	var b contextBuilder
	root := templates.ContextNode{Kind: templates.NodeObject, Size: len(answer)}
	seen := make(map[string]bool, len(fields))
	for _, f := range fields {
		if v, ok := answer[f.Name]; ok {
			seen[f.Name] = true
			b.cells++
			root.Rows = append(root.Rows, templates.ContextRow{Key: f.Label, Value: b.node(v, 1)})
		}
	}
	for _, k := range jsonvalue.SortedKeys(answer) {
		if !seen[k] {
			b.cells++
			root.Rows = append(root.Rows, templates.ContextRow{Key: clip(k, contextMaxKey), Value: b.node(answer[k], 1)})
		}
	}
	t := templates.ContextTable{Root: root}
	b.finish(&t, answer, "")
	return t
}

// finish adds the raw JSON to a table that leaves part of v out.
func (b *contextBuilder) finish(t *templates.ContextTable, v any, rawURL string) {
	if !b.shortened {
		return
	}
	t.Shortened = true
	enc, err := jsonvalue.Encode(v)
	if err != nil {
		t.Raw = templates.JSONText{RawURL: rawURL, Shortened: rawURL != ""}
		return
	}
	t.Raw = jsonText(string(enc), jsonview.Block, rawURL)
}

func (b *contextBuilder) node(v any, depth int) templates.ContextNode {
	switch x := v.(type) {
	case *jsonvalue.Object, map[string]any:
		o, _ := jsonvalue.AsObject(x) // in its order; a Go map's keys sorted
		n := templates.ContextNode{Kind: templates.NodeObject, Size: o.Len()}
		if !b.open(&n, depth) {
			return n
		}
		for i, m := range o.Members() {
			if i == contextMaxRows || b.cells == contextMaxCells {
				n.More, b.shortened = o.Len()-i, true
				break
			}
			b.cells++
			n.Rows = append(n.Rows, templates.ContextRow{Key: clip(m.Key, contextMaxKey), Value: b.node(m.Value, depth+1)})
		}
		return n
	case []any:
		n := templates.ContextNode{Kind: templates.NodeArray, Size: len(x)}
		if !b.open(&n, depth) {
			return n
		}
		for i, item := range x {
			if i == contextMaxRows || b.cells == contextMaxCells {
				n.More, b.shortened = len(x)-i, true
				break
			}
			b.cells++
			n.Rows = append(n.Rows, templates.ContextRow{Key: strconv.Itoa(i + 1), Value: b.node(item, depth+1)})
		}
		return n
	case string:
		text, cut := jsonview.Clip(x, contextMaxText)
		b.shortened = b.shortened || cut
		return templates.ContextNode{Kind: templates.NodeString, Text: text, Clipped: cut}
	case bool:
		return templates.ContextNode{Kind: templates.NodeBool, Text: strconv.FormatBool(x)}
	case nil:
		return templates.ContextNode{Kind: templates.NodeNull, Text: "null"}
	case float64:
		return templates.ContextNode{Kind: templates.NodeNumber, Text: jsonvalue.FormatFloat(x)}
	case json.Number:
		return templates.ContextNode{Kind: templates.NodeNumber, Text: x.String()}
	case int, int8, int16, int32, int64, uint, uint8, uint16, uint32, uint64, float32:
		return templates.ContextNode{Kind: templates.NodeNumber, Text: fmt.Sprint(x)}
	}
	// Not a JSON value: jsonvalue's decoders make none of these.
	text, _ := jsonview.Clip(fmt.Sprint(v), contextMaxText)
	return templates.ContextNode{Kind: templates.NodeString, Text: text}
}

// open reports whether a container's rows are drawn: not when it is
// empty, nested past the bound, or once the table is full.
func (b *contextBuilder) open(n *templates.ContextNode, depth int) bool {
	if n.Size == 0 {
		return false
	}
	if depth >= contextMaxDepth || b.cells == contextMaxCells {
		n.Collapsed, b.shortened = true, true
		return false
	}
	return true
}
