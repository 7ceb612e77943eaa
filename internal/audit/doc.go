// Package audit makes the audit trail tamper-evident: the canonical form of
// a record, the hash chain that links each record to the one before, the
// anchor that lets a key holder check the chain's head, the verification
// that names the first bad record, the audit key's parsing, and the CSV and
// JSON export shapes.
//
// # The chain
//
// Records are numbered from 1 without gaps (Seq). Each carries the hash of
// the record before it (Prev; 32 zero bytes for the first) and its own
// hash, SHA-256(Prev || Canonical(record)). Canonical covers Seq, so a
// record cannot be moved to another place without changing its hash. The
// writer keeps the last (Seq, Hash) as the head and, when it holds a key,
// an anchor: HMAC-SHA256 under the key over (Seq, Hash). With a key even
// an empty trail has an anchored head (Seq 0), so that deleting every
// record and the head is caught too.
//
// What each part detects, against someone who can write the database file:
//
//   - The per-record hashes and links find a record edited, deleted or
//     moved in the middle by someone who does not recompute the chain, and
//     name the first such record.
//   - Anyone can recompute the chain, though (SHA-256 has no secret). The
//     anchor is what stops that: without the key nobody can make an anchor
//     for a rewritten chain, or for a shorter one, so a rewritten or
//     truncated trail no longer matches its anchored head. Without a key
//     there is no anchor, and truncating the end (deleting the last
//     records and setting the head back) cannot be detected.
//   - Neither can tell a rollback: a head copied earlier, put back with the
//     trail cut to it, is a head the key once signed. Against that, export
//     the head from time to time (Head.String, "SEQ:HASH") and keep it
//     elsewhere; Verifier checks that every exported head is still in the
//     trail.
//
// The package is pure: no I/O but reading a key file, no clock. The store
// seals records (Seal) in the transaction that inserts them; the command
// audit verify reads them back and runs a Verifier.
package audit
