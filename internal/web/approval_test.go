package web

import (
	"bytes"
	"context"
	"fmt"
	"net/url"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"
	"github.com/a-h/templ"
	"github.com/sirocco-project/sirocco/internal/fault"
	"github.com/sirocco-project/sirocco/internal/quorum"
	"github.com/sirocco-project/sirocco/internal/schemaform"
	"github.com/sirocco-project/sirocco/web/templates"
	"golang.org/x/net/html"
)

// render renders a component and parses it as a browser would.
func render(t *testing.T, c templ.Component) (*goquery.Document, string) {
	t.Helper()
	var buf bytes.Buffer
	if err := c.Render(context.Background(), &buf); err != nil {
		t.Fatal(err)
	}
	doc, err := goquery.NewDocumentFromReader(bytes.NewReader(buf.Bytes()))
	if err != nil {
		t.Fatal(err)
	}
	return doc, buf.String()
}

// squash is a selection's text with spaces normalised.
func squash(s *goquery.Selection) string { return strings.Join(strings.Fields(s.Text()), " ") }

// words is a selection's text nodes joined by spaces, as a table's or a
// list's cells read apart.
func words(s *goquery.Selection) string {
	var parts []string
	var walk func(n *html.Node)
	walk = func(n *html.Node) {
		if n.Type == html.TextNode {
			parts = append(parts, n.Data)
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	for _, n := range s.Nodes {
		walk(n)
	}
	return strings.Join(strings.Fields(strings.Join(parts, " ")), " ")
}

// approver is ann, in finance: she may vote on vmApproval.
var approver = quorum.Voter{User: "ann", Groups: []string{"finance"}, MayDecide: true}

// field finds the field posting as name.
func field(doc *goquery.Document, name string) *goquery.Selection {
	return doc.Find(`[data-testid="field"]`).FilterFunction(func(_ int, s *goquery.Selection) bool {
		n, _ := s.Attr("data-name")
		return n == name
	})
}

// TestApprovalFormDrawsEveryKind draws the VM request's form as first
// shown: each field's control, its label (from the title), its help (from
// the description, tied by aria-describedby), its bounds and its default.
func TestApprovalFormDrawsEveryKind(t *testing.T) {
	doc, _ := render(t, templates.ApprovalPanel(approvalView(vmApproval(t), approver, "tok", nil, approvalProblems{})))
	form := doc.Find(`form[data-testid="approval-form"]`)
	if form.Length() != 1 {
		t.Fatal("no approval form")
	}
	if _, ok := form.Attr("novalidate"); !ok {
		t.Error("the form lets the browser validate: the schema's messages would not show")
	}
	if tok, _ := form.Find(`input[name="_csrf"]`).Attr("value"); tok != "tok" {
		t.Errorf("CSRF token = %q", tok)
	}

	cases := []struct {
		name, kind, control, label string
		attrs                      map[string]string // on the control; "" means present without a value check
		absent                     []string
		value                      string
		help                       string
	}{
		{name: "cores", kind: "integer", control: `input[type="number"]`, label: "CPU cores",
			attrs: map[string]string{"min": "1", "max": "64", "step": "1", "required": "", "value": "2"}, help: "Between 1 and 64."},
		{name: "memory_gb", kind: "number", control: `input[type="number"]`, label: "Memory (GB)",
			attrs: map[string]string{"min": "0", "max": "512", "step": "0.5", "value": ""}, absent: []string{"required"}},
		{name: "cost_centre", kind: "text", control: `input[type="text"]`, label: "Cost centre",
			attrs: map[string]string{"required": ""}, absent: []string{"pattern"}, help: "As on your budget, e.g. CC-1234. Format: ^CC-[0-9]{4}$"},
		{name: "owner_email", kind: "text", control: `input[type="email"]`, label: "Owner's email", absent: []string{"required"}},
		{name: "needed_by", kind: "text", control: `input[type="date"]`, label: "Needed by"},
		{name: "note", kind: "textarea", control: `textarea`, label: "Note", attrs: map[string]string{"maxlength": "2000"}},
		{name: "size", kind: "select", control: `select`, label: "Disk size", absent: []string{"required"}},
		{name: "extra_disks", kind: "json", control: `textarea.mono`, label: "Extra disks", help: `Written as JSON`},
		{name: "gpu", kind: "checkbox", control: `input[type="checkbox"]`, label: "GPU", attrs: map[string]string{"value": "true"}, absent: []string{"checked"}},
		{name: "zone", kind: "radios", control: `input[type="radio"]`, label: "Zone"},
		{name: "tags", kind: "checkboxes", control: `input[type="checkbox"]`, label: "Tags"},
	}
	if n := doc.Find(`[data-testid="field"]`).Length(); n != len(cases) {
		t.Errorf("%d fields drawn, want %d", n, len(cases))
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f := field(doc, c.name)
			if f.Length() != 1 {
				t.Fatalf("%d fields named %s", f.Length(), c.name)
			}
			if k, _ := f.Attr("data-kind"); k != c.kind {
				t.Errorf("kind %q, want %q", k, c.kind)
			}
			ctl := f.Find(c.control + `[name="` + c.name + `"]`).First()
			if ctl.Length() == 0 {
				t.Fatalf("no %s named %s in %s", c.control, c.name, squash(f))
			}
			for attr, want := range c.attrs {
				got, ok := ctl.Attr(attr)
				if !ok || want != "" && got != want {
					t.Errorf("%s=%q (present %v), want %q", attr, got, ok, want)
				}
			}
			for _, attr := range c.absent {
				if v, ok := ctl.Attr(attr); ok {
					t.Errorf("%s=%q, want none", attr, v)
				}
			}
			// The label: <label for> a one-value control, the legend of a
			// group, the wrapping label of a checkbox.
			id, _ := ctl.Attr("id")
			var label string
			switch c.kind {
			case "radios", "checkboxes":
				if f.Is("fieldset") {
					label = squash(f.Find("legend"))
				}
			default:
				label = squash(doc.Find(`label[for="` + id + `"]`))
			}
			if !strings.HasPrefix(label, c.label) {
				t.Errorf("label %q, want it to start with %q", label, c.label)
			}
			if c.help != "" {
				describer := ctl
				if f.Is("fieldset") {
					describer = f
				}
				ids, _ := describer.Attr("aria-describedby")
				help := doc.Find("#" + strings.Fields(ids + " none")[0])
				if !strings.Contains(squash(help), c.help) {
					t.Errorf("aria-describedby=%q reads %q, want %q", ids, squash(help), c.help)
				}
			}
			if inv, _ := ctl.Attr("aria-invalid"); inv != "false" {
				t.Errorf("aria-invalid=%q on a form shown for the first time", inv)
			}
			if f.Find(`[role="alert"]`).Length() != 0 {
				t.Error("an error is shown on a form shown for the first time")
			}
		})
	}

	// Choices: labels from titles, the defaults chosen.
	checked := func(sel string) []string {
		var out []string
		doc.Find(sel).Each(func(_ int, s *goquery.Selection) {
			if _, ok := s.Attr("checked"); ok {
				out = append(out, s.AttrOr("value", ""))
			}
			if _, ok := s.Attr("selected"); ok {
				out = append(out, s.AttrOr("value", ""))
			}
		})
		return out
	}
	if got := checked(`input[name="zone"]`); !reflect.DeepEqual(got, []string{"eu-west"}) {
		t.Errorf("zone checked %v, want the default eu-west", got)
	}
	if got := checked(`input[name="tags"]`); !reflect.DeepEqual(got, []string{"dev"}) {
		t.Errorf("tags checked %v, want the default dev", got)
	}
	if got := words(doc.Find(`select[name="size"] option`)); got != "(none) 20 GB 50 GB 100 GB 200 GB 500 GB" {
		t.Errorf("size options %q", got)
	}
	if got := doc.Find(`select[name="size"] option[value="100"]`).Text(); got != "100 GB" {
		t.Errorf("the 100 option reads %q", got)
	}
	// A required group of radios says so on its radios; a fieldset and
	// legend name the group.
	if doc.Find(`fieldset[data-name="zone"] > legend`).Length() != 1 || doc.Find(`input[name="zone"][required]`).Length() != 3 {
		t.Error("zone is not a required fieldset of radios")
	}
	if !strings.Contains(squash(doc.Find(`label[for="af-0"]`)), "*") {
		t.Error("a required field has no marker")
	}
	// Ids are unique.
	seen := map[string]bool{}
	doc.Find("[id]").Each(func(_ int, s *goquery.Selection) {
		id := s.AttrOr("id", "")
		if seen[id] {
			t.Errorf("id %q twice", id)
		}
		seen[id] = true
	})
}

// typed is a post of the VM form with errors in several fields, as a
// person would type it.
func typed() url.Values {
	return url.Values{
		"_csrf": {"tok"}, "state": {"SUCCESS"}, "comment": {"looks fine  "},
		"cores":       {"100"},
		"zone":        {"us-east"},
		"size":        {"50"},
		"gpu":         {"true"},
		"memory_gb":   {"0"},
		"cost_centre": {"cc 12"},
		"owner_email": {"rita@example.org"},
		"note":        {"two weeks\r\n<b>then</b> release"},
		"tags":        {"prod", "gpu"},
		"extra_disks": {`[{"size_gb": 0}]`},
	}
}

// TestApprovalFormErrorsUnderFieldsAndTypedKept: a post with errors is
// drawn again with each error under its field (role=alert, aria-invalid,
// aria-describedby) and in the summary, and everything typed kept.
func TestApprovalFormErrorsUnderFieldsAndTypedKept(t *testing.T) {
	req := vmApproval(t)
	posted := typed()
	post, problems := readApprovalPost(req, posted)
	if !problems.any() || post.Answer != nil {
		t.Fatalf("the post was accepted: %+v", post)
	}
	doc, _ := render(t, templates.ApprovalPanel(approvalView(req, approver, "tok", posted, problems)))

	wantErr := map[string]string{
		"cores":       "CPU cores must be at most 64.",
		"memory_gb":   "Memory (GB) must be greater than 0.",
		"cost_centre": "Cost centre must match",
		"extra_disks": "Extra disks (at /0/size_gb) must be at least 1.",
	}
	doc.Find(`[data-testid="field"]`).Each(func(_ int, f *goquery.Selection) {
		name := f.AttrOr("data-name", "")
		errs := f.Find(`[data-testid="field-error"]`)
		want, bad := wantErr[name]
		if !bad {
			if errs.Length() != 0 {
				t.Errorf("%s shows an error: %q", name, squash(errs))
			}
			return
		}
		if errs.Length() != 1 || !strings.HasPrefix(squash(errs), want) {
			t.Errorf("%s: error %q, want %q", name, squash(errs), want)
			return
		}
		if role, _ := errs.Attr("role"); role != "alert" {
			t.Errorf("%s: error role=%q", name, role)
		}
		ctl := f.Find(`[name="` + name + `"]`).First()
		if inv, _ := ctl.Attr("aria-invalid"); inv != "true" {
			t.Errorf("%s: aria-invalid=%q", name, inv)
		}
		if ids := ctl.AttrOr("aria-describedby", ""); !strings.Contains(" "+ids+" ", " "+errs.AttrOr("id", "?")+" ") {
			t.Errorf("%s: aria-describedby=%q does not name the error %q", name, ids, errs.AttrOr("id", ""))
		}
	})
	summary := doc.Find(`[data-testid="error-summary"] a`)
	if summary.Length() != len(wantErr) {
		t.Errorf("the summary lists %d errors, want %d: %q", summary.Length(), len(wantErr), squash(summary))
	}
	summary.Each(func(_ int, a *goquery.Selection) {
		if doc.Find(a.AttrOr("href", "")).Length() != 1 {
			t.Errorf("summary link %q leads nowhere", a.AttrOr("href", ""))
		}
	})

	// What was typed, kept.
	values := map[string]string{"cores": "100", "memory_gb": "0", "cost_centre": "cc 12", "owner_email": "rita@example.org"}
	for name, want := range values {
		if got := doc.Find(`input[name="`+name+`"]`).AttrOr("value", "?"); got != want {
			t.Errorf("%s holds %q, want %q", name, got, want)
		}
	}
	if got := doc.Find(`textarea[name="note"]`).Text(); got != "two weeks\r\n<b>then</b> release" && got != "two weeks\n<b>then</b> release" {
		t.Errorf("note holds %q", got)
	}
	if got := doc.Find(`textarea[name="extra_disks"]`).Text(); got != `[{"size_gb": 0}]` {
		t.Errorf("extra_disks holds %q", got)
	}
	if got := doc.Find(`textarea[name="comment"]`).Text(); got != "looks fine  " {
		t.Errorf("the comment holds %q", got)
	}
	for sel, want := range map[string]bool{
		`input[name="zone"][value="us-east"]`: true, `input[name="zone"][value="eu-west"]`: false,
		`input[name="tags"][value="prod"]`: true, `input[name="tags"][value="gpu"]`: true, `input[name="tags"][value="dev"]`: false,
		`input[name="gpu"]`: true,
	} {
		if _, got := doc.Find(sel).Attr("checked"); got != want {
			t.Errorf("%s checked=%v, want %v", sel, got, want)
		}
	}
	if _, ok := doc.Find(`select[name="size"] option[value="50"]`).Attr("selected"); !ok {
		t.Error("the chosen size is not selected")
	}

	// Corrected, the same form is accepted with the typed values.
	posted.Set("cores", "8")
	posted.Set("memory_gb", "16.5")
	posted.Set("cost_centre", "CC-1234")
	posted.Set("extra_disks", `[{"size_gb": 100}]`)
	post, problems = readApprovalPost(req, posted)
	if problems.any() {
		t.Fatalf("the corrected post is refused: %+v", problems)
	}
	want := map[string]any{
		"cores": int64(8), "zone": "us-east", "size": int64(50), "gpu": true, "memory_gb": 16.5, "cost_centre": "CC-1234",
		"owner_email": "rita@example.org", "note": "two weeks\n<b>then</b> release", "tags": []any{"prod", "gpu"},
		"extra_disks": []any{map[string]any{"size_gb": int64(100)}},
	}
	if !reflect.DeepEqual(post.Answer, want) || !post.Approve || post.Override || post.Comment != "looks fine" {
		t.Errorf("post = %+v\nwant answer %v", post, want)
	}
}

// TestReadApprovalPost reads each button of the form.
func TestReadApprovalPost(t *testing.T) {
	valid := url.Values{"cores": {"4"}, "zone": {"eu-west"}, "cost_centre": {"CC-0001"}}
	with := func(base url.Values, kv ...string) url.Values {
		out := url.Values{}
		for k, v := range base {
			out[k] = append([]string(nil), v...)
		}
		for i := 0; i < len(kv); i += 2 {
			out.Set(kv[i], kv[i+1])
		}
		return out
	}
	proposed := vmApproval(t)
	proposed.Proposal = map[string]any{"cores": int64(4), "zone": "eu-west", "cost_centre": "CC-0001"}
	optional := vmApproval(t)
	optional.RejectReasonRequired = false
	noFields := vmApproval(t)
	noFields.Schema = nil

	cases := []struct {
		name     string
		req      approvalRequest
		form     url.Values
		want     approvalPost
		problems approvalProblems
		fields   []string // fields with an error
	}{
		{name: "approve", req: vmApproval(t), form: with(valid, "state", "SUCCESS"),
			want: approvalPost{Approve: true, Answer: map[string]any{"cores": int64(4), "zone": "eu-west", "cost_centre": "CC-0001", "gpu": false}}},
		{name: "approve with a missing field", req: vmApproval(t), form: with(valid, "state", "SUCCESS", "cores", ""),
			fields: []string{"cores"}},
		{name: "reject needs a reason", req: vmApproval(t), form: with(valid, "state", "ERROR", "cores", "999"),
			want: approvalPost{}, problems: approvalProblems{Comment: "A rejection needs a reason: say why in the comment."}},
		{name: "reject ignores the answer", req: vmApproval(t), form: with(valid, "state", "ERROR", "cores", "999", "comment", " too big "),
			want: approvalPost{Comment: "too big"}},
		{name: "reject without a reason when none is required", req: optional, form: with(valid, "state", "ERROR")},
		{name: "confirm a proposal", req: proposed, form: url.Values{"state": {"SUCCESS"}},
			want: approvalPost{Approve: true}},
		{name: "no schema, no answer", req: noFields, form: url.Values{"state": {"SUCCESS"}}, want: approvalPost{Approve: true}},
		// The form had the fields; an answer was proposed before it came.
		{name: "answered meanwhile", req: proposed, form: with(valid, "state", "SUCCESS", "answering", "1", "cores", "8"),
			want: approvalPost{Approve: true, Answer: map[string]any{"cores": int64(8), "zone": "eu-west", "cost_centre": "CC-0001", "gpu": false}}},
		{name: "answered meanwhile, wrongly", req: proposed, form: with(valid, "state", "SUCCESS", "answering", "1", "cores", "99"),
			want:     approvalPost{Approve: true},
			problems: approvalProblems{Form: []string{"Another answer was proposed while you filled in the form (it is shown above): approving now confirms it. Check it, then approve or reject."}}},
		{name: "an override confirms the proposal", req: proposed, form: url.Values{"override": {"SUCCESS"}, "reason": {"urgent"}},
			want: approvalPost{Approve: true, Override: true, Reason: "urgent", Answer: proposed.Proposal}},
		{name: "override needs a reason", req: vmApproval(t), form: with(valid, "override", "SUCCESS", "reason", "  "),
			want:     approvalPost{Approve: true, Override: true, Answer: map[string]any{"cores": int64(4), "zone": "eu-west", "cost_centre": "CC-0001", "gpu": false}},
			problems: approvalProblems{Reason: "An override needs a reason: say why you decide alone."}},
		{name: "override reject", req: vmApproval(t), form: url.Values{"override": {"ERROR"}, "reason": {"the quarter is closed"}},
			want: approvalPost{Override: true, Reason: "the quarter is closed"}},
		{name: "override approve checks the answer", req: vmApproval(t), form: with(valid, "override", "SUCCESS", "reason", "urgent", "zone", "mars"),
			want: approvalPost{Approve: true, Override: true, Reason: "urgent"}, fields: []string{"zone"}},
		{name: "no button", req: vmApproval(t), form: valid, problems: approvalProblems{Form: []string{"Choose Approve or Reject."}}},
		{name: "a strange state", req: vmApproval(t), form: with(valid, "state", "CANCELLED"), problems: approvalProblems{Form: []string{"Choose Approve or Reject."}}},
		{name: "a vote and an override", req: vmApproval(t), form: with(valid, "state", "SUCCESS", "override", "SUCCESS"),
			problems: approvalProblems{Form: []string{"Choose one decision: a vote or an override."}}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, problems := readApprovalPost(c.req, c.form)
			var fields []string
			for _, e := range problems.Fields {
				fields = append(fields, e.Field)
			}
			problems.Fields = nil
			if !reflect.DeepEqual(fields, c.fields) {
				t.Errorf("errors on %v, want %v", fields, c.fields)
			}
			if !reflect.DeepEqual(problems, c.problems) {
				t.Errorf("problems %+v, want %+v", problems, c.problems)
			}
			if len(c.fields) == 0 && !reflect.DeepEqual(got, c.want) {
				t.Errorf("post %+v, want %+v", got, c.want)
			}
		})
	}
}

// TestApprovalDecisionByViewer: who sees what. An approver gets Approve
// and Reject; an admin also the override, or only it when the rules do
// not name them; a viewer, the requester and someone who voted get no
// form.
func TestApprovalDecisionByViewer(t *testing.T) {
	voted := vmApproval(t)
	voted.Votes = append(voted.Votes, templates.Vote{User: "ann", Approve: true, Rule: 0, Channel: "dashboard", At: time.Date(2026, 5, 4, 10, 0, 0, 0, time.UTC)})
	decided := vmApproval(t)
	decided.Pending = false
	anyone := vmApproval(t)
	anyone.Spec.Approvers, anyone.Spec.Rules = nil, nil

	cases := []struct {
		name     string
		req      approvalRequest
		who      quorum.Voter
		buttons  []string // data-testid of the buttons drawn
		fields   bool
		readonly string // text of the read-only panel, "" for none
		refusal  string
		myVote   string
	}{
		{name: "approver", req: vmApproval(t), who: approver, buttons: []string{"approve", "reject"}, fields: true},
		{name: "approver by role", req: anyone, who: quorum.Voter{User: "ann", MayDecide: true}, buttons: []string{"approve", "reject"}, fields: true},
		{name: "admin among the approvers", req: vmApproval(t), who: quorum.Voter{User: "ada", Groups: []string{"security"}, Admin: true, MayDecide: true},
			buttons: []string{"approve", "reject", "override-approve", "override-reject"}, fields: true},
		{name: "admin not named", req: vmApproval(t), who: quorum.Voter{User: "ada", Admin: true, MayDecide: true},
			buttons: []string{"override-approve", "override-reject"}, fields: true,
			refusal: "Only the approvers may decide this approval: group:finance, group:security. As an admin you may override it."},
		{name: "admin with auth off", req: vmApproval(t), who: quorum.Voter{Admin: true, MayDecide: true},
			buttons: []string{"override-approve", "override-reject"}, fields: true,
			refusal: "An approval is decided by a signed-in user. As an admin you may override it."},
		{name: "viewer", req: anyone, who: quorum.Voter{User: "val"},
			readonly: "Deciding an approval needs the approver role. The approvers answer: CPU cores, Zone, Cost centre, Extra disks, GPU, Memory (GB), Needed by, Note, Owner's email, Disk size, Tags."},
		// Named (by group) but a viewer: POST /actions/<id> needs the
		// approver role, so no form the server would refuse.
		{name: "viewer among the approvers", req: vmApproval(t), who: quorum.Voter{User: "vic", Groups: []string{"finance"}},
			readonly: "You are among this approval's approvers, but deciding needs the approver role, which your account does not have: ask an admin for it. The approvers answer: CPU cores"},
		{name: "approver not named", req: vmApproval(t), who: quorum.Voter{User: "otto", Groups: []string{"ops"}, MayDecide: true},
			readonly: "Only the approvers may decide this approval: group:finance, group:security."},
		{name: "the requester", req: vmApproval(t), who: quorum.Voter{User: "rita", Groups: []string{"finance"}, MayDecide: true},
			readonly: "You requested this approval, so someone else must decide it."},
		{name: "voted already", req: voted, who: approver, myVote: "You approved this at 2026-05-04 10:00:00 UTC. Still needed: 1 more from finance and 1 more from security."},
		{name: "voted admin may still override", req: voted, who: quorum.Voter{User: "ann", Groups: []string{"finance"}, Admin: true},
			buttons: []string{"override-approve", "override-reject"}, fields: true, myVote: "You approved this"},
		{name: "decided", req: decided, who: approver},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			doc, _ := render(t, templates.ApprovalPanel(approvalView(c.req, c.who, "tok", nil, approvalProblems{})))
			decision := doc.Find(`[data-region="approval-decision"]`)
			var buttons []string
			decision.Find("button").Each(func(_ int, b *goquery.Selection) { buttons = append(buttons, b.AttrOr("data-testid", "?")) })
			if !reflect.DeepEqual(buttons, c.buttons) {
				t.Errorf("buttons %v, want %v", buttons, c.buttons)
			}
			if got := decision.Find(`[data-testid="field"]`).Length() > 0; got != c.fields {
				t.Errorf("fields drawn: %v, want %v", got, c.fields)
			}
			ro := decision.Find(`[data-testid="approval-readonly"]`)
			if got := words(ro); !strings.HasPrefix(got, c.readonly) || (c.readonly == "") != (ro.Length() == 0) {
				t.Errorf("read-only panel %q, want %q", got, c.readonly)
			}
			if ro.Length() > 0 && ro.Find("input, textarea, select, button, form").Length() > 0 {
				t.Error("the read-only panel has controls")
			}
			if len(c.buttons) == 0 && decision.Find("form").Length() != 0 {
				t.Error("a form is drawn for someone who may not decide")
			}
			if got := squash(decision.Find(`[data-testid="refusal"]`)); got != c.refusal {
				t.Errorf("refusal %q, want %q", got, c.refusal)
			}
			if got := squash(decision.Find(`[data-testid="my-vote"]`)); !strings.HasPrefix(got, c.myVote) || (c.myVote == "") != (got == "") {
				t.Errorf("own vote %q, want %q", got, c.myVote)
			}
			override := decision.Find(`details[data-testid="override"]`)
			if slicesContains(c.buttons, "override-approve") {
				if override.Length() != 1 || override.Find(`textarea[name="reason"]`).Length() != 1 {
					t.Error("the override has no reason field")
				}
				if _, open := override.Attr("open"); open {
					t.Error("the override starts open")
				}
			}
			if !c.req.Pending && words(decision) != "Decision This approval is decided; the votes above say how." {
				t.Errorf("a decided approval shows %q", words(decision))
			}
		})
	}
}

func slicesContains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// TestApprovalFormOverrideAndCommentErrors: the override's reason and the
// rejection's comment show their errors under them, and an override that
// failed keeps its panel open with the reason typed.
func TestApprovalFormOverrideAndCommentErrors(t *testing.T) {
	req := vmApproval(t)
	admin := quorum.Voter{User: "ada", Admin: true}
	posted := url.Values{"override": {"ERROR"}, "reason": {"   "}, "comment": {"x"}}
	_, problems := readApprovalPost(req, posted)
	doc, _ := render(t, templates.ApprovalPanel(approvalView(req, admin, "tok", posted, problems)))
	override := doc.Find(`details[data-testid="override"]`)
	if _, open := override.Attr("open"); !open {
		t.Error("the override panel is closed over its error")
	}
	if got := squash(override.Find(`[data-testid="reason-error"][role="alert"]`)); got != "An override needs a reason: say why you decide alone." {
		t.Errorf("reason error %q", got)
	}
	if inv := override.Find(`textarea[name="reason"]`).AttrOr("aria-invalid", ""); inv != "true" {
		t.Errorf("reason aria-invalid=%q", inv)
	}

	posted = url.Values{"state": {"ERROR"}, "comment": {""}}
	_, problems = readApprovalPost(req, posted)
	doc, _ = render(t, templates.ApprovalPanel(approvalView(req, approver, "tok", posted, problems)))
	if got := squash(doc.Find(`[data-testid="comment-error"][role="alert"]`)); got != "A rejection needs a reason: say why in the comment." {
		t.Errorf("comment error %q", got)
	}
	if ids := doc.Find(`textarea[name="comment"]`).AttrOr("aria-describedby", ""); ids != "approval-comment-error" {
		t.Errorf("comment aria-describedby=%q", ids)
	}
	if !strings.Contains(squash(doc.Find(`label[for="approval-comment"]`)), "required to reject") {
		t.Error("the comment's label does not say a rejection needs it")
	}
}

// TestApprovalProblemsOf: the engine's refusals reach the form: schema
// errors under their fields, anything else at the top.
func TestApprovalProblemsOf(t *testing.T) {
	req := vmApproval(t)
	err := schemaform.Err([]schemaform.FieldError{
		{Field: "cores", Path: "/cores", Message: "must be at most 64"},
		{Message: "has a property not in the schema"},
	})
	p := approvalProblemsOf(err)
	doc, _ := render(t, templates.ApprovalPanel(approvalView(req, approver, "tok", url.Values{"cores": {"65"}}, p)))
	if got := squash(field(doc, "cores").Find(`[data-testid="field-error"]`)); got != "CPU cores must be at most 64." {
		t.Errorf("cores error %q", got)
	}
	if got := squash(doc.Find(`[data-testid="form-error"]`)); got != "the answer has a property not in the schema." {
		t.Errorf("form error %q", got)
	}

	p = approvalProblemsOf(fault.Errorf(fault.ECONFLICT, "bob proposed another answer; approve it as it is, or reject."))
	doc, _ = render(t, templates.ApprovalPanel(approvalView(req, approver, "tok", url.Values{"cores": {"3"}}, p)))
	if got := squash(doc.Find(`[data-testid="form-error"]`)); got != "bob proposed another answer; approve it as it is, or reject." {
		t.Errorf("form error %q", got)
	}
	if got := doc.Find(`input[name="cores"]`).AttrOr("value", ""); got != "3" {
		t.Errorf("cores holds %q after a refusal", got)
	}
}

// TestApprovalProgress: the rule in words, what is missing, each rule's
// count, and the votes with the rule each counted for.
func TestApprovalProgress(t *testing.T) {
	at := time.Date(2026, 5, 4, 9, 0, 0, 0, time.UTC)
	rules := func(v any) []quorum.Rule {
		r, err := quorum.ParseRequired(v)
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
	finSec := rules([]any{map[string]any{"group": "finance", "count": int64(2)}, map[string]any{"group": "security"}})
	cases := []struct {
		name      string
		spec      quorum.Spec
		approvals []quorum.Voter
		votes     []templates.Vote
		rule      string
		missing   string
		list      string // the per-rule list, "" when there is one rule
		approvers string
		self      string
		rows      [][]string // who, vote, counted for, comment, via
	}{
		{name: "default", spec: quorum.Spec{}, rule: "Requires 1 approver", missing: "Still needed: 1 more approval",
			approvers: "Who may decide: anyone with the approver role."},
		{name: "two people", spec: quorum.Spec{Rules: rules(int64(2)), Requester: "rita"},
			approvals: []quorum.Voter{{User: "ann"}},
			votes:     []templates.Vote{{User: "ann", Approve: true, Rule: 0, Channel: "cli", At: at}},
			rule:      "Requires 2 approvers", missing: "Still needed: 1 more approval",
			approvers: "Who may decide: anyone with the approver role.", self: "rita, who asked for it, may not decide it.",
			rows: [][]string{{"ann", "approved", "any approver", "—", "CLI"}}},
		{name: "groups, the matching moves ann to security", spec: quorum.Spec{Approvers: []string{"group:finance", "group:security"}, Rules: finSec, Requester: "rita", Starter: "sam"},
			approvals: []quorum.Voter{{User: "ann", Groups: []string{"finance", "security"}}, {User: "bob", Groups: []string{"finance"}}, {User: "cy", Groups: []string{"finance"}}},
			votes: []templates.Vote{
				// ann's recorded rule is finance, as it was at her vote;
				// the tally moved her to security when cy came.
				{User: "ann", Approve: true, Rule: 0, Comment: "ok for security", Channel: "dashboard", At: at},
				{User: "bob", Approve: true, Rule: 0, Channel: "api", At: at.Add(time.Minute)},
				{User: "cy", Approve: true, Rule: 0, Channel: "api", At: at.Add(2 * time.Minute)},
				{User: "dan", Approve: false, Rule: 0, Comment: "<script>alert(1)</script>", Channel: "link", At: at.Add(3 * time.Minute)},
			},
			rule: "Requires 2 from finance and 1 from security", missing: "The rule is met.",
			list:      "2 from finance 2 of 2 1 from security 1 of 1",
			approvers: "Who may decide: group:finance, group:security.", self: "rita, who asked for it, and sam, who started the execution, may not decide it.",
			rows: [][]string{
				{"ann", "approved", "security", "ok for security", "dashboard"},
				{"bob", "approved", "finance", "—", "API"},
				{"cy", "approved", "finance", "—", "API"},
				{"dan", "rejected", "—", "<script>alert(1)</script>", "link"},
			}},
		{name: "groups, one short", spec: quorum.Spec{Approvers: []string{"group:finance", "group:security"}, Rules: finSec},
			approvals: []quorum.Voter{{User: "bob", Groups: []string{"finance"}}},
			votes:     []templates.Vote{{User: "bob", Approve: true, Rule: 0, Channel: "api", At: at}},
			rule:      "Requires 2 from finance and 1 from security", missing: "Still needed: 1 more from finance and 1 more from security",
			list: "2 from finance 1 of 2 1 from security 0 of 1", approvers: "Who may decide: group:finance, group:security.",
			rows: [][]string{{"bob", "approved", "finance", "—", "API"}}},
		{name: "met, with a user rule", spec: quorum.Spec{Approvers: []string{"user:alice", "group:ops"}, AllowSelf: true,
			Rules: rules([]any{map[string]any{"user": "alice"}, map[string]any{"count": int64(1)}})},
			approvals: []quorum.Voter{{User: "alice"}, {User: "olga", Groups: []string{"ops"}}},
			votes: []templates.Vote{{User: "alice", Approve: true, Rule: 0, Channel: "dashboard", At: at},
				{User: "olga", Approve: true, Rule: 1, Channel: "dashboard", At: at}},
			rule: "Requires alice and 1 of the approvers", missing: "The rule is met.", list: "alice 1 of 1 1 of the approvers 1 of 1",
			approvers: "Who may decide: user:alice, group:ops.",
			rows:      [][]string{{"alice", "approved", "alice", "—", "dashboard"}, {"olga", "approved", "any approver", "—", "dashboard"}}},
		{name: "an override", spec: quorum.Spec{}, votes: []templates.Vote{{User: "ada", Approve: true, Override: true, Rule: -1, Comment: "urgent", Channel: "dashboard", At: at}},
			rule: "Requires 1 approver", missing: "Still needed: 1 more approval", approvers: "Who may decide: anyone with the approver role.",
			rows: [][]string{{"ada", "approved (override)", "—", "urgent", "dashboard"}}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			res := quorum.Tally(c.spec, c.approvals)
			doc, _ := render(t, templates.ApprovalProgressView(approvalProgress(c.spec, res), voteRows(ruleList(c.spec), res, c.votes), nil))
			if got := squash(doc.Find(`[data-testid="approval-rule"]`)); got != c.rule {
				t.Errorf("rule %q, want %q", got, c.rule)
			}
			if got := squash(doc.Find(`[data-testid="approval-missing"]`)); got != c.missing {
				t.Errorf("missing %q, want %q", got, c.missing)
			}
			if got := words(doc.Find(`[data-testid="rule-list"]`)); got != c.list {
				t.Errorf("rule list %q, want %q", got, c.list)
			}
			if got := squash(doc.Find(`[data-testid="approval-approvers"]`)); got != c.approvers {
				t.Errorf("approvers %q, want %q", got, c.approvers)
			}
			if got := squash(doc.Find(`[data-testid="approval-self"]`)); got != c.self {
				t.Errorf("self-approval note %q, want %q", got, c.self)
			}
			var rows [][]string
			doc.Find(`tr[data-testid="vote"]`).Each(func(_ int, tr *goquery.Selection) {
				var row []string
				tr.Find("td").Each(func(i int, td *goquery.Selection) {
					if i < 5 {
						row = append(row, squash(td))
					}
				})
				if tr.Find("time[datetime]").Length() != 1 {
					t.Error("a vote without its time")
				}
				rows = append(rows, row)
			})
			if !reflect.DeepEqual(rows, c.rows) {
				t.Errorf("votes\n%q\nwant\n%q", rows, c.rows)
			}
			if len(c.rows) == 0 && doc.Find(`[data-testid="no-votes"]`).Length() != 1 {
				t.Error("no votes, and no word of it")
			}
			if doc.Find("script").Length() != 0 {
				t.Error("a comment became a script")
			}
		})
	}
}

// ruleList is the spec's rules with quorum's default.
func ruleList(s quorum.Spec) []quorum.Rule { return approvalRequest{Spec: s}.rules() }

// TestApprovalProposal: once an approver proposed an answer, the next
// sees it (with the fields' labels) and a form that confirms it, and the
// post needs no fields.
func TestApprovalProposal(t *testing.T) {
	req := vmApproval(t)
	at := time.Date(2026, 5, 4, 10, 0, 0, 0, time.UTC)
	req.Votes = append(req.Votes, templates.Vote{User: "bob", Approve: true, Rule: 0, Channel: "dashboard", At: at})
	req.Proposal = map[string]any{"cores": int64(8), "zone": "us-east", "cost_centre": "CC-1234", "x-extra": "kept"}
	doc, _ := render(t, templates.ApprovalPanel(approvalView(req, approver, "tok", nil, approvalProblems{})))
	p := doc.Find(`[data-testid="proposal"]`)
	if !strings.Contains(squash(p), "By bob at 2026-05-04 10:00:00 UTC") {
		t.Errorf("proposal %q", squash(p))
	}
	var rows []string
	p.Find(`table.ctx > tbody > tr`).Each(func(_ int, tr *goquery.Selection) { rows = append(rows, words(tr)) })
	if want := []string{"CPU cores 8", "Zone us-east", "Cost centre CC-1234", "x-extra kept"}; !reflect.DeepEqual(rows, want) {
		t.Errorf("proposal rows %q, want %q", rows, want)
	}
	form := doc.Find(`form[data-testid="approval-form"]`)
	if form.Find(`[data-testid="field"]`).Length() != 0 || form.Find(`[data-testid="confirming"]`).Length() != 1 {
		t.Error("the confirming form draws fields")
	}
	if post, problems := readApprovalPost(req, url.Values{"state": {"SUCCESS"}}); problems.any() || post.Answer != nil || !post.Approve {
		t.Errorf("confirming: %+v, %+v", post, problems)
	}
}

// hostile are descriptions that try to run script, load something, or
// smuggle markup.
var hostile = []struct{ name, md, shown string }{
	{"script element", "<script>alert(1)</script>", "<script>alert(1)</script>"},
	{"javascript link", "[click](javascript:alert(1))", "click"},
	{"javascript link, spelled to hide", "[click](  JaVaScRiPt&#58;alert(1))", "click"},
	{"raw html attribute", `<a href="javascript:alert(1)" onclick="alert(1)">x</a>`, `<a href="javascript:alert(1)" onclick="alert(1)">x</a>`},
	{"html block", "<div style=\"position:fixed\" onmouseover=\"alert(1)\">\ncover\n</div>", "<div"},
	{"image with onerror", `<img src=x onerror=alert(1)>`, "<img src=x onerror=alert(1)>"},
	{"remote image", "![tracker](https://evil.example/t.png)", "tracker"},
	{"data uri", "[x](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)", "x"},
	{"iframe", "<iframe src=https://evil.example></iframe>", "<iframe"},
	{"svg", "<svg onload=alert(1)>", "<svg onload=alert(1)>"},
}

// TestApprovalDescriptionHarmless renders hostile descriptions in the
// whole panel: nothing runs, loads, or styles, and the markup is shown as
// text. The title, plain text, is escaped.
func TestApprovalDescriptionHarmless(t *testing.T) {
	for _, c := range hostile {
		t.Run(c.name, func(t *testing.T) {
			req := vmApproval(t)
			req.Description = "Before.\n\n" + c.md + "\n\nAfter."
			req.Title = `<img src=x onerror=alert(1)> title`
			doc, html := render(t, templates.ApprovalPanel(approvalView(req, approver, "tok", nil, approvalProblems{})))
			desc := doc.Find(`[data-testid="approval-description"]`)
			if !strings.Contains(desc.Text(), c.shown) {
				t.Errorf("the description reads %q, want it to show %q", desc.Text(), c.shown)
			}
			if !strings.Contains(desc.Text(), "After.") {
				t.Error("the description swallowed what follows")
			}
			checkHarmless(t, doc, html)
			if got := doc.Find(`[data-testid="approval-title"]`).Text(); got != req.Title {
				t.Errorf("title %q", got)
			}
		})
	}
	// A safe link keeps its target, with rel.
	doc, _ := render(t, templates.ApprovalPanel(approvalView(vmApproval(t), approver, "tok", nil, approvalProblems{})))
	a := doc.Find(`[data-testid="approval-description"] a`)
	if a.AttrOr("href", "") != "https://wiki.example/q3" || a.AttrOr("rel", "") != "noopener noreferrer" {
		t.Errorf("link %v", a.Nodes[0].Attr)
	}
	if doc.Find(`[data-testid="approval-description"] strong`).Text() != "large" {
		t.Error("Markdown is not rendered")
	}
}

// checkHarmless fails on anything in a page that could run script, load
// from elsewhere, or style inline (the CSP refuses inline styles).
func checkHarmless(t *testing.T, doc *goquery.Document, html string) {
	t.Helper()
	if doc.Find("script, img, iframe, svg, object, embed, style, link, meta, base").Length() != 0 {
		t.Errorf("an active element in the page:\n%s", html)
	}
	doc.Find("*").Each(func(_ int, s *goquery.Selection) {
		for _, a := range s.Nodes[0].Attr {
			key, val := strings.ToLower(a.Key), strings.ToLower(strings.TrimSpace(a.Val))
			if strings.HasPrefix(key, "on") || key == "style" || key == "src" || key == "srcset" {
				t.Errorf("<%s %s=%q>", goquery.NodeName(s), a.Key, a.Val)
			}
			if (key == "href" || key == "action" || key == "formaction") && !(strings.HasPrefix(val, "https://") || strings.HasPrefix(val, "/") || strings.HasPrefix(val, "#") || strings.HasPrefix(val, "mailto:")) {
				t.Errorf("<%s %s=%q>", goquery.NodeName(s), a.Key, a.Val)
			}
		}
	})
}

// TestContextTable: objects as key/value rows, arrays as numbered rows,
// scalars formatted, nested values nested; past the bounds the rest is
// summarised and the raw JSON offered.
func TestContextTable(t *testing.T) {
	deep := any("bottom")
	for range 10 {
		deep = map[string]any{"level": deep}
	}
	wide := make([]any, 500)
	for i := range wide {
		wide[i] = int64(i)
	}
	many := map[string]any{}
	for i := range 30 {
		row := map[string]any{}
		for j := range 30 {
			row[fmt.Sprintf("k%02d", j)] = int64(j)
		}
		many[fmt.Sprintf("r%02d", i)] = row
	}
	huge := make([]any, 20000)
	for i := range huge {
		huge[i] = strings.Repeat("x", 10)
	}

	cases := []struct {
		name      string
		value     any
		rows      []string // the top table's rows, "" to skip
		shortened bool
		check     func(t *testing.T, doc *goquery.Document)
	}{
		{name: "nothing", value: nil, check: func(t *testing.T, doc *goquery.Document) {
			if doc.Find(`[data-testid="context-empty"]`).Length() != 1 {
				t.Error("no word that there is no context")
			}
		}},
		{name: "scalars", value: map[string]any{
			"int": int64(42), "float": 1.0, "big": 1e21, "yes": true, "null": nil, "empty": "", "text": "a\nb <i>",
			"list": []any{}, "object": map[string]any{},
		}, rows: []string{"big 1e+21", "empty (empty text)", "float 1.0", "int 42", "list (empty list)", "null null", "object (no entries)", "text a b <i>", "yes true"}},
		{name: "nested", value: map[string]any{
			"requester": "rita",
			"disks":     []any{map[string]any{"size_gb": int64(100)}, map[string]any{"size_gb": int64(200), "tags": []any{"fast"}}},
		}, rows: []string{"disks 1 size_gb 100 2 size_gb 200 tags 1 fast", "requester rita"},
			check: func(t *testing.T, doc *goquery.Document) {
				if got := words(doc.Find(`table.ctx-object > tbody > tr > td > table.ctx-array > tbody > tr > th`)); got != "1 2 1" {
					t.Errorf("array rows numbered %q", got)
				}
				if n := doc.Find(`th[scope="row"]`).Length(); n != 8 {
					t.Errorf("%d row headers, want 8", n)
				}
			}},
		{name: "a top-level array", value: []any{"a", int64(2)}, rows: []string{"1 a", "2 2"}},
		{name: "a top-level scalar", value: "just text", check: func(t *testing.T, doc *goquery.Document) {
			if got := squash(doc.Find(`[data-testid="context"]`)); got != "just text" {
				t.Errorf("scalar %q", got)
			}
		}},
		{name: "deep", value: deep, shortened: true, check: func(t *testing.T, doc *goquery.Document) {
			if n := doc.Find("table.ctx").Length(); n != contextMaxDepth {
				t.Errorf("%d nested tables, want %d", n, contextMaxDepth)
			}
			if got := squash(doc.Find(`[data-testid="ctx-collapsed"]`)); !strings.HasPrefix(got, "1 entry, not shown here") {
				t.Errorf("collapsed %q", got)
			}
			if raw := doc.Find(`[data-testid="context-raw"] pre`).Text(); !strings.Contains(raw, `"bottom"`) {
				t.Errorf("raw %q", raw)
			}
		}},
		{name: "wide", value: wide, shortened: true, check: func(t *testing.T, doc *goquery.Document) {
			if n := doc.Find("table.ctx > tbody > tr > th").Length(); n != contextMaxRows {
				t.Errorf("%d rows, want %d", n, contextMaxRows)
			}
			if got := squash(doc.Find(`[data-testid="ctx-more"]`)); got != "… and 450 more of 500 items" {
				t.Errorf("more %q", got)
			}
		}},
		{name: "many cells", value: many, shortened: true, check: func(t *testing.T, doc *goquery.Document) {
			if n := doc.Find("th[scope=row]").Length(); n != contextMaxCells {
				t.Errorf("%d rows in all, want the cap %d", n, contextMaxCells)
			}
			if doc.Find(`[data-testid="ctx-more"]`).Length() == 0 {
				t.Error("the rows left out are not counted")
			}
		}},
		{name: "long text", value: map[string]any{"log": strings.Repeat("é", 3000)}, shortened: true, check: func(t *testing.T, doc *goquery.Document) {
			if got := doc.Find(".ctx-string").Text(); len(got) > contextMaxText+len("…") || !strings.HasSuffix(got, "…") {
				t.Errorf("the text is %d bytes", len(got))
			}
			if doc.Find(`[data-testid="ctx-clipped"]`).Length() != 1 {
				t.Error("the cut is not marked")
			}
		}},
		{name: "huge: the raw view is bounded and links the download", value: huge, shortened: true, check: func(t *testing.T, doc *goquery.Document) {
			raw := doc.Find(`[data-testid="context-raw"]`)
			if n := len(raw.Find("pre").Text()); n > 64<<10+len("…") {
				t.Errorf("the raw view is %d bytes", n)
			}
			if href := raw.Find(`[data-testid="raw-link"]`).AttrOr("href", ""); href != "/actions/act-1/context.json" {
				t.Errorf("download link %q", href)
			}
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			tbl := contextTable(c.value, "/actions/act-1/context.json")
			doc, html := render(t, templates.ContextView(tbl, "h"))
			if c.rows != nil {
				var rows []string
				doc.Find(`[data-testid="context"] > table > tbody > tr`).Each(func(_ int, tr *goquery.Selection) { rows = append(rows, words(tr)) })
				if !reflect.DeepEqual(rows, c.rows) {
					t.Errorf("rows\n%q\nwant\n%q", rows, c.rows)
				}
			}
			if got := doc.Find(`[data-testid="context-raw"]`).Length() == 1; got != c.shortened || tbl.Shortened != c.shortened {
				t.Errorf("raw offered: %v (Shortened %v), want %v", got, tbl.Shortened, c.shortened)
			}
			if c.check != nil {
				c.check(t, doc)
			}
			if doc.Find("pre").Length() > 0 && !c.shortened {
				t.Error("raw JSON shown for a value that fits")
			}
			checkHarmless(t, doc, html)
		})
	}
}

// TestApprovalPanelOrderAndCSP: the panel reads in the order a person
// decides in, and has nothing the Content-Security-Policy would refuse.
func TestApprovalPanelOrderAndCSP(t *testing.T) {
	admin := quorum.Voter{User: "ada", Groups: []string{"finance"}, Admin: true}
	_, problems := readApprovalPost(vmApproval(t), typed())
	doc, html := render(t, templates.ApprovalPanel(approvalView(vmApproval(t), admin, "tok", typed(), problems)))
	var order []string
	doc.Find(`[data-testid="approval-description"], [data-testid="context"], [data-testid="approval-rule"], [data-testid="votes"], form`).Each(func(_ int, s *goquery.Selection) {
		order = append(order, s.AttrOr("data-testid", ""))
	})
	if want := []string{"approval-description", "context", "approval-rule", "votes", "approval-form"}; !reflect.DeepEqual(order, want) {
		t.Errorf("order %v, want %v", order, want)
	}
	checkHarmless(t, doc, html)
	if doc.Find("main, html").Length() > 0 && strings.Contains(html, "<main") {
		t.Error("the panel draws a page frame")
	}
}
