package web

import (
	"github.com/sirocco-project/sirocco/internal/engine"
	"github.com/sirocco-project/sirocco/web/templates"
)

// ladderView is an approval's timeout ladder for its page; nil for none.
func ladderView(l *engine.Ladder, pending bool) *templates.LadderView {
	if l == nil {
		return nil
	}
	v := &templates.LadderView{Escalated: l.Escalated, Pending: pending}
	for _, r := range l.Done {
		v.Done = append(v.Done, ladderRung(r))
	}
	if pending {
		for _, r := range l.Next {
			v.Next = append(v.Next, ladderRung(r))
		}
	}
	return v
}

var rungLabels = map[string]string{engine.RungReminder: "Reminder", engine.RungEscalation: "Escalation", engine.RungTimeout: "Timeout"}

func ladderRung(r engine.Rung) templates.LadderRung {
	return templates.LadderRung{Kind: r.Kind, Label: rungLabels[r.Kind], At: r.At, Note: r.Note}
}
