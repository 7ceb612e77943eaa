package api_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"

	"github.com/labstack/echo/v4"
	"github.com/sirocco-project/sirocco/internal/api"
	"github.com/sirocco-project/sirocco/internal/auth"
	"github.com/sirocco-project/sirocco/internal/engine"
	"github.com/sirocco-project/sirocco/internal/sqlite"
	"golang.org/x/crypto/bcrypt"
)

// TestKeystoneDepthLimit: the /v3 login body is held to the depth limit of
// every JSON body, with Keystone's error shape, before any password is
// checked.
func TestKeystoneDepthLimit(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	st, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "k.db"), sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	accounts := auth.New(auth.Config{Store: st.Auth(), BcryptCost: bcrypt.MinCost})
	if _, err := accounts.Init(ctx, "a long enough password"); err != nil {
		t.Fatal(err)
	}
	e := echo.New()
	v2 := api.New(engine.New(engine.Config{Store: st}), nil)
	v2.SetAuth(accounts)
	v2.Register(e)
	ts := httptest.NewServer(e)
	t.Cleanup(ts.Close)
	for _, tc := range []struct {
		depth int
		want  int
	}{{120, http.StatusCreated}, {200, http.StatusBadRequest}, {10000, http.StatusBadRequest}} {
		scope := strings.Repeat("[", tc.depth) + strings.Repeat("]", tc.depth)
		body := `{"auth": {"identity": {"methods": ["password"], "password": {"user": {"name": "admin", "password": "a long enough password"}}}, "scope": ` + scope + `}}`
		resp, err := http.Post(ts.URL+"/v3/auth/tokens", "application/json", strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != tc.want {
			t.Errorf("scope %d deep: %d, want %d: %.200s", tc.depth, resp.StatusCode, tc.want, b)
			continue
		}
		if tc.want != http.StatusBadRequest {
			continue
		}
		var fault struct {
			Error struct {
				Code    int    `json:"code"`
				Message string `json:"message"`
			} `json:"error"`
		}
		if err := json.Unmarshal(b, &fault); err != nil || fault.Error.Code != 400 || !strings.Contains(fault.Error.Message, "128 levels") {
			t.Errorf("scope %d deep: body %.300s, want a Keystone error naming the limit", tc.depth, b)
		}
	}
}
