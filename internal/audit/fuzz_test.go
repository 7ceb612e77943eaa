package audit

import (
	"bytes"
	"errors"
	"slices"
	"testing"
	"time"
)

// FuzzVerify mutates a valid trail (and its head) at random and checks
// that Verify with the key either detects the mutation with an *Error or
// that the mutation changed nothing the chain covers (the same canonical
// texts, links and hashes, the same head). .ci/fuzz runs it.
func FuzzVerify(f *testing.F) {
	f.Add(uint8(5), uint8(0), uint8(2), uint8(0), "edited", int64(0))
	f.Add(uint8(5), uint8(1), uint8(2), uint8(0), "", int64(0))
	f.Add(uint8(5), uint8(2), uint8(1), uint8(3), "", int64(0))
	f.Add(uint8(5), uint8(3), uint8(3), uint8(0), "", int64(0))
	f.Add(uint8(3), uint8(4), uint8(0), uint8(7), "", int64(1))
	f.Add(uint8(4), uint8(5), uint8(1), uint8(0), "\x00é😀", int64(-1))
	f.Add(uint8(4), uint8(6), uint8(1), uint8(1), "", int64(3600e9))
	f.Add(uint8(2), uint8(7), uint8(0), uint8(0), "=x", int64(2))
	f.Fuzz(func(t *testing.T, n, op, idx, field uint8, s string, delta int64) {
		recs, head := seal(t, sample(int(n%8)+1), testKey)
		orig, origHead := cloneAll(recs), head
		i := int(idx) % len(recs)
		switch op % 9 {
		case 0: // set a string field
			setField(&recs[i], field, s)
		case 1: // delete a record
			recs = slices.Delete(recs, i, i+1)
		case 2: // swap two records, or their contents
			j := int(field) % len(recs)
			recs[i], recs[j] = recs[j], recs[i]
			if delta%2 == 0 {
				recs[i].Seq, recs[j].Seq = recs[j].Seq, recs[i].Seq
			}
		case 3: // truncate
			recs = recs[:i]
		case 4: // change a number
			recs[i].Seq += delta
		case 5: // move the time
			recs[i].At = recs[i].At.Add(time.Duration(delta))
		case 6: // flip a bit of a link or a hash
			b := &recs[i].Hash
			if field%2 == 1 {
				b = &recs[i].Prev
			}
			b[int(field/2)%len(b)] ^= 1 << (uint(delta) % 8)
		case 7: // edit, recompute this hash and, maybe, all after it
			setField(&recs[i], field, s)
			for j := i; j < len(recs); j++ {
				if j > 0 && (j == i || delta%2 == 0) {
					recs[j].Prev = recs[j-1].Hash
				}
				if h, err := Chain(recs[j].Prev, &recs[j]); err == nil {
					recs[j].Hash = h
				}
				if j == i && delta%2 != 0 {
					break
				}
			}
		case 8: // change the head
			head.Seq += delta
			head.Hash[int(field)%len(head.Hash)] ^= byte(len(s))
		}
		err := Verify(recs, testKey, &head)
		same := sameTrail(recs, orig) && head == origHead
		switch {
		case same && err != nil:
			t.Fatalf("an unchanged trail failed: %v", err)
		case !same && err == nil:
			t.Fatalf("a changed trail verified (op %d, record %d, field %d, %q, %d)", op%9, i+1, field, s, delta)
		case err != nil:
			var e *Error
			if !errors.As(err, &e) || !errors.Is(err, ErrTampered) || e.Problem == "" || e.Detail == "" {
				t.Fatalf("Verify = %#v, want an *Error", err)
			}
		}
	})
}

func setField(r *Record, field uint8, s string) {
	switch field % 9 {
	case 0:
		r.Actor = s
	case 1:
		r.Channel = s
	case 2:
		r.Addr = s
	case 3:
		r.Kind = Kind(s)
	case 4:
		r.ActionExecutionID = s
	case 5:
		r.Reason = s
	case 6:
		r.Comment = s
	case 7:
		r.Answer = s
	case 8:
		r.Groups = append(slices.Clone(r.Groups), s)
	}
}

func cloneAll(recs []Record) []Record {
	out := slices.Clone(recs)
	for i := range out {
		out[i].Groups = slices.Clone(out[i].Groups)
	}
	return out
}

// sameTrail reports whether a and b are the same to the chain: the same
// numbers, links, hashes and canonical texts.
func sameTrail(a, b []Record) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		ca, errA := Canonical(&a[i])
		cb, errB := Canonical(&b[i])
		if errA != nil || errB != nil || !bytes.Equal(ca, cb) ||
			a[i].Seq != b[i].Seq || a[i].Prev != b[i].Prev || a[i].Hash != b[i].Hash || a[i].Damage != b[i].Damage {
			return false
		}
	}
	return true
}
