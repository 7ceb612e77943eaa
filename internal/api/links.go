package api

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/sirocco-project/sirocco/internal/engine"
)

// Decision links over JSON (a Sirocco extension, outside /v2): an
// approval's links, and revoking one. Tokens are never listed: only the
// person a link was sent to ever sees it.
func (a *API) registerLinks(e *echo.Echo) {
	e.GET("/sirocco/approvals/:id/links", a.listLinks) // an approval's decision links: all for an admin, one's own otherwise
	e.DELETE("/sirocco/links/:id", a.revokeLink)       // revoke a decision link (an admin, or its person)
}

func linkJSON(l *engine.DecisionLink, state string) object {
	return object{{"id", l.ID}, {"action_execution_id", l.ActionExecutionID}, {"user", l.User}, {"event", string(l.Event)},
		{"state", state}, {"created_at", fmtTime(l.CreatedAt)}, {"expires_at", fmtTime(l.ExpiresAt)},
		{"used_at", fmtTimePtr(l.UsedAt)}, {"revoked_at", fmtTimePtr(l.RevokedAt)}, {"revoked_by", l.RevokedBy}}
}

func (a *API) listLinks(c echo.Context) error {
	links, err := a.engine.DecisionLinks(c.Request().Context(), c.Param("id"))
	if err != nil {
		return a.fault(c, err)
	}
	who := actor(c)
	out := make([]object, 0, len(links))
	for _, l := range links {
		if who != nil && (who.Admin || who.User == l.User) {
			out = append(out, linkJSON(l, a.engine.LinkState(l)))
		}
	}
	return writeJSON(c, http.StatusOK, object{{"links", out}})
}

func (a *API) revokeLink(c echo.Context) error {
	l, err := a.engine.RevokeLink(c.Request().Context(), c.Param("id"), actor(c))
	if err != nil {
		return a.fault(c, err)
	}
	return writeJSON(c, http.StatusOK, linkJSON(l, a.engine.LinkState(l)))
}
