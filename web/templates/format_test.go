package templates

import (
	"testing"
	"time"
)

// The page script's formatDuration (web/static/live.js) mirrors Duration:
// keep these cases in step with it.
func TestDuration(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		d    time.Duration
		want string
	}{
		{-time.Second, "0s"}, {0, "0s"}, {59 * time.Second, "59s"}, {60 * time.Second, "1m"},
		{59*time.Minute + 59*time.Second, "59m"}, {time.Hour, "1h 0m"}, {25*time.Hour + 5*time.Minute, "1d 1h"},
	} {
		if got := Duration(tc.d); got != tc.want {
			t.Errorf("Duration(%v) = %q, want %q", tc.d, got, tc.want)
		}
	}
}

func TestCountText(t *testing.T) {
	t.Parallel()
	for n, want := range map[int]string{0: "0", 999: "999", 1000: "1,000", 100000: "100,000", 1234567: "1,234,567"} {
		if got := countText(n, false); got != want {
			t.Errorf("countText(%d) = %q, want %q", n, got, want)
		}
	}
	if got := countText(10000, true); got != "10,000+" {
		t.Errorf("capped = %q", got)
	}
}

// Ids created together share their leading (time) digits: short must keep
// the trailing random ones so that two rows of a table read differently.
func TestShort(t *testing.T) {
	t.Parallel()
	a, b := "01a2205b-b0cb-7e75-98de-5f961fc8a1e0", "01a2205b-b0cc-7a01-8c2f-0d41b6e93b7c"
	if short(a) == short(b) {
		t.Errorf("short(%q) = short(%q) = %q", a, b, short(a))
	}
	if got := short(a); got != "1fc8a1e0" {
		t.Errorf("short(%q) = %q, want its last 8 characters", a, got)
	}
	if got := short("abc"); got != "abc" {
		t.Errorf("short(%q) = %q", "abc", got)
	}
}
