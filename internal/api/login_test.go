package api_test

import (
	"bytes"
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"

	"github.com/labstack/echo/v4"
	"github.com/sirocco-project/sirocco/internal/api"
	"github.com/sirocco-project/sirocco/internal/auth"
	"github.com/sirocco-project/sirocco/internal/engine"
	"github.com/sirocco-project/sirocco/internal/httpstatus"
	"github.com/sirocco-project/sirocco/internal/sqlite"
	"golang.org/x/crypto/bcrypt"
)

// goneStore is an auth store whose client disconnects right after the
// account is read: while the password is compared, before the token is
// stored.
type goneStore struct {
	auth.Store
	gone func()
}

func (g goneStore) GetUser(ctx context.Context, name string) (*auth.User, error) {
	u, err := g.Store.GetUser(ctx, name)
	g.gone()
	return u, err
}

// TestLoginClientGone: a client that disconnects in the middle of a
// Keystone login is not a server error: no 500 answered, none logged.
func TestLoginClientGone(t *testing.T) {
	ctx := context.Background()
	st, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "gone.db"), sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	reqCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	svc := auth.New(auth.Config{Store: goneStore{Store: st.Auth(), gone: cancel}, BcryptCost: bcrypt.MinCost})
	if _, err := svc.Init(ctx, "a long enough password"); err != nil {
		t.Fatal(err)
	}
	var logs bytes.Buffer
	a := api.New(engine.New(engine.Config{Store: st}), slog.New(slog.NewTextHandler(&logs, nil)))
	a.SetAuth(svc)
	e := echo.New()
	a.Register(e)

	body := `{"auth": {"identity": {"methods": ["password"], "password": {"user": {"name": "admin", "password": "a long enough password"}}}}}`
	req := httptest.NewRequest(http.MethodPost, "/v3/auth/tokens", strings.NewReader(body)).WithContext(reqCtx)
	req.Header.Set("Content-Type", "application/json")
	rec := httptest.NewRecorder()
	e.ServeHTTP(rec, req)
	if rec.Code >= 500 || strings.Contains(logs.String(), "level=ERROR") {
		t.Errorf("login whose client left: %d %s; log:\n%s", rec.Code, rec.Body, logs.String())
	}
	if rec.Code != httpstatus.ClientClosedRequest {
		t.Errorf("login whose client left: %d, want %d (client closed request)", rec.Code, httpstatus.ClientClosedRequest)
	}
}
