package guard

import (
	"github.com/labstack/echo/v4"
	"github.com/sirocco-project/sirocco/internal/auth"
	"github.com/sirocco-project/sirocco/internal/engine"
)

// Decider is the person behind the request, as a vote on an approval
// needs them (engine.Completion.Decider), with the channel the request
// came through and the client's address.
func Decider(c echo.Context, channel string) *engine.Decider {
	return DeciderOf(FromContext(c), channel, ClientAddr(c))
}

// DeciderOf makes the engine's Decider of principal p: nil for
// credentials that are no person's (a callback token, a token without a
// user) and for no principal at all; the local admin, with no name, when
// authentication is off.
func DeciderOf(p *auth.Principal, channel, addr string) *engine.Decider {
	switch {
	case p == nil || p.Method == auth.MethodCallback:
		return nil
	case p.Method == auth.MethodOff:
		return &engine.Decider{Role: string(auth.RoleAdmin), MayDecide: true, Admin: true, Channel: channel, Addr: addr}
	case p.User == "":
		return nil
	}
	return &engine.Decider{User: p.User, Groups: p.Groups, Role: string(p.Role), MayDecide: p.Role.Allows(auth.RoleApprover),
		Admin: p.Role.Allows(auth.RoleAdmin), Channel: channel, Addr: addr}
}

// Actor is the person behind the request as the audit trail records an
// administrative change to accounts (auth.Actor), with the channel the
// request came through and the client's address.
func Actor(c echo.Context, channel string) auth.Actor {
	return ActorOf(FromContext(c), channel, ClientAddr(c))
}

// ActorOf makes the auth.Actor of principal p: the account and its groups
// ("" for the local admin when authentication is off, and for no
// principal).
func ActorOf(p *auth.Principal, channel, addr string) auth.Actor {
	a := auth.Actor{Channel: channel, Addr: addr}
	if p != nil && p.Method != auth.MethodOff {
		a.User, a.Groups = p.User, p.Groups
	}
	return a
}
