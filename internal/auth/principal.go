package auth

import "time"

// Principal is who makes a request.
type Principal struct {
	// User is the account name ("" for a callback token).
	User string
	// Groups are the account's groups as the request found them: who may
	// decide an approval, and for which of its rules, depends on them.
	Groups []string
	Role   Role
	// Method is how it authenticated: "session", "token", "callback", or
	// "off" when authentication is disabled.
	Method string
	// ActionID is the one action a callback token may complete.
	ActionID string
	// TokenID names the API token used.
	TokenID string
	// Session is the hash of the dashboard session used, and Expires when
	// it ends (session principals only); live connections close with it.
	Session string
	Expires time.Time
}

// Name is how the principal appears in records.
func (p *Principal) Name() string {
	switch {
	case p == nil || p.Method == MethodOff:
		return ""
	case p.Method == MethodCallback:
		return "callback token"
	}
	return p.User
}

// Authentication methods.
const (
	MethodSession  = "session"
	MethodToken    = "token"
	MethodCallback = "callback"
	MethodOff      = "off"
)
