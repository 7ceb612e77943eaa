package templates

import "time"

// TriggersView is the Triggers page: the cron triggers with their next
// runs and last executions.
type TriggersView struct {
	Page
	Rows []TriggerRow
	// Error is a message about the last form, shown at the top.
	Error string
}

// TriggerRow is a row of the triggers table.
type TriggerRow struct {
	Name, Pattern, WorkflowName, WorkflowURL string
	Next                                     time.Time
	// Remaining is "" for a trigger without a limit.
	Remaining string
	State     string
	// StateInfo says why a trigger stopped (or who paused it).
	StateInfo string
	CreatedBy string
	Last      []TriggerRun
	// PauseURL, ResumeURL and DeleteURL are set when the person may use
	// them (an admin, or the trigger's creator): a Sirocco extension.
	PauseURL, ResumeURL, DeleteURL string
}

// TriggerRun is one of a trigger's last executions.
type TriggerRun struct {
	ID, URL string
	At      time.Time
}
