package web

import (
	"bytes"
	"context"
	"html"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/sirocco-project/sirocco/internal/jsonvalue"
	"github.com/sirocco-project/sirocco/internal/quorum"
	"github.com/sirocco-project/sirocco/internal/schemaform"
	"github.com/sirocco-project/sirocco/web/static"
	"github.com/sirocco-project/sirocco/web/templates"
)

// vmSchema is the answer schema of the tests' approval: a VM request with
// a field of every kind the form draws.
const vmSchema = `{
  "type": "object",
  "required": ["cores", "zone", "cost_centre"],
  "additionalProperties": false,
  "properties": {
    "cores": {"type": "integer", "title": "CPU cores", "description": "Between 1 and 64.", "minimum": 1, "maximum": 64, "default": 2},
    "zone": {"title": "Zone", "enum": ["eu-west", "us-east", "ap-south"], "default": "eu-west"},
    "size": {"title": "Disk size", "oneOf": [
      {"const": 20, "title": "20 GB"}, {"const": 50, "title": "50 GB"}, {"const": 100, "title": "100 GB"},
      {"const": 200, "title": "200 GB"}, {"const": 500, "title": "500 GB"}]},
    "gpu": {"type": "boolean", "title": "GPU", "default": false},
    "memory_gb": {"type": "number", "title": "Memory (GB)", "exclusiveMinimum": 0, "maximum": 512, "multipleOf": 0.5},
    "cost_centre": {"type": "string", "title": "Cost centre", "description": "As on your budget, e.g. CC-1234.", "pattern": "^CC-[0-9]{4}$"},
    "owner_email": {"type": "string", "format": "email", "title": "Owner's email"},
    "needed_by": {"type": "string", "format": "date", "title": "Needed by"},
    "note": {"type": "string", "title": "Note", "maxLength": 2000},
    "tags": {"type": "array", "title": "Tags", "items": {"enum": ["prod", "staging", "dev", "batch", "gpu"]}, "uniqueItems": true, "default": ["dev"]},
    "extra_disks": {"type": "array", "title": "Extra disks",
      "items": {"type": "object", "properties": {"size_gb": {"type": "integer", "minimum": 1}}, "required": ["size_gb"]}}
  }
}`

// compileSchema compiles a schema written as JSON text.
func compileSchema(t testing.TB, text string) *schemaform.Schema {
	t.Helper()
	doc, err := jsonvalue.Decode([]byte(text))
	if err != nil {
		t.Fatal(err)
	}
	s, err := schemaform.Compile(jsonvalue.Unordered(doc)) // schemaform reads Go maps
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// vmApproval is the tests' approval: two from finance and one from
// security, asked by rita, with one finance approval so far.
func vmApproval(t testing.TB) approvalRequest {
	t.Helper()
	rules, err := quorum.ParseRequired([]any{
		map[string]any{"group": "finance", "count": int64(2)},
		map[string]any{"group": "security", "count": int64(1)},
	})
	if err != nil {
		t.Fatal(err)
	}
	spec := quorum.Spec{Approvers: []string{"group:finance", "group:security"}, Rules: rules, Requester: "rita", Starter: "rita"}
	at := time.Date(2026, 5, 4, 9, 30, 0, 0, time.UTC)
	return approvalRequest{
		ActionID: "act-1", Pending: true,
		Title:       "A VM for the Q3 load test",
		Description: "Rita needs a **large** VM for two weeks. See [the plan](https://wiki.example/q3).",
		RequestedBy: "rita",
		Context: map[string]any{
			"project": "checkout", "budget_eur": int64(1200),
			"owners": []any{"rita", "sam"},
			"limits": map[string]any{"cpu": int64(64), "ram_gb": 256.0},
		},
		Schema:               compileSchema(t, vmSchema),
		Spec:                 spec,
		Result:               quorum.Tally(spec, []quorum.Voter{{User: "fred", Groups: []string{"finance"}}}),
		Votes:                []templates.Vote{{User: "fred", Approve: false, Rule: -1, Comment: "", Channel: "api", At: at}},
		RejectReasonRequired: true,
	}
}

// PreviewCSRF is the form token of the approval preview.
const PreviewCSRF = "preview-token"

// ApprovalPreview serves the approval components for the browser test,
// as the later action page will: GET /approval draws the approval of
// vmApproval for an approver in finance; POST /approval reads the form
// back with readApprovalPost and shows it again with its errors (422), or
// records the decision and redirects to GET /approval/recorded, which
// shows the recorded answer as canonical JSON.
func ApprovalPreview(t testing.TB) http.Handler {
	req := vmApproval(t)
	req.Votes = nil
	req.Result = quorum.Tally(req.Spec, nil)
	who := quorum.Voter{User: "ann", Groups: []string{"finance"}, MayDecide: true}
	var mu sync.Mutex
	var recorded []byte

	page := func(w http.ResponseWriter, status int, body func(*bytes.Buffer) error) {
		var buf bytes.Buffer
		buf.WriteString(`<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>Approval preview</title>` +
			`<link rel="stylesheet" href="` + static.Path("app.css") + `"><script src="` + static.Path("live.js") + `" defer></script>` +
			`</head><body><main id="main">`)
		if err := body(&buf); err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		buf.WriteString(`</main></body></html>`)
		h := w.Header()
		h.Set("Content-Type", "text/html; charset=utf-8")
		// The dashboard's policy: no inline script or style.
		h.Set("Content-Security-Policy", "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; form-action 'self'; base-uri 'none'")
		w.WriteHeader(status)
		w.Write(buf.Bytes())
	}
	draw := func(w http.ResponseWriter, status int, v templates.ApprovalView) {
		page(w, status, func(b *bytes.Buffer) error { return templates.ApprovalPanel(v).Render(context.Background(), b) })
	}

	mux := http.NewServeMux()
	mux.Handle("GET /static/", static.Handler())
	mux.HandleFunc("GET /approval", func(w http.ResponseWriter, r *http.Request) {
		v := approvalView(req, who, PreviewCSRF, nil, approvalProblems{})
		v.Form.Action = "/approval"
		draw(w, http.StatusOK, v)
	})
	mux.HandleFunc("POST /approval", func(w http.ResponseWriter, r *http.Request) {
		if err := r.ParseForm(); err != nil || r.PostForm.Get("_csrf") != PreviewCSRF {
			http.Error(w, "bad form", http.StatusBadRequest)
			return
		}
		post, problems := readApprovalPost(req, r.PostForm)
		if problems.any() {
			v := approvalView(req, who, PreviewCSRF, r.PostForm, problems)
			v.Form.Action = "/approval"
			draw(w, http.StatusUnprocessableEntity, v)
			return
		}
		canon, err := jsonvalue.Canonical(map[string]any{"approve": post.Approve, "answer": post.Answer, "comment": post.Comment})
		if err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		mu.Lock()
		recorded = canon
		mu.Unlock()
		http.Redirect(w, r, "/approval/recorded", http.StatusSeeOther)
	})
	mux.HandleFunc("GET /approval/recorded", func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		text := string(recorded)
		mu.Unlock()
		page(w, http.StatusOK, func(b *bytes.Buffer) error {
			b.WriteString(`<pre data-testid="recorded">` + html.EscapeString(text) + `</pre>`)
			return nil
		})
	})
	return mux
}

// BigWorkflow is a definition of n tasks, for the graph's tests.
var BigWorkflow = bigWorkflow
