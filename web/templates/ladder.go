package templates

import (
	"fmt"
	"time"
)

// LadderView is an approval's timeout ladder as its action page shows it:
// the rungs that happened (reminders, the escalation, the timeout
// decision), then those to come while nobody decides, with when.
// internal/web fills it (ladder.go there) from the engine's Ladder.
type LadderView struct {
	Done []LadderRung
	Next []LadderRung
	// Escalated says the decision passed to escalate_to; Pending that
	// the approval still waits.
	Escalated bool
	Pending   bool
}

// LadderRung is one rung: what (Label: "Reminder", "Escalation",
// "Timeout"), when, and what it does or did (Note).
type LadderRung struct {
	Kind  string // reminder, escalation or timeout
	Label string
	At    time.Time
	Note  string
}

// ladderKey changes when the ladder panel must be redrawn: a rung fired,
// or the approval ended.
func ladderKey(v *LadderView) string {
	return fmt.Sprintf("%d:%d:%t", len(v.Done), len(v.Next), v.Pending)
}
