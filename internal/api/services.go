package api

import (
	"net/http"

	"github.com/labstack/echo/v4"
)

// serviceType is the type GET /v2/services gives every replica: each runs
// what Mistral splits into API, engine, executor and notifier services.
const serviceType = "sirocco"

// listServices serves GET /v2/services (service-list): the live replicas,
// in Mistral's shape ({"services": [{"name", "type"}]}, what the CLI
// shows; the name is the replica's id, "<host>-<pid>-<random>") with what
// an operator needs to find each process.
func (a *API) listServices(c echo.Context) error {
	list, err := a.engine.Replicas(c.Request().Context())
	if err != nil {
		return a.fault(c, err)
	}
	items := make([]object, len(list))
	for i, r := range list {
		items[i] = object{{"name", r.ID}, {"type", serviceType}, {"id", r.ID},
			{"host", r.Host}, {"pid", r.PID}, {"version", r.Version},
			{"started_at", r.StartedAt.UTC().Format(timeLayout)}, {"heartbeat_at", r.HeartbeatAt.UTC().Format(timeLayout)}}
	}
	return writeJSON(c, http.StatusOK, object{{"services", items}})
}
