package sqlite

import (
	"math/rand/v2"
	"testing"
	"time"
)

// fmtTime and parseTime's fast path must agree with time.Format and
// time.Parse on the stored layout: they replaced them.
func TestTimeFormatMatchesStdlib(t *testing.T) {
	t.Parallel()
	r := rand.New(rand.NewPCG(3, 4))
	for i := 0; i < 20000; i++ {
		tm := time.Unix(r.Int64N(1<<35)-(1<<34), r.Int64N(1e9)).In(time.FixedZone("z", int(r.Int64N(50000))-25000))
		got, want := fmtTime(tm), tm.UTC().Format(timeFormat)
		if got != want {
			t.Fatalf("fmtTime(%v) = %q, want %q", tm, got, want)
		}
		back := parseTime(got)
		ref, err := time.Parse(timeFormat, want)
		if err != nil || !back.Equal(ref) || back.Location() != ref.Location() {
			t.Fatalf("parseTime(%q) = %v, want %v (%v)", got, back, ref, err)
		}
	}
	for _, s := range []string{"2026-02-29 10:00:00.000000", "2024-02-29 10:00:00.000000", "2026-13-01 00:00:00.000000",
		"2026-04-31 00:00:00.000000", "2026-01-01 24:00:00.000000", "2026-01-01 00:60:00.000000", "2026-01-01 00:00:60.000000",
		"2026-01-01 00:00:00", "2026-01-01T00:00:00.000000", "2026-01-01 00:00:00.00000x", "", "garbage"} {
		var want time.Time
		for _, layout := range []string{timeFormat, "2006-01-02 15:04:05"} {
			if tm, err := time.Parse(layout, s); err == nil {
				want = tm
				break
			}
		}
		if got := parseTime(s); !got.Equal(want) {
			t.Errorf("parseTime(%q) = %v, want %v", s, got, want)
		}
	}
}
