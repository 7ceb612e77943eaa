package api

import (
	"encoding/json"
	"net/http"
	"strings"
	"unicode/utf8"

	"github.com/labstack/echo/v4"
	"github.com/sirocco-project/sirocco/internal/engine"
	"github.com/sirocco-project/sirocco/internal/fault"
	"github.com/sirocco-project/sirocco/internal/guard"
	"github.com/sirocco-project/sirocco/internal/httpstatus"
)

// BulkDecidePath is the route of bulk decisions for scripts: a Sirocco
// route, outside Mistral's /v2.
const BulkDecidePath = "/sirocco/approvals/decide"

// registerBulk adds the bulk decision and claim routes.
func (a *API) registerBulk(e *echo.Echo) {
	e.POST(BulkDecidePath, a.decideBulk)   // approve or reject several approvals (allow_bulk) at once; 200 with a result per item
	e.POST(ClaimPath, a.claimApproval)     // "I am handling this": a soft lock that expires
	e.DELETE(ClaimPath, a.releaseApproval) // release one's claim (an admin: anyone's)
}

var bulkAttrs = setOf("state", "comment", "output", "items")

// decideBulk serves POST /sirocco/approvals/decide:
//
//	{"state": "SUCCESS"|"ERROR", "comment": "…", "output": {…},
//	 "items": ["<id>", {"id": "<id>", "shown": "<digest>"}, …]}
//
// Each item is a vote of its own (engine.DecideBulk); the answer is 200
// with one result per item, in order: {"id", "title", "outcome":
// "decided"|"counted"|"refused", "state", "faultcode", "faultstring"}.
// A body no item could take is a 400 naming the field.
func (a *API) decideBulk(c echo.Context) error {
	m, err := a.decodeBody(c, "bulk", bulkAttrs)
	if err != nil {
		return a.fault(c, err)
	}
	state, _, err := stringField(m, "state")
	if err != nil {
		return a.fault(c, err)
	}
	if state != string(engine.StateSuccess) && state != string(engine.StateError) {
		return a.fault(c, invalid("Invalid input for field/attribute state: SUCCESS approves, ERROR rejects; got '%s'", state))
	}
	comment, _, err := stringField(m, "comment")
	if err != nil {
		return a.fault(c, err)
	}
	if comment = strings.TrimSpace(comment); utf8.RuneCountInString(comment) > maxRemark {
		return a.fault(c, invalid("Invalid input for field/attribute comment: at most %d characters", maxRemark))
	}
	items, err := bulkItems(m["items"])
	if err != nil {
		return a.fault(c, err)
	}
	channel := via(c)
	comp := engine.Completion{State: engine.State(state), Via: channel, Comment: comment, Note: decidedBy(c, comment),
		Decider: guard.Decider(c, channel), Authorize: guard.AuthorizeMove(c)}
	if raw, ok := m["output"]; ok {
		v, err := callbackOutput(raw)
		if err != nil {
			return a.fault(c, err)
		}
		comp.Output, comp.HasOutput = v, true
	}
	res, err := a.engine.DecideBulk(c.Request().Context(), items, comp)
	if err != nil {
		return a.fault(c, err)
	}
	out := make([]any, 0, len(res))
	for _, r := range res {
		if r.Err != nil && httpstatus.Of(r.Err) >= 500 {
			a.log.Error("bulk decision item failed", "id", r.ID, "err", r.Err)
		}
		out = append(out, bulkResultJSON(r))
	}
	return writeJSON(c, http.StatusOK, object{{"results", out}})
}

// bulkItems reads "items": ids, or objects {"id", "shown"}.
func bulkItems(raw json.RawMessage) ([]engine.BulkItem, error) {
	if raw == nil || string(raw) == "null" {
		return nil, invalid("Invalid input for field/attribute items: a list of approval ids is required")
	}
	var list []json.RawMessage
	if err := json.Unmarshal(raw, &list); err != nil {
		return nil, invalid("Invalid input for field/attribute items: must be a list of ids or {\"id\", \"shown\"} objects")
	}
	if len(list) > engine.MaxBulkItems {
		return nil, invalid("Invalid input for field/attribute items: at most %d approvals, got %d", engine.MaxBulkItems, len(list))
	}
	items := make([]engine.BulkItem, 0, len(list))
	for i, el := range list {
		var it engine.BulkItem
		var id string
		if err := json.Unmarshal(el, &id); err == nil {
			it.ID = id
		} else {
			var o struct {
				ID    string `json:"id"`
				Shown string `json:"shown"`
			}
			dec := json.NewDecoder(strings.NewReader(string(el)))
			dec.DisallowUnknownFields()
			if err := dec.Decode(&o); err != nil {
				return nil, invalid("Invalid input for field/attribute items[%d]: an id, or an object with id and shown", i)
			}
			it.ID, it.Shown = o.ID, o.Shown
		}
		if strings.TrimSpace(it.ID) == "" {
			return nil, invalid("Invalid input for field/attribute items[%d]: the id is empty", i)
		}
		items = append(items, it)
	}
	return items, nil
}

// bulkResultJSON is one item's result.
func bulkResultJSON(r engine.BulkResult) object {
	o := object{{"id", r.ID}, {"title", r.Title}}
	switch {
	case r.Err != nil:
		faultcode := "Client"
		if httpstatus.Of(r.Err) >= 500 {
			faultcode = "Server"
		}
		o = append(o, field{"outcome", "refused"}, field{"state", nil}, field{"faultcode", faultcode},
			field{"status", httpstatus.Of(r.Err)}, field{"faultstring", fault.Message(r.Err)})
	case r.State.Completed():
		o = append(o, field{"outcome", "decided"}, field{"state", string(r.State)})
	default:
		o = append(o, field{"outcome", "counted"}, field{"state", string(r.State)})
	}
	return o
}

// ClaimPath is the route of an approval's claim for scripts and chat bots.
const ClaimPath = "/sirocco/approvals/:id/claim"

// claimApproval serves POST /sirocco/approvals/<id>/claim: the caller
// handles the approval (engine.ClaimApproval); 200 with the claim, 409
// naming who holds it.
func (a *API) claimApproval(c echo.Context) error {
	cl, err := a.engine.ClaimApproval(c.Request().Context(), c.Param("id"), claimantOf(c))
	if err != nil {
		return a.fault(c, err)
	}
	return writeJSON(c, http.StatusOK, object{{"id", cl.ActionExecutionID}, {"user", cl.User},
		{"claimed_at", fmtTime(cl.ClaimedAt)}, {"expires_at", fmtTime(cl.ExpiresAt)}})
}

// releaseApproval serves DELETE /sirocco/approvals/<id>/claim: 204.
func (a *API) releaseApproval(c echo.Context) error {
	if err := a.engine.ReleaseApproval(c.Request().Context(), c.Param("id"), claimantOf(c)); err != nil {
		return a.fault(c, err)
	}
	return c.NoContent(http.StatusNoContent)
}

// claimantOf is the person of an API request as claims see them.
func claimantOf(c echo.Context) engine.Claimant {
	d := guard.Decider(c, engine.ViaAPI)
	if d == nil {
		return engine.Claimant{}
	}
	return engine.Claimant{User: d.User, Admin: d.Admin, MayDecide: d.MayDecide}
}
