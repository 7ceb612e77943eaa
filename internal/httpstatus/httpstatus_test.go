package httpstatus

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"testing"

	"github.com/sirocco-project/sirocco/internal/fault"
)

func TestOf(t *testing.T) {
	for _, tc := range []struct {
		err  error
		want int
	}{
		{fault.Errorf(fault.EINVALID, "bad"), http.StatusBadRequest},
		{fault.ErrNotFound, http.StatusNotFound},
		{fmt.Errorf("update: %w", fault.ErrConflict), http.StatusConflict},
		{fault.Errorf(fault.EFORBIDDEN, "no"), http.StatusForbidden},
		{fault.Errorf(fault.ETOOLARGE, "big"), http.StatusRequestEntityTooLarge},
		{fault.Errorf(fault.EUNAVAILABLE, "busy"), http.StatusServiceUnavailable},
		{fault.Errorf(fault.EUNAUTHORIZED, "who"), http.StatusUnauthorized},
		{errors.New("disk on fire"), http.StatusInternalServerError},
		{fmt.Errorf("login: %w", context.Canceled), ClientClosedRequest},
		{&fault.Error{Code: "unheard of"}, http.StatusInternalServerError},
	} {
		if got := Of(tc.err); got != tc.want {
			t.Errorf("Of(%v) = %d, want %d", tc.err, got, tc.want)
		}
	}
}
