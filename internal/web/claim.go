package web

import (
	"net/http"

	"github.com/labstack/echo/v4"
	"github.com/sirocco-project/sirocco/internal/engine"
	"github.com/sirocco-project/sirocco/web/templates"
)

// Claims and presence on an approval's page and in the inbox: "alice is
// handling this" (a soft lock that expires, engine.ClaimApproval), and who
// else has the page open (the hub's presence).

// Viewers is what the dashboard asks the hub about presence; a LiveHandler
// without it shows nobody.
type Viewers interface {
	Viewers(actionID string) []string
}

// claimant is the person of the request as the claims see them.
func claimant(c echo.Context) engine.Claimant {
	v := voterOf(c)
	return engine.Claimant{User: v.User, Admin: v.Admin, MayDecide: v.MayDecide}
}

// handling builds the claim and presence panel of a pending approval.
func (s *Server) handling(c echo.Context, id, csrf string, pending bool) *templates.HandlingView {
	if !pending {
		return nil
	}
	who := claimant(c)
	h := &templates.HandlingView{ActionID: id, CSRF: csrf, Me: who.User, CanClaim: who.User != "" && who.MayDecide, CanRelease: who.Admin}
	if v, ok := s.live.(Viewers); ok {
		h.Viewers = v.Viewers(id)
	}
	claims, err := s.engine.Claims(c.Request().Context(), []string{id})
	if err != nil {
		s.log.Warn("claims of an approval", "id", id, "err", err)
		return h
	}
	if cl := claims[id]; cl != nil {
		h.ClaimedBy, h.Until, h.Mine = cl.User, cl.ExpiresAt, cl.User == who.User && who.User != ""
	}
	return h
}

// markClaims writes who handles each approval row.
func (s *Server) markClaims(c echo.Context, rows []templates.InboxRow) {
	var ids []string
	for _, r := range rows {
		if r.Approval != nil {
			ids = append(ids, r.ID)
		}
	}
	if len(ids) == 0 {
		return
	}
	claims, err := s.engine.Claims(c.Request().Context(), ids)
	if err != nil {
		s.log.Warn("claims of the inbox", "err", err)
		return
	}
	for i := range rows {
		if cl := claims[rows[i].ID]; cl != nil && rows[i].Approval != nil {
			rows[i].Approval.ClaimedBy = cl.User
		}
	}
}

// claim serves POST /actions/<id>/claim: op=claim claims the approval (or
// renews one's claim), op=release releases it; then back to its page.
func (s *Server) claim(c echo.Context) error {
	id := c.Param("id")
	ctx := c.Request().Context()
	var err error
	notice := "claimed"
	switch c.FormValue("op") {
	case "claim":
		_, err = s.engine.ClaimApproval(ctx, id, claimant(c))
	case "release":
		err, notice = s.engine.ReleaseApproval(ctx, id, claimant(c)), "released"
	default:
		return s.errorPage(c, http.StatusBadRequest, `op must be "claim" or "release". Nothing was changed.`)
	}
	if err != nil {
		return s.fail(c, err)
	}
	return c.Redirect(http.StatusSeeOther, actionURL(id)+"?notice="+notice)
}
