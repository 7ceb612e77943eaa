package engine

import (
	"context"
	"time"
)

// DecisionLink is one person's decision link on one approval
// (approval_links.go). The store keeps no token: a token is the link's
// id and an HMAC over the id, the approval, the person and the expiry,
// made again from the server key whenever it is needed.
type DecisionLink struct {
	ID                string
	ActionExecutionID string
	User              string
	// Event is the approval event the link was issued with.
	Event     EventType
	CreatedAt time.Time
	ExpiresAt time.Time
	// UsedAt is when the one decision it carried was recorded; nil
	// before.
	UsedAt *time.Time
	// RevokedAt is when it was revoked, nil if it was not; RevokedBy who
	// revoked it.
	RevokedAt *time.Time
	RevokedBy string
	// Version counts the updates of the stored row.
	Version int64
}

// LinkReader reads decision links.
type LinkReader interface {
	// GetDecisionLink finds a link by id; unknown is fault.ENOTFOUND.
	GetDecisionLink(ctx context.Context, id string) (*DecisionLink, error)
	// DecisionLinks lists the links of an approval, oldest first.
	DecisionLinks(ctx context.Context, actionID string) ([]*DecisionLink, error)
}

// LinkTx writes decision links. They go with their action execution.
type LinkTx interface {
	// AddDecisionLink stores a new link at version 0.
	AddDecisionLink(ctx context.Context, l *DecisionLink) error
	// UpdateDecisionLink writes used_at, revoked_at and revoked_by if the
	// stored version is l.Version, and increments it; else
	// fault.ErrConflict.
	UpdateDecisionLink(ctx context.Context, l *DecisionLink) error
}
