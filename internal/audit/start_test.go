package audit

import (
	"errors"
	"testing"
)

// TestBegin: each case of a server's start on a trail, as both stores
// meet it.
func TestBegin(t *testing.T) {
	key, other := []byte("key-one-0123456789"), []byte("key-two-0123456789")
	h := Hash{1, 2, 3}
	anchored := Head{Seq: 7, Hash: h, Anchor: Anchor(key, 7, h)}
	verified := func(n int64, err error) func(Head) (int64, error) {
		return func(Head) (int64, error) { return n, err }
	}
	for _, c := range []struct {
		name      string
		head      Head
		hasHead   bool
		lastSeq   int64
		lastHash  string
		key       []byte
		verify    func(Head) (int64, error)
		unchecked bool
		want      Start
		writes    bool
	}{
		{name: "empty, no key", lastHash: Hash{}.String(), want: Start{}},
		{name: "empty, a key: anchored at 0", lastHash: Hash{}.String(), key: key,
			want: Start{Head: Head{Anchor: Anchor(key, 0, Hash{})}, AnchoredEmpty: true}, writes: true},
		{name: "records, no head", lastSeq: 3, lastHash: h.String(), unchecked: true},
		{name: "head behind the last record", head: Head{Seq: 6, Hash: h}, hasHead: true, lastSeq: 7, lastHash: h.String(), unchecked: true},
		{name: "anchored, no key", head: anchored, hasHead: true, lastSeq: 7, lastHash: h.String(),
			want: Start{Head: anchored, AnchorUnchecked: true}},
		{name: "unanchored, a key: verified, then anchored", head: Head{Seq: 7, Hash: h}, hasHead: true, lastSeq: 7, lastHash: h.String(), key: key,
			verify: verified(7, nil), want: Start{Head: anchored, AnchoredExisting: true, Verified: 7}, writes: true},
		{name: "unanchored, a key, a chain that does not verify", head: Head{Seq: 7, Hash: h}, hasHead: true, lastSeq: 7, lastHash: h.String(), key: key,
			verify: verified(0, errors.New("record 3 edited")), unchecked: true},
		{name: "anchored under the key", head: anchored, hasHead: true, lastSeq: 7, lastHash: h.String(), key: key, want: Start{Head: anchored}},
		{name: "anchored under another key", head: anchored, hasHead: true, lastSeq: 7, lastHash: h.String(), key: other, unchecked: true},
	} {
		t.Run(c.name, func(t *testing.T) {
			st, write, err := Begin(c.head, c.hasHead, c.lastSeq, c.lastHash, c.key, c.verify)
			if c.unchecked {
				if !errors.Is(err, ErrUnchecked) || write != nil {
					t.Fatalf("Begin = %+v, %v, %v; want ErrUnchecked and nothing to write", st, write, err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if st != c.want {
				t.Errorf("start %+v, want %+v", st, c.want)
			}
			if (write != nil) != c.writes || (write != nil && *write != st.Head) {
				t.Errorf("head to write %v, want one: %v (the start's head)", write, c.writes)
			}
		})
	}
}
