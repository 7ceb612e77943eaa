package audit

import "testing"

// BenchmarkSeal is the chain's cost per record written: Validate, the
// canonical form, SHA-256 and the anchor's HMAC.
func BenchmarkSeal(b *testing.B) {
	r := hostile()
	var head Head
	b.ReportAllocs()
	for b.Loop() {
		rec := r
		var err error
		if head, err = Seal(head, &rec, testKey); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkVerify is the cost per record read back.
func BenchmarkVerify(b *testing.B) {
	recs, head := seal(b, sample(1000), testKey)
	b.ReportAllocs()
	for b.Loop() {
		if err := Verify(recs, testKey, &head); err != nil {
			b.Fatal(err)
		}
	}
}
