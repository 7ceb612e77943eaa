package engine_test

import (
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/sirocco-project/sirocco/internal/engine"
)

// noticeEvent is the i-th of a run of events of every kind.
func noticeEvent(i int) engine.Event {
	kinds := []string{"execution", "task", "action_execution"}
	return engine.Event{Kind: kinds[i%3], ID: "0193a4c2-7d1e-7abc-8def-0123456789ab", State: engine.StateRunning,
		ExecutionID: "0193a4c2-7d1e-7abc-8def-ba9876543210", Via: "dashboard", At: time.Date(2026, 12, 7, 6, 0, 0, i*1000+7000, time.UTC),
		Async: i%2 == 0, Detail: i%5 == 0, Approval: i%7 == 0}
}

func parseAll(t *testing.T, payloads []string) []engine.Notice {
	t.Helper()
	var out []engine.Notice
	for _, p := range payloads {
		if len(p) > engine.MaxNoticePayload || len(p) >= 8000 {
			t.Errorf("payload of %d bytes; PostgreSQL takes less than 8,000", len(p))
		}
		if !utf8.ValidString(p) || strings.ContainsRune(p, 0) {
			t.Errorf("payload is not text PostgreSQL accepts: %q", p)
		}
		n, err := engine.ParseNotice(p)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, n)
	}
	return out
}

// TestNoticeRoundTrip: a notice's payloads read back as the notice, less
// each event's Note (ids, not contents, travel) and below the microsecond.
func TestNoticeRoundTrip(t *testing.T) {
	t.Parallel()
	for _, n := range []engine.Notice{
		{Replica: "host-1-abcd", Jobs: true},
		{Replica: "r", Definitions: true, Resync: true},
		{Replica: "r", Events: []engine.Event{noticeEvent(0), noticeEvent(1), noticeEvent(2), noticeEvent(5), noticeEvent(7)}, Jobs: true},
		{Replica: "r", Events: []engine.Event{{Kind: "task", ID: "t", State: engine.StateSuccess}}}, // no time, no via
	} {
		want := n
		want.Events = nil
		for _, ev := range n.Events {
			ev.Note = ""
			want.Events = append(want.Events, ev)
		}
		n.Events = append([]engine.Event(nil), n.Events...)
		for i := range n.Events {
			n.Events[i].Note = "a long comment\twith\nbreaks"
			n.Events[i].At = n.Events[i].At.Add(321 * time.Nanosecond)
		}
		got := parseAll(t, n.Payloads())
		if len(got) != 1 {
			t.Fatalf("%d payloads for %d events; want 1", len(got), len(n.Events))
		}
		if !reflect.DeepEqual(got[0], want) {
			t.Errorf("round trip:\n got %+v\nwant %+v", got[0], want)
		}
	}
}

// TestNoticeSize: a notice too large for one payload is split into several
// under PostgreSQL's limit that together carry every event in order, each
// with the notice's flags; one too large for maxNoticeParts payloads
// becomes a single resync that keeps the flags; text fields that could
// break the encoding or the limit (a huge Via with separators, NUL and
// invalid UTF-8) are cleaned and cut.
func TestNoticeSize(t *testing.T) {
	t.Parallel()
	var events []engine.Event
	for i := range 500 {
		events = append(events, noticeEvent(i))
	}
	n := engine.Notice{Replica: "r1", Events: events, Jobs: true, Definitions: true}
	got := parseAll(t, n.Payloads())
	if len(got) < 2 {
		t.Fatalf("500 events in %d payload(s); want them split", len(got))
	}
	var all []engine.Event
	for _, p := range got {
		if p.Replica != "r1" || !p.Jobs || !p.Definitions || p.Resync {
			t.Errorf("part %+v lost the notice's header", p)
		}
		all = append(all, p.Events...)
	}
	if !reflect.DeepEqual(all, events) {
		t.Errorf("the parts carry %d events, not the 500 sent in order", len(all))
	}

	for range 5000 {
		events = append(events, noticeEvent(len(events)))
	}
	got = parseAll(t, engine.Notice{Replica: "r1", Events: events, Definitions: true}.Payloads())
	if len(got) != 1 || !got[0].Resync || !got[0].Definitions || got[0].Jobs || len(got[0].Events) != 0 || got[0].Replica != "r1" {
		t.Errorf("5,500 events: %d payloads, first %+v; want one resync keeping the flags", len(got), got[0])
	}

	ev := noticeEvent(1)
	ev.Via = strings.Repeat("é\t\n\x00", 4000) + "\xff"
	got = parseAll(t, engine.Notice{Replica: "r\tx", Events: []engine.Event{ev}}.Payloads())
	if len(got) != 1 || len(got[0].Events) != 1 {
		t.Fatalf("got %+v", got)
	}
	if via := got[0].Events[0].Via; len(via) > 128 || strings.ContainsAny(via, "\t\n\x00") || !strings.HasPrefix(via, "é   é") {
		t.Errorf("via announced as %q", via)
	}
	if got[0].Replica != "r x" {
		t.Errorf("replica announced as %q", got[0].Replica)
	}
}

func TestParseNoticeRefusesGarbage(t *testing.T) {
	t.Parallel()
	for _, p := range []string{"", "hello", "n2\tr\t", "n1\tr", "n1\tr\tj\nx\ty", "n1\tr\t\na\tid\tRUNNING\tex\t\tsoon\tvia"} {
		if _, err := engine.ParseNotice(p); !errors.Is(err, engine.ErrBadNotice) {
			t.Errorf("ParseNotice(%q) = %v; want ErrBadNotice", p, err)
		}
	}
}
