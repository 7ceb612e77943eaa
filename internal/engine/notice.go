package engine

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// Notice is what one committed transaction tells the other replicas
// sharing the store: the events it produced (their pages change), whether
// it added jobs (their workers may run them) and whether it changed
// workflow definitions (their caches are stale). A listener that may have
// missed notices (its connection dropped) gets one with Resync set.
type Notice struct {
	// Replica is the replica that committed the transaction; a replica
	// drops its own notices, having acted on them already.
	Replica     string
	Events      []Event
	Jobs        bool
	Definitions bool
	// Resync means notices may have been lost: drop every cache, look for
	// jobs, and have every page fetch what it shows again.
	Resync bool
}

func (n *Notice) empty() bool {
	return len(n.Events) == 0 && !n.Jobs && !n.Definitions && !n.Resync
}

// Announcer is implemented by the Tx of a store shared by several
// replicas (PostgreSQL: pg_notify on NoticeChannel in the committing
// transaction, one call per payload of n.Payloads()). The engine calls it
// last in each transaction that produced something; what it announces
// must reach the other replicas if and only if the transaction commits.
type Announcer interface {
	Announce(ctx context.Context, n Notice) error
}

// Notifier is implemented by a store shared by several replicas. Listen
// calls fn, in commit order, with the notices committed by every replica
// (its own included: the engine drops them by Notice.Replica) until ctx
// ends, and returns nil then. When it cannot be sure it saw every notice
// (its connection dropped and came back), it calls fn with a Notice whose
// Resync is set; a payload it cannot parse (ParseNotice) is such a notice
// too. It returns an error only when it gives up; the engine calls it
// again after a pause.
type Notifier interface {
	Listen(ctx context.Context, fn func(Notice)) error
}

// NoticeChannel is the channel name a store announces notices on.
const NoticeChannel = "sirocco_notices"

// MaxNoticePayload bounds each payload of Notice.Payloads, under
// PostgreSQL's limit of 8,000 bytes for a NOTIFY payload.
const MaxNoticePayload = 7900

// maxNoticeParts bounds how many payloads one notice splits into (about
// 60 events fit in each); a larger one is announced as a resync instead,
// which costs the listeners one refetch per open page.
const maxNoticeParts = 16

// maxNoticeVia bounds the Via field as announced (it names a person at
// most): an event line always fits in a payload.
const maxNoticeVia = 128

// The encoding: a header line "n1<TAB>replica<TAB>flags", then one line per
// event: "kind<TAB>id<TAB>state<TAB>execution id<TAB>flags<TAB>unix
// microseconds<TAB>via". Ids, not contents: a page refetches what it shows.
// An event's Note is left out (it can be long; the timeline has it).
const noticeVersion = "n1"

var (
	kindCodes  = map[string]string{"execution": "e", "task": "t", "action_execution": "a"}
	kindByCode = map[string]string{"e": "execution", "t": "task", "a": "action_execution"}
)

// noticeText makes s safe inside a payload: no field or line separators,
// no NUL (PostgreSQL text refuses it), valid UTF-8, at most max bytes.
func noticeText(s string, max int) string {
	if !strings.ContainsAny(s, "\t\n\r\x00") && len(s) <= max && utf8.ValidString(s) {
		return s
	}
	s = strings.ToValidUTF8(s, "?")
	s = strings.Map(func(r rune) rune {
		switch r {
		case '\t', '\n', '\r', 0:
			return ' '
		}
		return r
	}, s)
	if len(s) > max {
		s = s[:max]
		for len(s) > 0 && !utf8.ValidString(s) {
			s = s[:len(s)-1]
		}
	}
	return s
}

func (n *Notice) header() string {
	flags := ""
	if n.Jobs {
		flags += "j"
	}
	if n.Definitions {
		flags += "d"
	}
	if n.Resync {
		flags += "r"
	}
	return noticeVersion + "\t" + noticeText(n.Replica, 128) + "\t" + flags
}

// Payloads encodes n as one or more texts of at most MaxNoticePayload
// bytes, each a notice of its own (ParseNotice) carrying some of the
// events and all of the flags. A notice too large for maxNoticeParts
// payloads is encoded as one resync.
func (n Notice) Payloads() []string {
	head := n.header()
	var out []string
	var b strings.Builder
	b.WriteString(head)
	for i := range n.Events {
		line := eventLine(&n.Events[i])
		if len(head)+1+len(line) > MaxNoticePayload { // an id no store would make
			return n.resyncPayload()
		}
		if b.Len()+1+len(line) > MaxNoticePayload {
			out = append(out, b.String())
			if len(out) == maxNoticeParts {
				return n.resyncPayload()
			}
			b.Reset()
			b.WriteString(head)
		}
		b.WriteByte('\n')
		b.WriteString(line)
	}
	return append(out, b.String())
}

func (n *Notice) resyncPayload() []string {
	r := Notice{Replica: n.Replica, Jobs: n.Jobs, Definitions: n.Definitions, Resync: true}
	return []string{r.header()}
}

func eventLine(ev *Event) string {
	kind, ok := kindCodes[ev.Kind]
	if !ok {
		kind = noticeText(ev.Kind, 32)
	}
	flags := ""
	if ev.Async {
		flags += "a"
	}
	if ev.Detail {
		flags += "d"
	}
	if ev.Approval {
		flags += "p"
	}
	at := ""
	if !ev.At.IsZero() {
		at = strconv.FormatInt(ev.At.UnixMicro(), 10)
	}
	return kind + "\t" + noticeText(ev.ID, 256) + "\t" + noticeText(string(ev.State), 32) + "\t" +
		noticeText(ev.ExecutionID, 256) + "\t" + flags + "\t" + at + "\t" + noticeText(ev.Via, maxNoticeVia)
}

// ErrBadNotice is returned by ParseNotice for a payload it cannot read.
var ErrBadNotice = errors.New("bad notice payload")

// ParseNotice decodes one payload of Notice.Payloads.
func ParseNotice(payload string) (Notice, error) {
	lines := strings.Split(payload, "\n")
	head := strings.Split(lines[0], "\t")
	if len(head) != 3 || head[0] != noticeVersion {
		return Notice{}, fmt.Errorf("%w: header %.40q", ErrBadNotice, lines[0])
	}
	n := Notice{Replica: head[1]}
	for _, f := range head[2] {
		switch f {
		case 'j':
			n.Jobs = true
		case 'd':
			n.Definitions = true
		case 'r':
			n.Resync = true
		}
	}
	if len(lines) > 1 {
		n.Events = make([]Event, 0, len(lines)-1)
	}
	for _, line := range lines[1:] {
		f := strings.Split(line, "\t")
		if len(f) != 7 {
			return Notice{}, fmt.Errorf("%w: event %.60q", ErrBadNotice, line)
		}
		ev := Event{Kind: kindByCode[f[0]], ID: f[1], State: State(f[2]), ExecutionID: f[3], Via: f[6]}
		if ev.Kind == "" {
			ev.Kind = f[0]
		}
		for _, c := range f[4] {
			switch c {
			case 'a':
				ev.Async = true
			case 'd':
				ev.Detail = true
			case 'p':
				ev.Approval = true
			}
		}
		if f[5] != "" {
			us, err := strconv.ParseInt(f[5], 10, 64)
			if err != nil {
				return Notice{}, fmt.Errorf("%w: time %q", ErrBadNotice, f[5])
			}
			ev.At = time.UnixMicro(us).UTC()
		}
		n.Events = append(n.Events, ev)
	}
	return n, nil
}
