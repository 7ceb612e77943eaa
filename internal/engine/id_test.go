package engine

import (
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
)

var uuid7RE = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)

// Ids are version 7 UUIDs: the format clients expect, with the creation
// time in front so that the database indexes grow at one edge.
func TestNewID(t *testing.T) {
	before := time.Now().UnixMilli()
	seen := map[string]bool{}
	for i := 0; i < 1000; i++ {
		id := newID()
		if !uuid7RE.MatchString(id) || !LooksLikeID(id) {
			t.Fatalf("newID() = %q, not a version 7 UUID", id)
		}
		if seen[id] {
			t.Fatalf("newID() repeated %q", id)
		}
		seen[id] = true
		ms, err := strconv.ParseInt(strings.ReplaceAll(id[:13], "-", ""), 16, 64)
		if err != nil {
			t.Fatal(err)
		}
		if after := time.Now().UnixMilli(); ms < before || ms > after {
			t.Fatalf("newID() = %q carries %d ms, want within [%d, %d]", id, ms, before, after)
		}
	}
}
