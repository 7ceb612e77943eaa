package audit

import (
	"bytes"
	"slices"
	"testing"
	"time"
)

var (
	testKey  = bytes.Repeat([]byte{0x5a}, 32)
	otherKey = bytes.Repeat([]byte{0xa5}, 32)
	t0       = time.Date(2026, 3, 1, 9, 30, 0, 123456789, time.UTC)
)

// sample returns n unsealed records of every kind.
func sample(n int) []Record {
	kinds := []Kind{KindDecision, KindOverride, KindTimeout, KindAdmin}
	out := make([]Record, n)
	for i := range out {
		r := Record{
			At:                t0.Add(time.Duration(i) * time.Minute),
			Actor:             "alice",
			Channel:           "dashboard",
			Addr:              "192.0.2.10",
			Kind:              kinds[i%len(kinds)],
			ActionExecutionID: "5b2f0e44-0000-4000-8000-00000000000" + string(rune('0'+i%10)),
			Outcome:           Accepted,
			Comment:           "ok",
			Answer:            `{"cores":4}`,
			Groups:            []string{"finance", "security"},
		}
		switch r.Kind {
		case KindDecision, KindOverride:
			r.State = "SUCCESS"
		case KindTimeout:
			r.State = "ERROR"
		}
		if i%3 == 1 {
			r.Outcome, r.Reason, r.Answer = Refused, "not an approver", ""
		}
		out[i] = r
	}
	return out
}

// seal chains records from an empty trail and returns them with the head.
func seal(t testing.TB, recs []Record, key []byte) ([]Record, Head) {
	t.Helper()
	recs = slices.Clone(recs)
	var head Head
	for i := range recs {
		var err error
		if head, err = Seal(head, &recs[i], key); err != nil {
			t.Fatalf("Seal record %d: %v", i+1, err)
		}
	}
	return recs, head
}

// rehash recomputes r's hash after its prev, as someone rewriting the
// database would.
func rehash(t testing.TB, r *Record) {
	t.Helper()
	h, err := Chain(r.Prev, r)
	if err != nil {
		t.Fatal(err)
	}
	r.Hash = h
}
