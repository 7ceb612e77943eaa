package templates

import "time"

// LinkView is a decision link's page: the approval as its person sees it,
// and the decision form, which posts to the link.
type LinkView struct {
	Page
	// Person is who the link was sent to; Expires when it stops deciding.
	Person   string
	Expires  time.Time
	Approval ApprovalView
	// ActionURL is the approval's page in the dashboard.
	ActionURL string
}

// LinkDoneView is the page after a link's decision was recorded.
type LinkDoneView struct {
	Page
	Person    string
	UsedAt    time.Time
	ActionURL string
}

// DecisionLinks are an approval's decision links as its action page lists
// them: all of them for an admin, the viewer's own for anyone else.
type DecisionLinks struct {
	// Shown is false when the panel is left out (links are off, or the
	// viewer has none and is no admin).
	Shown bool
	Links []DecisionLinkRow
	CSRF  string
}

// DecisionLinkRow is one link: whose, issued with what, its state, and
// whether the viewer may revoke it (RevokeURL set).
type DecisionLinkRow struct {
	ID        string
	User      string
	Event     string
	CreatedAt time.Time
	ExpiresAt time.Time
	// State is live, used, revoked or expired; Detail says when and by
	// whom ("by root at …").
	State     string
	Detail    string
	RevokeURL string
}
