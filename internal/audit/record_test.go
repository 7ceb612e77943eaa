package audit

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/sirocco-project/sirocco/internal/jsonvalue"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// golden compares got with testdata/name, or rewrites it with -update.
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := "testdata/" + name
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from the output (run with -update after a deliberate change, and review the diff):\n%s", path, got)
	}
}

// hostile is a record whose strings hold what tends to break encodings:
// a NUL byte, controls, quotes, non-ASCII, a character above U+FFFF, the
// line separators JavaScript refused, a right-to-left override.
func hostile() Record {
	return Record{
		At:                time.Date(2026, 3, 1, 9, 30, 0, 7, time.FixedZone("CET", 3600)),
		Actor:             "zoë",
		Channel:           "api",
		Addr:              "[2001:db8::1]:443",
		Kind:              KindDecision,
		ActionExecutionID: "a\x00b",
		State:             "SUCCESS",
		Outcome:           Refused,
		Reason:            "schema error: cores: must be ≤ 64",
		Comment:           "line 1\nline 2\t\"quoted\" \\ back\u2028sep\u2029 😀 \u202eevil\x7f",
		Answer:            `{"cores":128,"note":"\u00e9"}`,
		Groups:            []string{"économie", "security"},
		ShownDigest:       strings.Repeat("ab", 32),
	}
}

// TestCanonicalGolden pins the canonical form and the hashes of a small
// trail: a change to either would make every stored trail fail, so it
// must be deliberate (and come with a new Version).
func TestCanonicalGolden(t *testing.T) {
	t.Parallel()
	recs := append(sample(3), hostile())
	recs, head := seal(t, recs, testKey)
	var b bytes.Buffer
	for i := range recs {
		c, err := Canonical(&recs[i])
		if err != nil {
			t.Fatal(err)
		}
		fmt.Fprintf(&b, "%s\nprev %s\nhash %s\n\n", c, recs[i].Prev, recs[i].Hash)
	}
	fmt.Fprintf(&b, "head %s\nanchor %s (key 32 bytes of 0x5a)\n", head, head.Anchor)
	golden(t, "canonical.golden", b.Bytes())
}

// TestCanonicalShape: the form is the documented object, ASCII only, and
// decodes back to the record's values exactly: NUL, unicode, answer text.
func TestCanonicalShape(t *testing.T) {
	t.Parallel()
	r := hostile()
	r.Seq = 9
	c, err := Canonical(&r)
	if err != nil {
		t.Fatal(err)
	}
	for i, ch := range c {
		if ch < 0x20 || ch > 0x7e {
			t.Fatalf("byte %d of the canonical form is %#x: not printable ASCII", i, ch)
		}
	}
	v, err := jsonvalue.Decode(c)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]any{
		"v": int64(1), "seq": int64(9), "at": "2026-03-01T08:30:00.000000007Z",
		"actor": r.Actor, "channel": r.Channel, "addr": r.Addr, "kind": "decision",
		"action_execution_id": r.ActionExecutionID, "state": "SUCCESS", "outcome": "refused", "reason": r.Reason,
		"comment": r.Comment, "answer": r.Answer, "groups": []any{"économie", "security"},
		"shown_digest": r.ShownDigest,
	}
	if !jsonvalue.Equal(v, want) {
		t.Errorf("Canonical decodes to\n%v\nwant\n%v", v, want)
	}
	// Canonical is a fixpoint of jsonvalue.Canonical.
	again, _ := jsonvalue.Canonical(v)
	if !bytes.Equal(again, c) {
		t.Errorf("re-encoding the canonical form changed it:\n%s\n%s", c, again)
	}
}

// TestUnicodeRoundTrip: a record with a NUL byte and unicode seals,
// verifies, survives the JSON export's round trip, and any change to one
// of those characters is detected.
func TestUnicodeRoundTrip(t *testing.T) {
	t.Parallel()
	recs, head := seal(t, []Record{hostile(), hostile()}, testKey)
	if err := Verify(recs, testKey, &head); err != nil {
		t.Fatalf("Verify = %v", err)
	}
	// Through the JSON export and back.
	b, err := jsonvalue.Encode(recs[0].Value())
	if err != nil {
		t.Fatal(err)
	}
	v, err := jsonvalue.Decode(b)
	if err != nil {
		t.Fatal(err)
	}
	m := jsonvalue.Unordered(v).(map[string]any)
	if m["comment"] != recs[0].Comment || m["action_execution_id"] != "a\x00b" || m["actor"] != "zoë" {
		t.Errorf("export round trip changed strings: %q %q %q", m["comment"], m["action_execution_id"], m["actor"])
	}
	for name, change := range map[string]func(*Record){
		"NUL removed":        func(r *Record) { r.ActionExecutionID = "ab" },
		"NUL to another":     func(r *Record) { r.ActionExecutionID = "a\x01b" },
		"accent dropped":     func(r *Record) { r.Actor = "zoe" },
		"composed vs not":    func(r *Record) { r.Actor = "zoe\u0308" },
		"emoji changed":      func(r *Record) { r.Comment = strings.Replace(r.Comment, "😀", "😁", 1) },
		"separator dropped":  func(r *Record) { r.Comment = strings.Replace(r.Comment, "\u2028", "", 1) },
		"answer respaced":    func(r *Record) { r.Answer = `{"cores": 128, "note": "é"}` },
		"group order":        func(r *Record) { r.Groups = []string{"security", "économie"} },
		"state changed":      func(r *Record) { r.State = "ERROR" },
		"invalid UTF-8 byte": func(r *Record) { r.Comment = "\xff" + r.Comment },
	} {
		r := recs[0]
		r.Groups = append([]string(nil), r.Groups...)
		change(&r)
		err := Verify([]Record{r, recs[1]}, testKey, &head)
		var e *Error
		if !errors.As(err, &e) || e.Seq != 1 || e.Problem != Edited {
			t.Errorf("%s: Verify = %v, want record 1 edited", name, err)
		}
	}
	// The same instant in another zone is the same record.
	r := recs[0]
	r.At = r.At.In(time.FixedZone("X", -7*3600))
	if err := Verify([]Record{r, recs[1]}, testKey, &head); err != nil {
		t.Errorf("the same instant in another zone: %v", err)
	}
}

// TestInvalidUTF8 is refused by Canonical: JSON would turn each bad byte
// into U+FFFD, and records differing only there would hash alike.
func TestInvalidUTF8(t *testing.T) {
	t.Parallel()
	for _, change := range []func(*Record){
		func(r *Record) { r.Reason = "\xfe" },
		func(r *Record) { r.Groups = []string{"ok", "\xc3"} },
		func(r *Record) { r.Addr = "\xed\xa0\x80" }, // a surrogate in UTF-8
	} {
		r := sample(1)[0]
		change(&r)
		if c, err := Canonical(&r); err == nil {
			t.Errorf("Canonical accepted invalid UTF-8: %s", c)
		}
	}
}

// TestTimeForm: nine digits always, UTC, and the range RFC 3339 allows.
func TestTimeForm(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		in   time.Time
		want string
	}{
		{time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC), "2026-01-02T03:04:05.000000000Z"},
		{time.Date(2026, 1, 2, 3, 4, 5, 100, time.FixedZone("", 5400)), "2026-01-02T01:34:05.000000100Z"},
		{time.Date(0, 1, 1, 0, 0, 0, 0, time.UTC), "0000-01-01T00:00:00.000000000Z"},
	} {
		got, err := FormatTime(tc.in)
		if err != nil || got != tc.want {
			t.Errorf("FormatTime(%v) = %q, %v; want %q", tc.in, got, err, tc.want)
		}
		back, err := ParseTime(got)
		if err != nil || !back.Equal(tc.in) {
			t.Errorf("ParseTime(%q) = %v, %v; want %v", got, back, err, tc.in)
		}
	}
	for _, y := range []int{-1, 10000} {
		if s, err := FormatTime(time.Date(y, 1, 1, 0, 0, 0, 0, time.UTC)); err == nil {
			t.Errorf("FormatTime(year %d) = %q, want an error", y, s)
		}
	}
	if _, err := ParseTime("2026-01-02 03:04:05"); err == nil {
		t.Error("ParseTime accepted a time that is not RFC 3339")
	}
}

// TestParseHead reads what Head.String writes and refuses the rest.
func TestParseHead(t *testing.T) {
	t.Parallel()
	_, head := seal(t, sample(2), testKey)
	got, err := ParseHead(" " + head.String() + "\n")
	if err != nil || got.Seq != head.Seq || got.Hash != head.Hash {
		t.Fatalf("ParseHead(%q) = %v, %v", head.String(), got, err)
	}
	for _, s := range []string{"", "2", "x:" + head.Hash.String(), "-1:" + head.Hash.String(), "2:abc", "2:" + strings.Repeat("g", 64)} {
		if h, err := ParseHead(s); err == nil {
			t.Errorf("ParseHead(%q) = %v, want an error", s, h)
		}
	}
}

// TestShownDigest: what was shown is hashed canonically, so the order of
// a context's keys does not matter and its values do.
func TestShownDigest(t *testing.T) {
	t.Parallel()
	a, err := ShownDigest("VM", "*why*", map[string]any{"a": int64(1), "b": "x"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := ShownDigest("VM", "*why*", map[string]any{"b": "x", "a": int64(1)}, nil)
	c, _ := ShownDigest("VM", "*why*", map[string]any{"a": 1.0, "b": "x"}, nil)
	if a != b || a == c || len(a) != 64 {
		t.Errorf("digests %s %s %s: want the first two equal, the third apart", a, b, c)
	}
	r := sample(1)[0]
	r.ShownDigest = a
	if err := r.Validate(); err != nil {
		t.Errorf("a ShownDigest does not validate: %v", err)
	}
}
