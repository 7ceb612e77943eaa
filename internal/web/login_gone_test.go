package web_test

import (
	"bytes"
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/labstack/echo/v4"
	"github.com/sirocco-project/sirocco/internal/auth"
	"github.com/sirocco-project/sirocco/internal/engine"
	"github.com/sirocco-project/sirocco/internal/guard"
	"github.com/sirocco-project/sirocco/internal/httpstatus"
	"github.com/sirocco-project/sirocco/internal/sqlite"
	"github.com/sirocco-project/sirocco/internal/web"
	"golang.org/x/crypto/bcrypt"
)

// goneStore is an auth store whose client disconnects right after the
// account is read: while the password is compared, before the session is
// stored.
type goneStore struct {
	auth.Store
	gone func()
}

func (g goneStore) GetUser(ctx context.Context, name string) (*auth.User, error) {
	u, err := g.Store.GetUser(ctx, name)
	if g.gone != nil {
		g.gone()
	}
	return u, err
}

// TestLoginClientGone: a browser that goes away in the middle of a login
// is not a server error: no 500 answered, none logged.
func TestLoginClientGone(t *testing.T) {
	ctx := context.Background()
	st, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "gone.db"), sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	reqCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	gs := &goneStore{Store: st.Auth()}
	svc := auth.New(auth.Config{Store: gs, BcryptCost: bcrypt.MinCost})
	if _, err := svc.Init(ctx, "a long enough password"); err != nil {
		t.Fatal(err)
	}
	var logs bytes.Buffer
	dash := web.New(web.Config{Engine: engine.New(engine.Config{Store: st}), Auth: svc, BaseURL: "http://example.com",
		Logger: slog.New(slog.NewTextHandler(&logs, nil))})
	e := echo.New()
	e.Use(guard.Middleware(svc, guard.Config{PageError: dash.ErrorPage}))
	dash.Register(e)

	form := httptest.NewRecorder()
	e.ServeHTTP(form, httptest.NewRequest(http.MethodGet, "/login", nil))
	m := regexp.MustCompile(`name="_csrf" value="([^"]+)"`).FindStringSubmatch(form.Body.String())
	if m == nil {
		t.Fatalf("no CSRF token on the login page: %s", form.Body)
	}
	body := url.Values{"_csrf": {m[1]}, "username": {"admin"}, "password": {"a long enough password"}}.Encode()
	req := httptest.NewRequest(http.MethodPost, "/login", strings.NewReader(body)).WithContext(reqCtx)
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Origin", "http://example.com")
	for _, ck := range form.Result().Cookies() {
		req.AddCookie(ck)
	}
	gs.gone = cancel
	rec := httptest.NewRecorder()
	e.ServeHTTP(rec, req)
	if rec.Code >= 500 || strings.Contains(logs.String(), "level=ERROR") {
		t.Errorf("login whose client left: %d %.300s; log:\n%s", rec.Code, rec.Body, logs.String())
	}
	if rec.Code != httpstatus.ClientClosedRequest {
		t.Errorf("login whose client left: %d %.300s, want %d (client closed request)", rec.Code, rec.Body, httpstatus.ClientClosedRequest)
	}
}
