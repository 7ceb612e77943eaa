package engine

import (
	"context"
	"time"
)

// CronTrigger is a stored cron trigger (Mistral's /v2/cron_triggers): it
// starts its workflow at each time its pattern names, as its creator.
type CronTrigger struct {
	ID      string
	Name    string
	Pattern string // five fields, UTC; "" for a trigger with only a first time
	// FirstExecutionTime is the time asked for the first execution (nil:
	// the pattern's first time after creation).
	FirstExecutionTime *time.Time
	// NextExecutionTime is when the trigger fires next.
	NextExecutionTime time.Time
	// RemainingExecutions counts the executions left (nil: no limit); the
	// trigger is deleted when it reaches 0, as Mistral does.
	RemainingExecutions *int
	WorkflowID          string
	WorkflowName        string
	WorkflowNamespace   string
	WorkflowInputJSON   string // a JSON object
	WorkflowParamsJSON  string // a JSON object
	Scope               string
	ProjectID           string
	// CreatedBy is the account that created it, whose executions they
	// are ("" when authentication is off).
	CreatedBy string
	// State is CronActive, CronPaused or CronStopped; StateInfo says why
	// a trigger stopped (or that it was paused and by whom).
	State     string
	StateInfo *string
	// LastExecutionsJSON lists the last executions started, newest first:
	// a JSON array of {"id": …, "at": …} (at most cronKeepLast).
	LastExecutionsJSON string
	CreatedAt          time.Time
	UpdatedAt          *time.Time
	// Version counts the updates of the stored row (see Workflow.Version).
	Version int64
}

// States of a cron trigger (Sirocco's; Mistral's triggers have none).
const (
	CronActive  = "ACTIVE"  // fires at its next time
	CronPaused  = "PAUSED"  // paused from the dashboard; resumed there
	CronStopped = "STOPPED" // stopped by the server: its creator may no longer start executions, or its workflow could not start
)

// CronReader holds the reads of cron triggers.
type CronReader interface {
	// GetCronTrigger finds a cron trigger by id, or by name.
	GetCronTrigger(ctx context.Context, idOrName string) (*CronTrigger, error)
	// ListCronTriggers lists the cron triggers, oldest first (then by id).
	ListCronTriggers(ctx context.Context) ([]*CronTrigger, error)
}

// CronTx holds the writes of cron triggers. A duplicate name is
// fault.ECONFLICT.
type CronTx interface {
	CreateCronTrigger(ctx context.Context, c *CronTrigger) error
	// UpdateCronTrigger writes c's mutable fields (next time, remaining
	// executions, state, last executions, updated_at) if the stored row
	// still has c.Version, and increments it; else fault.ErrConflict.
	UpdateCronTrigger(ctx context.Context, c *CronTrigger) error
	// DeleteCronTrigger deletes the trigger id if it still has version;
	// fault.ErrConflict if it has another, fault.ENOTFOUND if it is gone.
	DeleteCronTrigger(ctx context.Context, id string, version int64) error
}
