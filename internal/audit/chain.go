package audit

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"strconv"
	"strings"

	"github.com/sirocco-project/sirocco/internal/fault"
)

// Chain returns the hash of r following prev: SHA-256(prev || Canonical(r)).
// It reads neither r.Prev nor r.Hash.
func Chain(prev Hash, r *Record) (Hash, error) {
	c, err := Canonical(r)
	if err != nil {
		return Hash{}, err
	}
	h := sha256.New()
	h.Write(prev[:])
	h.Write(c)
	var out Hash
	h.Sum(out[:0])
	return out, nil
}

// Head is the end of a trail: its last record's Seq and Hash (0 and the
// zero hash for an empty trail), and the Anchor over them when the writer
// held a key ("" otherwise, and in a head exported by hand).
type Head struct {
	Seq    int64
	Hash   Hash
	Anchor string
	// Damage is set by a reader that could not decode the stored head;
	// Verify reports a bad anchor with this text.
	Damage string
}

// String returns the head as it is exported and given back to audit
// verify -head: "SEQ:HASH". The anchor is left out: it proves nothing to
// someone without the key, and an exported head is its own proof.
func (h Head) String() string { return strconv.FormatInt(h.Seq, 10) + ":" + h.Hash.String() }

// ParseHead reads what Head.String writes.
func ParseHead(s string) (Head, error) {
	seq, hash, ok := strings.Cut(strings.TrimSpace(s), ":")
	n, err := strconv.ParseInt(seq, 10, 64)
	if !ok || err != nil || n < 0 {
		return Head{}, fault.Errorf(fault.EINVALID, "a head is SEQ:HASH (a record number, a colon, 64 hex digits), not %q", s)
	}
	h, err := ParseHash(hash)
	if err != nil {
		return Head{}, fault.Errorf(fault.EINVALID, "head %q: %s", s, fault.Message(err))
	}
	return Head{Seq: n, Hash: h}, nil
}

// Seal makes r the record after head: it sets r.Seq, r.Prev and r.Hash,
// after checking r (Validate), and returns the new head, anchored with
// key when key is not nil. The store calls it inside the transaction that
// inserts r and writes the head, having read head under the writer's lock.
func Seal(head Head, r *Record, key []byte) (Head, error) {
	if err := r.Validate(); err != nil {
		return head, err
	}
	r.Seq, r.Prev = head.Seq+1, head.Hash
	h, err := Chain(r.Prev, r)
	if err != nil {
		return head, err
	}
	r.Hash = h
	next := Head{Seq: r.Seq, Hash: h}
	if key != nil {
		next.Anchor = Anchor(key, next.Seq, next.Hash)
	}
	return next, nil
}

// anchorLabel separates the anchor's HMAC input from any other use of the
// same key.
const anchorLabel = "sirocco audit head v1\x00"

// Anchor returns the hex HMAC-SHA256 under key of (seq, hash): the label
// above, seq as 8 bytes big-endian, the 32 bytes of hash. Only someone
// holding the key can make one, so a head whose anchor checks was written
// by the server (or someone else holding the key).
func Anchor(key []byte, seq int64, hash Hash) string {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(anchorLabel))
	var n [8]byte
	binary.BigEndian.PutUint64(n[:], uint64(seq))
	m.Write(n[:])
	m.Write(hash[:])
	return hex.EncodeToString(m.Sum(nil))
}

// CheckAnchor reports whether anchor is Anchor(key, seq, hash), in time
// that does not depend on where they differ.
func CheckAnchor(key []byte, seq int64, hash Hash, anchor string) bool {
	want := Anchor(key, seq, hash)
	return hmac.Equal([]byte(want), []byte(strings.ToLower(anchor)))
}
