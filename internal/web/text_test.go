package web_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// TestApprovalCommentWithNUL: a comment holding a NUL character (which
// Sirocco does not store) is refused naming the field, and the page shows
// again everything typed; no vote is recorded.
func TestApprovalCommentWithNUL(t *testing.T) {
	t.Parallel()
	e := approvalEnv(t)
	id := e.startAs("rita", "request_vm")
	path := "/actions/" + id
	fin1 := e.as("fin1")
	p := fin1.post(path, url.Values{"_csrf": {fin1.get(path).csrf()}, "state": {"SUCCESS"}, "cores": {"8"}, "zone": {"us-east"},
		"note": {"two weeks"}, "comment": {"fine\x00 by finance"}})
	if p.status != http.StatusBadRequest {
		t.Fatalf("a comment with a NUL: %d, want 400", p.status)
	}
	if got := squashed(p.doc.Find(`[data-testid="form-error"]`)); !strings.Contains(got, "comment holds a NUL character (U+0000), which Sirocco does not store") {
		t.Errorf("the refusal at the top of the form %q", got)
	}
	// The page holds the comment as typed; a browser (and goquery's
	// HTML parser) shows its NUL as U+FFFD in a textarea.
	if !strings.Contains(p.body, "fine\x00 by finance") {
		t.Error("the page lacks the comment as typed")
	}
	if got := p.doc.Find(`textarea[name="comment"]`).Text(); got != "fine\uFFFD by finance" {
		t.Errorf("after the refusal the comment holds %q", got)
	}
	if got := p.doc.Find(`input[name="note"], textarea[name="note"]`); got.AttrOr("value", got.Text()) != "two weeks" {
		t.Errorf("after the refusal the note holds %q", got.AttrOr("value", got.Text()))
	}
	if votes, _ := e.eng.ApprovalStatus(context.Background(), id); len(votes.Votes) != 0 {
		t.Errorf("a refused comment recorded %d votes", len(votes.Votes))
	}
}
