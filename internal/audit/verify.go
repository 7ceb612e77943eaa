package audit

import (
	"errors"
	"fmt"

	"github.com/sirocco-project/sirocco/internal/fault"
)

// ErrTampered is what every *Error is (errors.Is): the trail is not as the
// server wrote it.
var ErrTampered = errors.New("the audit trail was altered")

// Problem names what is wrong at the first bad record.
type Problem string

// Problems, in the words audit verify prints.
const (
	// Edited: the record's stored content does not hash to its stored
	// hash, or a column of it cannot be read, or it was rewritten with
	// its hash recomputed (the next record no longer follows it).
	Edited Problem = "edited"
	// Deleted: a number is missing (a gap in Seq).
	Deleted Problem = "deleted"
	// Unlinked: the record does not name the previous record's hash: a
	// record before it was removed and the later ones renumbered, or one
	// was put in its place.
	Unlinked Problem = "unlinked"
	// Reordered: records are out of order (a number repeats or comes
	// late), or a record sits where another belongs.
	Reordered Problem = "reordered"
	// Truncated: the head names a record past the trail's end.
	Truncated Problem = "truncated"
	// Appended: records follow the head, written without updating it.
	Appended Problem = "appended"
	// Rewritten: the trail is a chain but not the one the head (or an
	// exported head) names: it was recomputed from some record on.
	Rewritten Problem = "rewritten"
	// BadAnchor: the head's anchor does not check under the key given:
	// the key is wrong, or the head was changed.
	BadAnchor Problem = "bad anchor"
	// NoAnchor: a key was given but the head carries no anchor, or there
	// is no head: the end of the trail cannot be checked.
	NoAnchor Problem = "no anchor"
)

// Error names the first bad record of a trail and what is wrong there.
type Error struct {
	Seq     int64
	Problem Problem
	Detail  string
}

func (e *Error) Error() string {
	if e.Seq == 0 { // an empty trail's head
		return fmt.Sprintf("audit trail: %s: %s", e.Problem, e.Detail)
	}
	return fmt.Sprintf("audit record %d: %s: %s", e.Seq, e.Problem, e.Detail)
}

// Is makes errors.Is(err, ErrTampered) true.
func (e *Error) Is(target error) bool { return target == ErrTampered }

// Verifier checks a trail read one record at a time, in the order of
// their Seq as stored (the store reads ORDER BY seq), so that a trail of
// any length is checked in constant memory. Add each record, then Finish
// with the stored head.
type Verifier struct {
	key   []byte
	known []Head         // exported heads that must still be in the trail
	seen  map[int64]Hash // the hashes found at the known heads' Seq
	n     int64
	last  Head // the last good record
	err   *Error

	// After a Deleted or Unlinked error the Verifier reads on, to tell a
	// reordering: a later record filling the gap, or holding the hash
	// the bad record claims to follow.
	gapFrom, gapTo int64
	wantPrev       Hash
}

// NewVerifier returns a Verifier that checks the head's anchor under key
// (nil: no anchor is checked, and a truncated end goes unnoticed) and
// that each of the exported heads is still in the trail.
func NewVerifier(key []byte, exported ...Head) *Verifier {
	return &Verifier{key: key, known: exported, seen: map[int64]Hash{}}
}

// Count returns how many records were added.
func (v *Verifier) Count() int64 { return v.n }

// Last returns the last record found good (Seq 0 before any).
func (v *Verifier) Last() Head { return v.last }

func (v *Verifier) fail(seq int64, p Problem, format string, args ...any) {
	v.err = &Error{Seq: seq, Problem: p, Detail: fmt.Sprintf(format, args...)}
}

// Add checks the next record.
func (v *Verifier) Add(r *Record) {
	v.n++
	if v.err != nil {
		v.reclassify(r)
		return
	}
	want := v.last.Seq + 1
	switch {
	case r.Seq < want:
		v.fail(want, Reordered, "the record in its place is numbered %d (repeated, or out of order)", r.Seq)
	case r.Seq > want:
		if r.Seq == want+1 {
			v.fail(want, Deleted, "it is missing (record %d follows record %d)", r.Seq, v.last.Seq)
		} else {
			v.fail(want, Deleted, "records %d to %d are missing", want, r.Seq-1)
		}
		v.gapFrom, v.gapTo = want, r.Seq
	case r.Damage != "":
		v.fail(r.Seq, Edited, "%s", r.Damage)
	case r.Prev != v.last.Hash:
		// If the record hashes right after the true previous hash, only
		// its prev column was changed.
		if h, err := Chain(v.last.Hash, r); err == nil && h == r.Hash {
			v.fail(r.Seq, Edited, "its prev column was changed")
			return
		}
		// If it hashes right after its own prev, it is intact at its
		// number (the number is hashed), and what it followed when it was
		// sealed is not the record before it now: that one was rewritten
		// with its hash recomputed.
		if h, err := Chain(r.Prev, r); err == nil && h == r.Hash && v.last.Seq > 0 {
			v.fail(v.last.Seq, Edited, "it was rewritten and its hash recomputed: record %d does not follow it", r.Seq)
			return
		}
		v.fail(r.Seq, Unlinked, "it does not follow record %d: a record was removed before it and the later ones renumbered, or it was put in another's place", v.last.Seq)
		v.wantPrev = r.Prev
	default:
		h, err := Chain(r.Prev, r)
		if err != nil {
			v.fail(r.Seq, Edited, "%s", fault.Message(err))
			return
		}
		if h != r.Hash {
			v.fail(r.Seq, Edited, "its content does not match its hash")
			return
		}
		v.last = Head{Seq: r.Seq, Hash: r.Hash}
		for _, k := range v.known {
			if k.Seq == r.Seq {
				v.seen[r.Seq] = r.Hash
			}
		}
	}
}

// reclassify turns a pending Deleted or Unlinked into Reordered when r
// shows the missing record was only moved.
func (v *Verifier) reclassify(r *Record) {
	switch v.err.Problem {
	case Deleted:
		if r.Seq >= v.gapFrom && r.Seq < v.gapTo {
			v.fail(v.gapFrom, Reordered, "record %d comes after record %d", r.Seq, v.gapTo)
		}
	case Unlinked:
		if r.Hash == v.wantPrev && r.Seq > v.err.Seq {
			v.fail(v.err.Seq, Reordered, "it belongs after the record stored at %d: records were moved", r.Seq)
		}
	}
}

// Finish checks the end of the trail against head (the stored head, nil
// when there is none) and returns the first problem found, an *Error, or
// nil when the trail is intact. With a key, a trail without a head fails,
// however empty.
func (v *Verifier) Finish(head *Head) error {
	if v.err != nil {
		return v.err
	}
	for _, k := range v.known {
		if k.Seq > v.last.Seq {
			return &Error{Seq: v.last.Seq + 1, Problem: Truncated, Detail: fmt.Sprintf("the exported head names record %d; the trail ends at %d", k.Seq, v.last.Seq)}
		}
		if got := v.seen[k.Seq]; k.Seq > 0 && got != k.Hash {
			return &Error{Seq: k.Seq, Problem: Rewritten, Detail: "its hash is not the exported head's: the trail was rewritten up to it"}
		}
	}
	if head == nil {
		// With a key, even an empty trail must have its anchored head
		// (the server writes one for seq 0 when it starts with a key):
		// else deleting every record and the head would pass.
		if v.key != nil {
			return &Error{Seq: v.last.Seq, Problem: NoAnchor, Detail: "the trail has no head: it was removed, or the server never ran with a key"}
		}
		return nil
	}
	if head.Damage != "" {
		return &Error{Seq: head.Seq, Problem: BadAnchor, Detail: head.Damage}
	}
	if v.key != nil {
		if head.Anchor == "" {
			return &Error{Seq: head.Seq, Problem: NoAnchor, Detail: "the head carries no anchor (written without a key): the end of the trail cannot be checked"}
		}
		if !CheckAnchor(v.key, head.Seq, head.Hash, head.Anchor) {
			return &Error{Seq: head.Seq, Problem: BadAnchor, Detail: "the head's anchor does not match: the key is not the server's, or the head was changed"}
		}
	}
	switch {
	case head.Seq > v.last.Seq:
		return &Error{Seq: v.last.Seq + 1, Problem: Truncated, Detail: fmt.Sprintf("the head names record %d; the trail ends at %d", head.Seq, v.last.Seq)}
	case head.Seq < v.last.Seq:
		return &Error{Seq: head.Seq + 1, Problem: Appended, Detail: fmt.Sprintf("it comes after the head (record %d): it was added without the server", head.Seq)}
	case head.Hash != v.last.Hash:
		return &Error{Seq: head.Seq, Problem: Rewritten, Detail: "its hash is not the head's: the trail was rewritten up to it"}
	}
	return nil
}

// Verify checks records (in stored order) against head with key, and
// each exported head; see Verifier.
func Verify(records []Record, key []byte, head *Head, exported ...Head) error {
	v := NewVerifier(key, exported...)
	for i := range records {
		v.Add(&records[i])
	}
	return v.Finish(head)
}
