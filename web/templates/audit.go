package templates

import (
	"strconv"
	"time"
)

// The view models of the Audit page (admin): the audit trail, newest
// first, with its filters and the chain's head. internal/web fills them
// (audit.go there) from the engine's records.

// AuditView is the Audit page.
type AuditView struct {
	Page
	Filter AuditFilter
	// Error names a filter that could not be read; the table is then
	// empty and the page answers 400.
	Error string
	// Head is the trail's end, "SEQ:HASH", to keep elsewhere (audit
	// verify -head checks it later); Anchored says whether the server
	// anchors it with its audit key.
	Head     string
	Anchored bool
	Rows     []AuditRow
	NextURL  string
	FirstURL string
	// CSVURL and JSONURL export the page shown, with its filters.
	CSVURL, JSONURL string
}

// AuditFilter is the filter form, as typed.
type AuditFilter struct {
	Action, User, Outcome, Kind, Since, Until string
}

// AuditRow is one record of the trail.
type AuditRow struct {
	Seq       int64
	At        time.Time
	Kind      string
	Outcome   string
	Actor     string
	Groups    string
	Channel   string
	Addr      string
	ActionID  string
	ActionURL string
	State     string
	Reason    string
	Comment   string
	Answer    JSONText
	Hash      string
}

func fmtInt(n int64) string { return strconv.FormatInt(n, 10) }
