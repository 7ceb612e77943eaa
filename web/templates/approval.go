package templates

import (
	"fmt"
	"strings"
	"time"

	"github.com/sirocco-project/sirocco/internal/markdown"
)

// The view models of an approval (std.approval): what it asks, its
// context, its rules and votes so far, and the form that decides it.
// internal/web fills them (approval.go there) from the engine's records.

// Markdown is HTML rendered from Markdown by internal/markdown: the one
// kind of HTML a page writes unescaped. Its field is unexported so that no
// other string can become one; RenderMarkdown is the only way to make it.
type Markdown struct{ html string }

// RenderMarkdown renders a description with markdown.Render, which keeps
// no raw HTML, loads no image and keeps only safe links.
func RenderMarkdown(src string) Markdown { return Markdown{html: markdown.Render(src)} }

// Empty reports whether there is nothing to show.
func (m Markdown) Empty() bool { return strings.TrimSpace(m.html) == "" }

// ApprovalView is an approval as its action page shows it: what is asked
// and why, then the rule and the votes so far, then the decision.
type ApprovalView struct {
	ActionID    string
	Title       string
	RequestedBy string
	Description Markdown
	// Context is the approval's context input as a table.
	Context ContextTable
	// Pending is false once the approval is decided; the page's own
	// panel then says how, and no form is drawn.
	Pending  bool
	Progress ApprovalProgress
	Votes    []VoteRow
	// Proposal is the answer of the first approval, which later
	// approvals confirm; nil before it, and once decided.
	Proposal *Proposal
	// MyVote is the viewer's own vote, if they voted.
	MyVote *VoteRow
	Form   ApprovalForm
	Ladder *LadderView // nil: no timeout ladder (ladder.go)

	// Links are its decision links, as the viewer may see them.
	Links DecisionLinks
	// Handling is the claim and who else views the page (handling.templ);
	// nil once decided.
	Handling *HandlingView
}

// Proposal is the answer the first approver gave.
type Proposal struct {
	By     string
	At     time.Time
	Answer ContextTable
}

// ApprovalProgress is the rule and how far the votes have met it.
type ApprovalProgress struct {
	// Rule says what is required: "2 from finance and 1 from security".
	Rule string
	// Approvers are the approvers entries ("group:finance",
	// "user:alice"); empty means anyone with the approver role.
	Approvers []string
	// SelfNote says who may not decide their own request, "" when
	// self-approval is allowed.
	SelfNote string
	Met      bool
	// Missing is what is still needed: "1 more from security".
	Missing string
	Rules   []RuleProgress
}

// RuleProgress is one rule and the approvals counted for it.
type RuleProgress struct {
	Text string // "2 from finance"
	Have int
	Need int
	Met  bool
}

// Vote is a vote as recorded, what the mapping in internal/web reads
// (the engine's vote records are copied into it).
type Vote struct {
	User     string
	Approve  bool
	Override bool
	// Rule is the index of the rule the approval counted for as
	// recorded, -1 for none (a rejection, an override, an approval no
	// rule needed). The tally's assignment, when it names the voter,
	// takes its place.
	Rule    int
	Comment string
	// Channel is how the vote came: "dashboard", "api", "cli", "link",
	// "timeout".
	Channel string
	At      time.Time
}

// VoteRow is a vote as the page lists it.
type VoteRow struct {
	User     string
	Approve  bool
	Override bool
	// Decision is "approved", "rejected", "approved (override)" …
	Decision string
	// Rule names the rule the approval counted for ("finance", "any
	// approver"), "" for none.
	Rule    string
	Comment string
	Channel string
	At      time.Time
}

// ApprovalForm is the decision form: the answer's fields drawn from its
// schema, a comment, Approve and Reject, and for admins an override.
type ApprovalForm struct {
	// Action is the URL the form posts to; CSRF its token.
	Action string
	CSRF   string
	// CanVote draws Approve and Reject; CanOverride the admin override.
	// With neither the page shows a read-only panel saying why (Refusal).
	CanVote     bool
	CanOverride bool
	Refusal     string
	// Confirming says the answer was proposed by an earlier approval:
	// no fields are drawn, and approving confirms the proposal.
	Confirming bool
	Fields     []FormField
	// Errors are about the answer as a whole, or refusals from the
	// engine; each field's own are under it.
	Errors []string
	// Comment is what was typed; CommentRequired says a rejection needs
	// it (reject_reason_required).
	Comment         string
	CommentRequired bool
	CommentError    string
	// Reason is the override's, mandatory; ReasonError is under it.
	Reason      string
	ReasonError string
}

// Invalid reports whether the form is shown with errors.
func (f ApprovalForm) Invalid() bool {
	if len(f.Errors) > 0 || f.CommentError != "" || f.ReasonError != "" {
		return true
	}
	for _, fd := range f.Fields {
		if len(fd.Errors) > 0 {
			return true
		}
	}
	return false
}

// OverrideOpen says the override panel starts open: it was used.
func (f ApprovalForm) OverrideOpen() bool { return f.Reason != "" || f.ReasonError != "" }

// Field kinds, as internal/schemaform names them.
const (
	KindText       = "text"
	KindTextarea   = "textarea"
	KindInteger    = "integer"
	KindNumber     = "number"
	KindSelect     = "select"
	KindRadios     = "radios"
	KindCheckbox   = "checkbox"
	KindCheckboxes = "checkboxes"
	KindJSON       = "json"
)

// FormField is one field of the answer.
type FormField struct {
	// ID is the element's id (unique in the page, whatever the
	// property's name); Name is what it posts as.
	ID       string
	Name     string
	Label    string
	Help     string
	Kind     string
	Required bool
	// Values is what the field shows: what was typed, or its default.
	Values []string
	// InputType is a text field's input type: "text", "email", "date",
	// "url".
	InputType string
	// Min, Max and Step are a number's bounds, "" when unbounded.
	Min, Max, Step string
	// MinLength and MaxLength bound a text, 0 when unbounded.
	MinLength, MaxLength int
	// Pattern is shown as a hint: the schema's syntax is not HTML's.
	Pattern string
	Options []FieldOption
	// Errors are shown under the field.
	Errors []string
	// NotJSON says a json field's text was not JSON: the field then offers
	// to send it as text. AsText is that choice, as posted.
	NotJSON, AsText bool
}

// FieldOption is one choice of a select, radios or checkboxes.
type FieldOption struct {
	ID       string
	Value    string
	Label    string
	Selected bool
}

// Value is the field's first value ("" without one).
func (f FormField) Value() string {
	if len(f.Values) == 0 {
		return ""
	}
	return f.Values[0]
}

// Checked reports whether a checkbox is ticked.
func (f FormField) Checked() bool {
	for _, v := range f.Values {
		if v == "true" || v == "on" {
			return true
		}
	}
	return false
}

// hasHelp reports whether a field has a help line: a description, a
// pattern, or how to write JSON.
func (f FormField) hasHelp() bool { return f.Help != "" || f.Pattern != "" || f.Kind == KindJSON }

// describedBy lists the ids that describe a field: its help, its errors.
func (f FormField) describedBy() string {
	var ids []string
	if f.hasHelp() {
		ids = append(ids, f.ID+"-help")
	}
	if len(f.Errors) > 0 {
		ids = append(ids, f.ID+"-error")
	}
	return strings.Join(ids, " ")
}

// ContextTable is a JSON value as nested tables, within bounds.
type ContextTable struct {
	Root ContextNode
	// Empty says there is no value to show.
	Empty bool
	// Shortened says part of the value is left out (too deep, too wide,
	// too long); Raw then holds it as formatted JSON, itself bounded,
	// and Raw.RawURL, when set, downloads it whole.
	Shortened bool
	Raw       JSONText
}

// Context node kinds.
const (
	NodeObject = "object"
	NodeArray  = "array"
	NodeString = "string"
	NodeNumber = "number"
	NodeBool   = "bool"
	NodeNull   = "null"
)

// ContextNode is one value of a context table.
type ContextNode struct {
	Kind string
	// Text is a scalar's text; Clipped says it was cut.
	Text    string
	Clipped bool
	// Rows are an object's entries or an array's items.
	Rows []ContextRow
	// Size is the number of entries or items, shown or not.
	Size int
	// Collapsed says the container's rows are left out (nested past the
	// depth bound, or the table is full). More is how many rows past the
	// width bound are.
	Collapsed bool
	More      int
}

// ContextRow is an object's key, or an array's position (from 1), and
// its value.
type ContextRow struct {
	Key   string
	Value ContextNode
}

// progressKey changes when the rule and votes panel must be redrawn: when
// a vote arrives or the approval ends.
func progressKey(v ApprovalView) string {
	return fmt.Sprintf("%d:%t:%t:%s", len(v.Votes), v.Pending, v.Progress.Met, v.Progress.Missing)
}

// approvalDecisionKey keeps the decision form while the approval is
// pending, so that a vote by someone else never wipes what is typed.
func approvalDecisionKey(v ApprovalView) string {
	if v.Pending {
		return "pending"
	}
	return "done"
}

// emptyText stands for an empty object or array.
func emptyText(kind string) string {
	if kind == NodeArray {
		return "(empty list)"
	}
	return "(no entries)"
}

// sizeText counts a container's entries: "3 entries", "1 item".
func sizeText(n ContextNode) string {
	noun := "entries"
	switch {
	case n.Kind == NodeArray && n.Size == 1:
		noun = "item"
	case n.Kind == NodeArray:
		noun = "items"
	case n.Size == 1:
		noun = "entry"
	}
	return fmt.Sprintf("%d %s", n.Size, noun)
}

// voteClass is the badge class of a vote.
func voteClass(v VoteRow) string {
	if v.Approve {
		return "badge state-success"
	}
	return "badge state-error"
}

// hasRequired reports whether a field is marked required (a checkbox
// always posts, so it is never marked).
func hasRequired(fields []FormField) bool {
	for _, f := range fields {
		if f.Required && f.Kind != KindCheckbox {
			return true
		}
	}
	return false
}

// choosePrompt is a select's empty first option.
func choosePrompt(required bool) string {
	if required {
		return "Choose one"
	}
	return "(none)"
}

func textareaRows(kind string) string {
	if kind == KindJSON {
		return "5"
	}
	return "4"
}

// joinErrors writes a field's errors as one text.
func joinErrors(errs []string) string { return strings.Join(errs, " ") }

// listSep follows the i-th of n items of a list in a sentence.
func listSep(i, n int) string {
	if i == n-1 {
		return "."
	}
	return ", "
}
