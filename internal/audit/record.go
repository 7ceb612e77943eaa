package audit

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"time"
	"unicode/utf8"

	"github.com/sirocco-project/sirocco/internal/fault"
	"github.com/sirocco-project/sirocco/internal/jsonvalue"
)

// Kind says what a record is about.
type Kind string

// Kinds.
const (
	KindDecision Kind = "decision" // a person's decision on an action (a vote)
	KindOverride Kind = "override" // an admin deciding an approval alone
	KindTimeout  Kind = "timeout"  // a timeout deciding an action
	KindAdmin    Kind = "admin"    // an admin changing users, groups, tokens, definitions, executions
	// An approval's timeout ladder: a reminder sent to its deciders, and
	// the decision passing to others (escalate_to).
	KindReminder   Kind = "reminder"
	KindEscalation Kind = "escalation"
)

// Outcome says whether the attempt was carried out.
type Outcome string

// Outcomes.
const (
	Accepted Outcome = "accepted"
	Refused  Outcome = "refused" // Reason says why
)

// Hash is a SHA-256 digest: a record's hash or the one before it.
type Hash [sha256.Size]byte

// String returns h in lower-case hex, as it is stored and exported.
func (h Hash) String() string { return hex.EncodeToString(h[:]) }

// ParseHash reads a hash in hex.
func ParseHash(s string) (Hash, error) {
	var h Hash
	if len(s) != 2*len(h) {
		return h, fault.Errorf(fault.EINVALID, "a hash is %d hex digits, not %d", 2*len(h), len(s))
	}
	if _, err := hex.Decode(h[:], []byte(s)); err != nil {
		return Hash{}, fault.Errorf(fault.EINVALID, "a hash is %d hex digits: %v", 2*len(h), err)
	}
	return h, nil
}

// Record is one entry of the trail: a decision attempt, an override, a
// timeout, or an admin action.
type Record struct {
	Seq int64     // 1, 2, 3 … in the order written
	At  time.Time // hashed to the nanosecond: keep what the store keeps
	// Actor is the user ("" for a timeout); Channel how the attempt came
	// (dashboard, api, cli, link, timeout, override); Addr the client's
	// address.
	Actor, Channel, Addr string
	Kind                 Kind
	ActionExecutionID    string // "" for admin actions on no action
	// State is the state the attempt asked for (SUCCESS approves, ERROR
	// rejects, CANCELLED, PAUSED, RUNNING), "" when none (admin actions).
	State   string
	Outcome Outcome
	// Reason says why a refused attempt was refused, or what an admin
	// action did; Comment is what the person wrote.
	Reason, Comment string
	// Answer is the canonical JSON text of the answer given ("" for none),
	// hashed as the text it is, so the store must keep it byte for byte.
	Answer string
	// Groups are the groups the person was in at that moment, in the
	// order the writer gives (sorted, by convention).
	Groups []string
	// ShownDigest is the hex SHA-256 of what the decider was shown
	// (ShownDigest builds it), "" when nothing was.
	ShownDigest string
	Prev, Hash  Hash
	// Damage is set by a reader that could not decode a stored column
	// (a time, the groups, a hash): Verify reports the record as edited,
	// with this text.
	Damage string
}

// Version is the version of the canonical form, part of it, so that a
// later form can never hash equal to this one.
const Version = 1

// timeLayout is RFC 3339 in UTC with all nine digits of the nanoseconds,
// so that every instant has one text.
const timeLayout = "2006-01-02T15:04:05.000000000Z"

// FormatTime returns t as the canonical form holds it: RFC 3339 in UTC with
// nine fractional digits. Years outside 0–9999 have no RFC 3339 text and
// are an error.
func FormatTime(t time.Time) (string, error) {
	t = t.UTC()
	if y := t.Year(); y < 0 || y > 9999 {
		return "", fault.Errorf(fault.EINVALID, "audit time %v is outside the years 0 to 9999", t)
	}
	return t.Format(timeLayout), nil
}

// ParseTime reads what FormatTime writes (and any RFC 3339 time).
func ParseTime(s string) (time.Time, error) {
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return time.Time{}, fault.Errorf(fault.EINVALID, "audit time %q is not RFC 3339", s)
	}
	return t.UTC(), nil
}

// Canonical returns the text a record is hashed by: jsonvalue.Canonical
// (Python's json.dumps(v, sort_keys=True, separators=(",", ":")), ASCII
// only) of an object with exactly these members, each always present:
//
//	{"action_execution_id":"…","actor":"…","addr":"…","answer":"…",
//	 "at":"2006-01-02T15:04:05.000000000Z","channel":"…","comment":"…",
//	 "groups":["…"],"kind":"…","outcome":"…","reason":"…","seq":1,
//	 "shown_digest":"…","state":"…","v":1}
//
// Strings are as stored ("" for none; answer is JSON text inside a string,
// so its exact bytes count), groups an array (empty for none), at as
// FormatTime. Prev and Hash are not part of it: Chain adds Prev. A string
// that is not valid UTF-8 is an error, because the JSON form would write
// every invalid byte as U+FFFD, and two different records would hash
// alike.
func Canonical(r *Record) ([]byte, error) {
	at, err := FormatTime(r.At)
	if err != nil {
		return nil, fault.Errorf(fault.EINVALID, "audit record %d: %s", r.Seq, fault.Message(err))
	}
	groups := make([]any, len(r.Groups))
	for i, g := range r.Groups {
		groups[i] = g
	}
	v := map[string]any{
		"v":                   int64(Version),
		"seq":                 r.Seq,
		"at":                  at,
		"actor":               r.Actor,
		"channel":             r.Channel,
		"addr":                r.Addr,
		"kind":                string(r.Kind),
		"action_execution_id": r.ActionExecutionID,
		"state":               r.State,
		"outcome":             string(r.Outcome),
		"reason":              r.Reason,
		"comment":             r.Comment,
		"answer":              r.Answer,
		"groups":              groups,
		"shown_digest":        r.ShownDigest,
	}
	for _, k := range stringMembers {
		if !utf8.ValidString(v[k].(string)) {
			return nil, fault.Errorf(fault.EINVALID, "audit record %d: %s is not valid UTF-8", r.Seq, k)
		}
	}
	for i, g := range r.Groups {
		if !utf8.ValidString(g) {
			return nil, fault.Errorf(fault.EINVALID, "audit record %d: group %d is not valid UTF-8", r.Seq, i+1)
		}
	}
	return jsonvalue.Canonical(v)
}

// stringMembers are the canonical form's string members, in the order
// Canonical checks them.
var stringMembers = []string{"actor", "channel", "addr", "kind", "action_execution_id", "state", "outcome", "reason", "comment", "answer", "shown_digest"}

// Validate checks what a writer must get right before sealing a record:
// a known kind and outcome, a time, an answer that is JSON, a digest that
// is one. The reader does not ask this of stored records (a record the
// writer sealed passed it; a changed one fails its hash).
func (r *Record) Validate() error {
	switch r.Kind {
	case KindDecision, KindOverride, KindTimeout, KindAdmin, KindReminder, KindEscalation:
	default:
		return fault.Errorf(fault.EINVALID, "audit record: unknown kind %q", r.Kind)
	}
	switch r.Outcome {
	case Accepted, Refused:
	default:
		return fault.Errorf(fault.EINVALID, "audit record: unknown outcome %q", r.Outcome)
	}
	if r.At.IsZero() {
		return fault.Errorf(fault.EINVALID, "audit record: no time")
	}
	if r.Answer != "" {
		if _, err := jsonvalue.Decode([]byte(r.Answer)); err != nil {
			return fault.Errorf(fault.EINVALID, "audit record: the answer is not JSON: %v", err)
		}
	}
	if r.ShownDigest != "" {
		if _, err := ParseHash(r.ShownDigest); err != nil {
			return fault.Errorf(fault.EINVALID, "audit record: shown digest: %s", fault.Message(err))
		}
	}
	return nil
}

// ShownDigest returns the digest of what a decider was shown: the hex
// SHA-256 of the canonical JSON of {"context", "description", "schema",
// "title"} as evaluated for the action: title and description strings
// ("" for none), context and schema JSON values (nil for none, null).
func ShownDigest(title, description string, context, schema any) (string, error) {
	b, err := jsonvalue.Canonical(map[string]any{
		"title": title, "description": description, "context": context, "schema": schema,
	})
	if err != nil {
		return "", fault.Errorf(fault.EINVALID, "digest of what was shown: %v", err)
	}
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:]), nil
}

// DecodeColumns sets r's groups and hashes from the text a store keeps
// them in (the groups a JSON array, the hashes hex) and returns what could
// not be decoded ("" when all could): a reader of a trail that may have
// been altered reports that as the record's damage instead of stopping.
func DecodeColumns(r *Record, groups, prev, hash string) string {
	var err error
	if groups != "" {
		if err := json.Unmarshal([]byte(groups), &r.Groups); err != nil {
			return "its groups are not a JSON array of strings"
		}
	}
	if r.Prev, err = ParseHash(prev); err != nil {
		return "its prev column is not a hash"
	}
	if r.Hash, err = ParseHash(hash); err != nil {
		return "its hash column is not a hash"
	}
	return ""
}
