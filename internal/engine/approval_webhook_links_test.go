package engine

import (
	"strings"
	"testing"
	"time"
)

// TestApprovalBodyLinks: the people's decision links go in an approval
// event only with -notify-links (NotifyConfig.Links), sorted by user;
// without it the body has no links key even when links were issued. An
// approval run on its own has no execution, root, workflow or task.
func TestApprovalBodyLinks(t *testing.T) {
	t.Parallel()
	at := time.Date(2026, 12, 7, 12, 0, 0, 0, time.UTC)
	n := &approvalNotice{Event: ApprovalRequested, Action: &ActionExecution{ID: "act-1", CreatedAt: at},
		Request: &Approval{Title: "Ship it", Approvers: []string{"user:bob", "user:ann"}},
		Links:   map[string]string{"bob": "https://s.example/links/b0b", "ann": "https://s.example/links/a22"}}
	missing := "1 more approval"
	with := string(approvalBody(n, "ev-1", "https://s.example", &missing, true, at))
	want := `{"event": "approval.requested", "event_id": "ev-1", "id": "act-1", "title": "Ship it", "url": "https://s.example/actions/act-1", ` +
		`"requested_by": null, "approvers": ["user:bob", "user:ann"], "missing": "1 more approval", "execution_id": null, ` +
		`"root_execution_id": null, "workflow_name": null, "task_name": null, "task_execution_id": null, ` +
		`"created_at": "2026-12-07 12:00:00", "at": "2026-12-07 12:00:00", ` +
		`"links": {"ann": "https://s.example/links/a22", "bob": "https://s.example/links/b0b"}}`
	if with != want {
		t.Errorf("with -notify-links:\n got %s\nwant %s", with, want)
	}
	without := string(approvalBody(n, "ev-1", "https://s.example", &missing, false, at))
	if strings.Contains(without, "links") || without != want[:strings.Index(want, `, "links"`)]+"}" {
		t.Errorf("without -notify-links: %s", without)
	}
	n.Links = nil
	if got := string(approvalBody(n, "ev-1", "https://s.example", &missing, true, at)); !strings.HasSuffix(got, `"links": {}}`) {
		t.Errorf("with -notify-links and no link issued: %s; want links {}", got)
	}
}
