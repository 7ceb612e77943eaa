package audit

import (
	"errors"
	"slices"
	"testing"
	"time"
)

// TestVerifyIntact: a trail as the writer left it verifies, with the key,
// without it, and empty.
func TestVerifyIntact(t *testing.T) {
	t.Parallel()
	recs, head := seal(t, sample(7), testKey)
	for name, key := range map[string][]byte{"with key": testKey, "without key": nil} {
		if err := Verify(recs, key, &head); err != nil {
			t.Errorf("%s: Verify = %v", name, err)
		}
	}
	if err := Verify(nil, nil, nil); err != nil {
		t.Errorf("empty trail, no head, no key: %v", err)
	}
	if err := Verify(nil, nil, &Head{}); err != nil {
		t.Errorf("empty trail, head 0, no key: %v", err)
	}
	if err := Verify(nil, testKey, &Head{Anchor: Anchor(testKey, 0, Hash{})}); err != nil {
		t.Errorf("empty trail, anchored head 0: %v", err)
	}
	// Exported heads along the way are still there.
	if err := Verify(recs, testKey, &head, Head{Seq: 3, Hash: recs[2].Hash}, Head{Seq: 7, Hash: recs[6].Hash}, Head{}); err != nil {
		t.Errorf("with exported heads: %v", err)
	}
}

// TestVerifyDetects is the demand: an edited, a deleted, a
// reordered and a truncated row are each detected, and the error names
// the first bad record and what is wrong there.
func TestVerifyDetects(t *testing.T) {
	t.Parallel()
	const n = 6
	cases := []struct {
		name string
		// change alters the sealed trail and its head; key is what
		// Verify gets (testKey unless noKey).
		change      func(t *testing.T, recs []Record, head *Head) []Record
		noKey       bool
		seq         int64
		problem     Problem
		exported    func(recs []Record) []Head
		headRemoved bool
	}{
		{name: "edited comment", seq: 3, problem: Edited, change: func(_ *testing.T, r []Record, _ *Head) []Record {
			r[2].Comment = "approved (edited later)"
			return r
		}},
		{name: "edited answer, no key", noKey: true, seq: 3, problem: Edited, change: func(_ *testing.T, r []Record, _ *Head) []Record {
			r[2].Answer = `{"cores":64}`
			return r
		}},
		{name: "edited time by a nanosecond", seq: 2, problem: Edited, change: func(_ *testing.T, r []Record, _ *Head) []Record {
			r[1].At = r[1].At.Add(1)
			return r
		}},
		{name: "edited groups", seq: 5, problem: Edited, change: func(_ *testing.T, r []Record, _ *Head) []Record {
			r[4].Groups = []string{"finance"}
			return r
		}},
		{name: "edited outcome", seq: 2, problem: Edited, change: func(_ *testing.T, r []Record, _ *Head) []Record {
			r[1].Outcome = Accepted
			return r
		}},
		{name: "edited prev column", seq: 4, problem: Edited, change: func(_ *testing.T, r []Record, _ *Head) []Record {
			r[3].Prev[0] ^= 1
			return r
		}},
		{name: "edited hash column", seq: 4, problem: Edited, change: func(_ *testing.T, r []Record, _ *Head) []Record {
			r[3].Hash[31] ^= 1
			return r
		}},
		{name: "unreadable column", seq: 6, problem: Edited, change: func(_ *testing.T, r []Record, _ *Head) []Record {
			r[5].Damage = "groups is not a JSON array of strings"
			return r
		}},
		{name: "edited and its hash recomputed", seq: 3, problem: Edited, change: func(t *testing.T, r []Record, _ *Head) []Record {
			r[2].Reason = "self-approval"
			rehash(t, &r[2])
			return r
		}},
		{name: "deleted", seq: 3, problem: Deleted, change: func(_ *testing.T, r []Record, _ *Head) []Record {
			return slices.Delete(r, 2, 3)
		}},
		{name: "deleted two", seq: 3, problem: Deleted, change: func(_ *testing.T, r []Record, _ *Head) []Record {
			return slices.Delete(r, 2, 4)
		}},
		{name: "deleted the first", seq: 1, problem: Deleted, change: func(_ *testing.T, r []Record, _ *Head) []Record {
			return r[1:]
		}},
		{name: "deleted and renumbered", seq: 3, problem: Unlinked, change: func(_ *testing.T, r []Record, _ *Head) []Record {
			r = slices.Delete(r, 2, 3)
			for i := 2; i < len(r); i++ {
				r[i].Seq--
			}
			return r
		}},
		{name: "reordered rows", seq: 3, problem: Reordered, change: func(_ *testing.T, r []Record, _ *Head) []Record {
			r[2], r[3] = r[3], r[2]
			return r
		}},
		{name: "reordered contents, numbers kept", seq: 3, problem: Reordered, change: func(_ *testing.T, r []Record, _ *Head) []Record {
			r[2], r[3] = r[3], r[2]
			r[2].Seq, r[3].Seq = 3, 4
			return r
		}},
		{name: "a row repeated", seq: 4, problem: Reordered, change: func(_ *testing.T, r []Record, _ *Head) []Record {
			return slices.Insert(r, 3, r[2])
		}},
		{name: "truncated", seq: 5, problem: Truncated, change: func(_ *testing.T, r []Record, _ *Head) []Record {
			return r[:4]
		}},
		{name: "truncated to nothing", seq: 1, problem: Truncated, change: func(_ *testing.T, r []Record, _ *Head) []Record {
			return nil
		}},
		{name: "truncated to nothing, head removed", seq: 0, problem: NoAnchor, headRemoved: true, change: func(_ *testing.T, r []Record, _ *Head) []Record {
			return nil
		}},
		{name: "truncated, no key, head left", noKey: true, seq: 5, problem: Truncated, change: func(_ *testing.T, r []Record, _ *Head) []Record {
			return r[:4]
		}},
		{name: "truncated and head set back without the key", seq: 4, problem: BadAnchor, change: func(_ *testing.T, r []Record, h *Head) []Record {
			*h = Head{Seq: 4, Hash: r[3].Hash, Anchor: Anchor(otherKey, 4, r[3].Hash)}
			return r[:4]
		}},
		{name: "truncated and anchor removed", seq: 4, problem: NoAnchor, change: func(_ *testing.T, r []Record, h *Head) []Record {
			*h = Head{Seq: 4, Hash: r[3].Hash}
			return r[:4]
		}},
		{name: "truncated, no key, head set back, exported head", noKey: true, seq: 5, problem: Truncated,
			exported: func(r []Record) []Head { return []Head{{Seq: 5, Hash: r[4].Hash}} },
			change: func(_ *testing.T, r []Record, h *Head) []Record {
				*h = Head{Seq: 4, Hash: r[3].Hash}
				return r[:4]
			}},
		{name: "head unreadable", seq: n, problem: BadAnchor, change: func(_ *testing.T, r []Record, h *Head) []Record {
			h.Damage = "the head's number or hash cannot be read"
			return r
		}},
		{name: "head removed", seq: n, problem: NoAnchor, headRemoved: true, change: func(_ *testing.T, r []Record, _ *Head) []Record {
			return r
		}},
		{name: "appended after the head", seq: n + 1, problem: Appended, change: func(t *testing.T, r []Record, h *Head) []Record {
			extra := sample(1)[0]
			if _, err := Seal(*h, &extra, nil); err != nil {
				t.Fatal(err)
			}
			return append(r, extra)
		}},
		{name: "rewritten from record 2 on", seq: n, problem: Rewritten, change: func(t *testing.T, r []Record, _ *Head) []Record {
			r[1].Comment = "forged"
			for i := 1; i < len(r); i++ {
				r[i].Prev = r[i-1].Hash
				rehash(t, &r[i])
			}
			return r
		}},
		{name: "rewritten, no key, exported head", noKey: true, seq: 3, problem: Rewritten,
			exported: func(r []Record) []Head { return []Head{{Seq: 3, Hash: r[2].Hash}} },
			change: func(t *testing.T, r []Record, h *Head) []Record {
				r[1].Comment = "forged"
				for i := 1; i < len(r); i++ {
					r[i].Prev = r[i-1].Hash
					rehash(t, &r[i])
				}
				*h = Head{Seq: r[len(r)-1].Seq, Hash: r[len(r)-1].Hash}
				return r
			}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			recs, head := seal(t, sample(n), testKey)
			var exported []Head
			if tc.exported != nil {
				exported = tc.exported(recs)
			}
			recs = tc.change(t, recs, &head)
			key := testKey
			if tc.noKey {
				key = nil
			}
			h := &head
			if tc.headRemoved {
				h = nil
			}
			err := Verify(recs, key, h, exported...)
			var e *Error
			if !errors.As(err, &e) {
				t.Fatalf("Verify = %v, want an *Error", err)
			}
			if e.Seq != tc.seq || e.Problem != tc.problem {
				t.Errorf("Verify = %v; want record %d %s", err, tc.seq, tc.problem)
			}
			if !errors.Is(err, ErrTampered) {
				t.Errorf("errors.Is(%v, ErrTampered) = false", err)
			}
		})
	}
}

// TestWithoutKeyTruncationGoesUnnoticed pins the limit the package
// documents: without a key, whoever deletes the last records and sets the
// head back is not caught; with the key, the same trail fails.
func TestWithoutKeyTruncationGoesUnnoticed(t *testing.T) {
	t.Parallel()
	recs, _ := seal(t, sample(5), testKey)
	cut := recs[:3]
	forged := Head{Seq: 3, Hash: cut[2].Hash}
	if err := Verify(cut, nil, &forged); err != nil {
		t.Fatalf("without a key: %v (the documented limit changed: update the docs)", err)
	}
	if err := Verify(cut, testKey, &forged); err == nil {
		t.Fatal("with the key: a head set back without it verified")
	}
}

// TestAnchorWrongKey: a head anchored under one key fails under another.
func TestAnchorWrongKey(t *testing.T) {
	t.Parallel()
	recs, head := seal(t, sample(3), testKey)
	err := Verify(recs, otherKey, &head)
	var e *Error
	if !errors.As(err, &e) || e.Problem != BadAnchor || e.Seq != 3 {
		t.Fatalf("Verify with another key = %v, want record 3 bad anchor", err)
	}
	if !CheckAnchor(testKey, head.Seq, head.Hash, head.Anchor) {
		t.Fatal("CheckAnchor with the right key = false")
	}
	// The anchor covers both the number and the hash.
	if CheckAnchor(testKey, head.Seq+1, head.Hash, head.Anchor) {
		t.Error("the anchor checks for another number")
	}
	h := head.Hash
	h[0] ^= 1
	if CheckAnchor(testKey, head.Seq, h, head.Anchor) {
		t.Error("the anchor checks for another hash")
	}
}

// TestSealValidates: the writer cannot seal a record it should not write.
func TestSealValidates(t *testing.T) {
	t.Parallel()
	bad := map[string]func(*Record){
		"kind":         func(r *Record) { r.Kind = "vote" },
		"outcome":      func(r *Record) { r.Outcome = "maybe" },
		"no time":      func(r *Record) { r.At = time.Time{} },
		"year 10000":   func(r *Record) { r.At = time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC) },
		"answer":       func(r *Record) { r.Answer = "{not json" },
		"digest":       func(r *Record) { r.ShownDigest = "abc" },
		"invalid utf8": func(r *Record) { r.Comment = "ok\xff" },
	}
	for name, change := range bad {
		r := sample(1)[0]
		change(&r)
		head, err := Seal(Head{}, &r, testKey)
		if err == nil {
			t.Errorf("%s: Seal accepted %+v", name, r)
		}
		if head != (Head{}) {
			t.Errorf("%s: Seal moved the head on an error", name)
		}
	}
}
