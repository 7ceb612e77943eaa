package jsonview

import "testing"

// BenchmarkPrettyBounded is the cost of showing each adversarial shape as
// a page block and as a table cell. The bytes/s figure is of the input.
func BenchmarkPrettyBounded(b *testing.B) {
	for _, lim := range []struct {
		name string
		lim  Limits
	}{{"block", Block}, {"line", Line}} {
		for _, tc := range adversarial() {
			b.Run(lim.name+"/"+tc.name, func(b *testing.B) {
				b.ReportAllocs()
				b.SetBytes(int64(len(tc.in)))
				for b.Loop() {
					Format(tc.in, lim.lim)
				}
			})
		}
	}
}
