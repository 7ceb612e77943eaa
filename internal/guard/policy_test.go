package guard_test

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/labstack/echo/v4"
	"github.com/sirocco-project/sirocco/internal/api"
	"github.com/sirocco-project/sirocco/internal/engine"
	"github.com/sirocco-project/sirocco/internal/guard"
	"github.com/sirocco-project/sirocco/internal/hub"
	"github.com/sirocco-project/sirocco/internal/ops"
	"github.com/sirocco-project/sirocco/internal/sqlite"
	"github.com/sirocco-project/sirocco/internal/web"
)

// TestPolicyCoversEveryRoute registers every route the server has and
// checks that each has its row in guard.Policy, and that the policy names
// no route that does not exist.
func TestPolicyCoversEveryRoute(t *testing.T) {
	t.Parallel()
	st, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "p.db"), sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	eng := engine.New(engine.Config{Store: st})
	e := echo.New()
	ops.New(ops.Sources{Ready: eng.Ready, PendingActions: eng.PendingActions}).Register(e)
	api.New(eng, nil).Register(e)
	web.New(web.Config{Engine: eng, Live: hub.New(hub.Config{}), BaseURL: "http://127.0.0.1"}).Register(e)
	registered := map[string]bool{}
	for _, r := range e.Routes() {
		if r.Method == echo.RouteNotFound {
			continue
		}
		key := r.Method + " " + r.Path
		registered[key] = true
		if _, ok := guard.Lookup(r.Method, r.Path); !ok {
			t.Errorf("route %s has no rule in guard.Policy", key)
		}
	}
	for _, rule := range guard.Policy {
		if !registered[rule.Method+" "+rule.Path] {
			t.Errorf("guard.Policy names %s %s, which is not a route", rule.Method, rule.Path)
		}
	}
	// Nothing is public by omission.
	if r, ok := guard.Lookup("GET", "/no/such/route"); ok || r.Access != guard.Viewer {
		t.Errorf("an unknown route gets %+v (%v), want Viewer", r, ok)
	}
}
