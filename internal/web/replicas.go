package web

import (
	"net/http"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/sirocco-project/sirocco/internal/engine"
	"github.com/sirocco-project/sirocco/web/templates"
)

// replicas serves GET /replicas (admin): the live replicas.
func (s *Server) replicas(c echo.Context) error {
	list, err := s.engine.Replicas(c.Request().Context())
	if err != nil {
		return s.fail(c, err)
	}
	v := templates.ReplicasView{Page: s.page(c, "Replicas", "replicas"), Self: s.engine.ReplicaID(),
		Silence: (engine.LiveHeartbeats * s.engine.HeartbeatInterval()).Round(time.Second).String()}
	for _, r := range list {
		v.Rows = append(v.Rows, templates.ReplicaRow{ID: r.ID, Host: r.Host, Version: r.Version, PID: r.PID,
			StartedAt: r.StartedAt, HeartbeatAt: r.HeartbeatAt})
	}
	return s.render(c, http.StatusOK, templates.ReplicasPage(v))
}
