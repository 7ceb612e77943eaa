package audit

import (
	"errors"
	"fmt"
)

// ErrUnchecked is a start's refusal: the trail does not check under the
// key, or does not end at its head. A server must not start on it (a
// wrong key, or a trail altered while it was down).
var ErrUnchecked = errors.New("the audit trail does not check")

// Start is what a store found, and did, when a server started on it.
type Start struct {
	Head Head // the head, after what the start wrote
	// AnchoredEmpty: the trail was empty and had no head, and the store
	// holds a key: an anchored head for seq 0 was written.
	AnchoredEmpty bool
	// AnchoredExisting: the head had no anchor (records written without
	// a key); its Verified records were checked and the head anchored.
	AnchoredExisting bool
	Verified         int64
	// AnchorUnchecked: the head carries an anchor but the store holds no
	// key: new records will leave the head unanchored.
	AnchorUnchecked bool
}

// Begin decides whether a trail may be written from here on: from its
// stored head (hasHead false when there is none), its last record's seq
// and hash (0 and the zero hash when there is none) and the store's key
// (nil for none). It anchors what it can: an empty trail gets an anchored
// head for seq 0 (so that removing every record is detected later), an
// unanchored head is anchored once verify has checked the whole chain up
// to it. It returns the start and the head the store must write (nil:
// none), or an error wrapping ErrUnchecked. Every store calls it under
// the lock that serialises appends, so that the stores cannot differ in
// this rule.
func Begin(head Head, hasHead bool, lastSeq int64, lastHash string, key []byte, verify func(Head) (int64, error)) (Start, *Head, error) {
	var st Start
	var write *Head
	switch {
	case !hasHead && lastSeq == 0:
		if key != nil {
			head = Head{Anchor: Anchor(key, 0, Hash{})}
			st.AnchoredEmpty = true
			write = &head
		}
	case !hasHead:
		return st, nil, fmt.Errorf("%w: it has records (the last is %d) but no head: the head was removed; run audit verify", ErrUnchecked, lastSeq)
	case head.Seq != lastSeq || head.Hash.String() != lastHash:
		return st, nil, fmt.Errorf("%w: its head names record %d, but the last record is %d: it was altered while the server was down; run audit verify",
			ErrUnchecked, head.Seq, lastSeq)
	case key == nil:
		st.AnchorUnchecked = head.Anchor != ""
	case head.Anchor == "":
		n, err := verify(head)
		if err != nil {
			return st, nil, fmt.Errorf("%w: %w", ErrUnchecked, err)
		}
		st.Verified = n
		head.Anchor = Anchor(key, head.Seq, head.Hash)
		st.AnchoredExisting = true
		write = &head
	case !CheckAnchor(key, head.Seq, head.Hash, head.Anchor):
		return st, nil, fmt.Errorf("%w: the head's anchor does not match under the audit key given: it is not the key this trail was written with, or the head was changed; run audit verify with the right key", ErrUnchecked)
	}
	st.Head = head
	return st, write, nil
}
