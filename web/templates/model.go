// Package templates renders the dashboard's pages and fragments with templ.
// Components take the view models declared here, which internal/web fills
// from engine records; templates never reach the store or the engine.
// Edit the *.templ files and run `go tool templ generate`; the generated
// *_templ.go files are committed.
package templates

import (
	"fmt"
	"strings"
	"time"
)

// Page is what every full page shares.
type Page struct {
	Title string
	// Nav names the active section: "inbox", "executions", "workflows",
	// "action-definitions", "workbooks", "admin" or "audit".
	Nav string
	// CSRF is the token every form posts back in the _csrf field.
	CSRF string
	// Live, when set, makes the page follow server events.
	Live *Live
	// Notice is a message shown once at the top, e.g. after a redirect.
	Notice *Notice
	// User is the logged-in account ("" when authentication is off or
	// nobody is logged in); Admin shows the accounts section.
	User  string
	Admin bool
	// CanDecide shows decision forms: approvers and admins, or anyone when
	// authentication is off.
	CanDecide bool
	// Waiting counts the approvals waiting for the person, shown in the
	// header; nil for who decides none (authentication off, the viewer
	// and requester roles).
	Waiting *WaitingCount
	// Origin is the scheme://host[:port] of the server's -base-url: the page
	// script compares it with the address the page was opened at, and says
	// why live updates are off instead of reconnecting forever when the
	// websocket would be refused.
	Origin string
}

// WaitingCount is how many approvals wait for the person.
type WaitingCount struct {
	N int
	// Capped says there are more than N (the count stops there).
	Capped bool
}

// Text is the count as the header shows it: "3", "1000+".
func (w WaitingCount) Text() string {
	if w.Capped {
		return fmt.Sprintf("%d+", w.N)
	}
	return fmt.Sprint(w.N)
}

// Live tells the page script what to listen to and where to refetch from.
type Live struct {
	// Topics are the hub topics, space-separated: "inbox",
	// "execution:<id>", "action:<id>", "executions".
	Topics string
	// Src is the URL of the page's fragment (its regions, without layout).
	Src string
}

// Notice is a banner message.
type Notice struct {
	Kind string // "ok", "warn" or "error"
	Text string
}

// InboxFilter is the inbox's filter form.
type InboxFilter struct {
	Workflow, Action, Task, Search string
	Newest                         bool
}

// InboxView is the inbox page.
type InboxView struct {
	Page
	Filter    InboxFilter
	Workflows []string
	Actions   []string
	Tasks     []string
	List      InboxList
	// Mine is the "Waiting for me" section above the list: the oldest of
	// the approvals the person may decide. nil when not shown (for who
	// decides none, on later pages, with filters, and when List is
	// itself what waits for the person).
	Mine *InboxList
	// Bulk is the bulk decision form; its Page empty when no row on the
	// page may be decided in bulk.
	Bulk BulkPanel
}

// InboxList is the live part of the inbox: counts, rows and pager.
type InboxList struct {
	Rows           []InboxRow
	Pending        int
	Matching       int
	MatchingCapped bool
	Filtered       bool
	NextURL        string
	PrevURL        string
	// Mine says the list is what waits for the person (?mine=1, or the
	// section): Matching then counts it.
	Mine bool
	// MoreURL, in the section, lists all that waits for the person when
	// the section shows only the first.
	MoreURL string
	// View is the inbox's view: ViewPeople, ViewServices or "" (both);
	// People and Services count what waits for each; ViewURLs link the
	// three views ("", people, services) with the same filters (none in
	// the "Waiting for me" section and list).
	View             string
	People, Services int
	ViewURLs         []string
}

// The inbox's views (?view=).
const (
	ViewPeople   = "people"
	ViewServices = "services"
)

// InboxRow is one pending action.
type InboxRow struct {
	ID           string
	URL          string
	Action       string
	Workflow     string
	ExecutionURL string
	Task         string
	State        string
	InputPreview string
	// InputIsExecution says the preview shows the execution's input, as
	// the action's own is empty (std.async_noop).
	InputIsExecution bool
	Since            time.Time
	Waited           string
	TimeoutAt        *time.Time
	// TimeoutIn is the time left ("in 3h 5m") or "overdue".
	TimeoutIn string
	Overdue   bool
	// Approval is set for an approval: the row shows its title, who asked
	// and what is still missing instead of the action's name and input.
	Approval *InboxApproval
	// Description and StartedBy: the execution's description and who
	// started it.
	Description string
	StartedBy   string
	// Service says it waits for a service's callback: the row shows the
	// request sent (Request, "METHOD URL"; "" before it is sent) instead
	// of the input, and Cancel offers an admin to cancel it.
	Service bool
	Request string
	Cancel  bool
	// CSRF is the form token of the row's cancel form.
	CSRF string
}

// viewsKey changes when the views' counts or links do.
func viewsKey(l InboxList) string {
	return fmt.Sprintf("%s|%d|%d|%d|%v", l.View, l.Pending, l.People, l.Services, l.ViewURLs)
}

// InboxApproval is what an inbox row shows of an approval.
type InboxApproval struct {
	Title       string
	RequestedBy string
	Missing     string
	// Mine says the person may decide it; other approvals are read-only
	// rows. Override says the person may decide it by override alone.
	Mine     bool
	Override bool
	// Bulk is the value of the row's checkbox in the bulk form (id and
	// digest of the request shown, BulkValue); "" when the approval is
	// not the person's or does not allow bulk decisions.
	Bulk string
	// ClaimedBy is who said they are handling it ("" for nobody).
	ClaimedBy string
}

// rowKey changes when a row must be drawn again: its state, or an
// approval's votes.
func rowKey(r InboxRow) string {
	if r.Approval == nil {
		return r.State + "|" + r.Request // a service's request is drawn once sent
	}
	return fmt.Sprintf("%s|%t|%s|%s", r.State, r.Approval.Mine, r.Approval.Missing, r.Approval.ClaimedBy)
}

// JSONText is a stored JSON value as a page shows it: formatted within
// fixed bounds (internal/jsonview). Shortened says Text leaves part of it
// out; RawURL, when set, downloads the value exactly as stored.
type JSONText struct {
	Text      string
	Shortened bool
	RawURL    string
}

// Empty reports whether the value says nothing worth a panel: absent,
// null, or an empty object or list.
func (j JSONText) Empty() bool {
	switch strings.TrimSpace(j.Text) {
	case "", "{}", "[]", "null":
		return true
	}
	return false
}

// sendsRequest reports whether an action sends a request whose record its
// page shows (the others wait for a person and send nothing).
func sendsRequest(action string) bool { return action == "std.mistral_http" || action == "std.http" }

// KV is a name and a value, e.g. an HTTP header.
type KV struct{ Key, Value string }

// RequestView is what std.mistral_http sent.
type RequestView struct {
	Method  string
	URL     string
	Headers []KV
	// Body is the text sent, cut past a bound (BodyCut); RawURL downloads
	// the whole record.
	Body    string
	BodyCut bool
	RawURL  string
	Error   string
}

// TimelineEntry is one state change.
type TimelineEntry struct {
	At    time.Time
	What  string // "action std.async_noop", "task approve", "execution"
	State string
	Via   string
	Note  string
}

// DecisionForm is the approve/reject form with what the person typed.
type DecisionForm struct {
	Output  string
	Comment string
	// Reason is an approval override's, kept when it was not recorded.
	Reason string
	// Error is shown under the output field; nothing was changed.
	Error string
	// NotJSON says the output was not JSON: the form then offers to send
	// it as text. AsText is that choice, as posted.
	NotJSON, AsText bool
}

// NotJSONMessage is what a free output field that is not JSON says, in
// the page (live.js reads it from the field) and from the server alike.
const NotJSONMessage = `Not valid JSON — to send text, put it in double quotes: "approved". Nothing was changed.`

// ActionView is an action execution's page.
type ActionView struct {
	Page
	ID   string
	Name string
	// Description is the workflow execution's description; StartedBy who
	// started it ("" when unknown): what a person reads before deciding.
	Description   string
	StartedBy     string
	State         string
	StateInfo     string
	Async         bool
	Pending       bool
	Workflow      string
	WorkflowURL   string
	ExecutionID   string
	ExecutionURL  string
	ExecState     string
	ExecInput     JSONText
	ExecParams    JSONText
	TaskID        string
	TaskName      string
	TaskState     string
	TaskPublished JSONText
	Input         JSONText
	Output        JSONText
	Request       *RequestView
	CreatedAt     time.Time
	Waited        string
	CompletedAt   *time.Time
	CompletedVia  string
	TimeoutAt     *time.Time
	Timeline      []TimelineEntry
	Form          DecisionForm
	// MaxOutput is the largest output the engine accepts, in bytes as it
	// encodes it: the page checks it before sending.
	MaxOutput int
	// MaxForm is the most a form may send, in bytes as the browser encodes
	// it (the hard cap): the page checks it before sending too.
	MaxForm int64
	// AuditURL lists the action's audit records (AuditCount of them),
	// "" for those who may not see the audit trail.
	AuditURL   string
	AuditCount int
	// Approval is set for an approval (std.approval): its panels take the
	// place of the generic decision and context sections.
	Approval *ApprovalView
	// Notifications are the webhook notifications about the action (an
	// approval's events), failures first said in words.
	Notifications []NotificationRow
}

// ExecutionRow is one line of the executions list.
type ExecutionRow struct {
	ID          string
	URL         string
	Workflow    string
	WorkflowURL string
	State       string
	Description string
	CreatedAt   time.Time
	UpdatedAt   time.Time
}

// ExecutionsView is the executions list.
type ExecutionsView struct {
	Page
	State    string
	Workflow string
	Rows     []ExecutionRow
	NextURL  string
	FirstURL string
}

// TaskRow is a task of an execution.
type TaskRow struct {
	ID        string
	Name      string
	State     string
	StateInfo string
	Result    JSONText
	Published JSONText
	StartedAt *time.Time
	Finished  *time.Time
	// Pending lists the task's action executions awaiting a result.
	Pending []Link
}

// Link is a labelled URL.
type Link struct{ Text, URL string }

// ExecutionView is an execution's page.
type ExecutionView struct {
	Page
	ID          string
	Workflow    string
	WorkflowURL string
	State       string
	StateInfo   string
	Description string
	Input       JSONText
	Output      JSONText
	Params      JSONText
	Global      JSONText // what tasks published with publish: global, if anything
	CreatedBy   string   // who started it; "" when authentication was off
	CreatedAt   time.Time
	UpdatedAt   time.Time
	Tasks       []TaskRow
	Timeline    []TimelineEntry
	// Notifications are its webhook notifications (none when it has no
	// receivers).
	Notifications []NotificationRow
	// Graph pictures the execution: its workflow with each task's state.
	Graph GraphView
}

// WorkflowRow is one line of the workflows list.
type WorkflowRow struct {
	Name      string
	Namespace string
	URL       string
	Input     string
	Tags      string
	CreatedAt time.Time
}

// WorkflowsView is the workflows list.
type WorkflowsView struct {
	Page
	Rows    []WorkflowRow
	NextURL string
}

// StartForm is the form that starts an execution.
type StartForm struct {
	Input       string
	Description string
	Error       string
}

// WorkflowView is a workflow's page.
type WorkflowView struct {
	Page
	ID         string
	Name       string
	Namespace  string
	Input      string
	Definition string
	CreatedAt  time.Time
	StartURL   string
	ExecsURL   string
	Form       StartForm
	Recent     []ExecutionRow
	Graph      GraphView // the tasks and their transitions
}

// ActionDefRow is one ad-hoc action of the action definitions list.
type ActionDefRow struct {
	Name      string
	Namespace string
	URL       string
	Base      string
	Input     string
	CreatedAt time.Time
	UpdatedAt *time.Time
}

// BuiltinActionRow is one built-in action: what a workflow may call
// without defining anything.
type BuiltinActionRow struct {
	Name  string
	URL   string
	Input string
}

// ActionDefsView is the action definitions list: the ad-hoc actions, then
// the built-in ones.
type ActionDefsView struct {
	Page
	Rows     []ActionDefRow
	Builtins []BuiltinActionRow
}

// ActionDefView is an action definition's page: an ad-hoc action, or a
// built-in one (Builtin, with only its name and input).
type ActionDefView struct {
	Page
	Name        string
	Namespace   string
	Builtin     bool
	Description string
	Tags        string
	Input       string
	// Base is the action this one runs; BaseURL its page, "" when it
	// cannot be found.
	Base    string
	BaseURL string
	// BaseInput and Output are JSON text: the base's input (expressions
	// over this action's input) and the transformation of its result.
	BaseInput  JSONText
	Output     JSONText
	Definition string
	// Workbook links to the workbook that defines this action, if any.
	Workbook *Link
	// Problem says why parts of the definition cannot be shown.
	Problem   string
	CreatedAt time.Time
	UpdatedAt *time.Time
}

// WorkbookRow is one line of the workbooks list.
type WorkbookRow struct {
	Name      string
	Namespace string
	URL       string
	Tags      string
	Workflows int
	Actions   int
	CreatedAt time.Time
	UpdatedAt *time.Time
}

// WorkbooksView is the workbooks list.
type WorkbooksView struct {
	Page
	Rows []WorkbookRow
}

// WorkbookView is a workbook's page: its text and links to its members.
type WorkbookView struct {
	Page
	Name       string
	Namespace  string
	Tags       string
	Definition string
	Workflows  []Link
	Actions    []Link
	// Problem says why the members cannot be listed.
	Problem   string
	CreatedAt time.Time
	UpdatedAt *time.Time
}

// ErrorView is an error page.
type ErrorView struct {
	Page
	Status  int
	Message string
}

// LoginView is the login page.
type LoginView struct {
	Page
	Name  string
	Next  string
	Error string
}

// PasswordView is the page where users change their own password.
type PasswordView struct {
	Page
	// MinLength is the shortest password accepted.
	MinLength string
	// Error is what was wrong with the last form.
	Error string
}

// AdminView is the accounts page: users, groups and API tokens.
type AdminView struct {
	Page
	Users  []AdminUser
	Groups []AdminGroup
	Tokens []AdminToken
	Roles  []string
	// NewToken is a token just made, shown this once.
	NewToken *NewToken
	// Error is a message about the last form, shown at the top.
	Error string
}

// AdminUser is a row of the users table.
type AdminUser struct {
	Name, Role, Effective string
	Groups                string
	Email                 string // "" for none
	CreatedAt             time.Time
	UpdateURL, DeleteURL  string
	// LastAdmin marks the only account with the admin role: it has no
	// Delete button (the server refuses to delete it anyway).
	LastAdmin bool
}

// AdminGroup is a row of the groups table.
type AdminGroup struct {
	Name, Role            string
	Members               []string
	MembersURL, DeleteURL string
}

// AdminToken is a row of the tokens table.
type AdminToken struct {
	ID, Name, Role, User string
	// Label is how the token's value starts (sirocco_<id prefix>), to tell
	// tokens apart.
	Label     string
	CreatedAt time.Time
	RevokeURL string
}

// NewToken is a token value shown once.
type NewToken struct {
	Name, Role, User, Value string
	Label                   string
}
