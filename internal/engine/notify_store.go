package engine

import "context"

// DeliveryReader reads the notifier's deliveries.
type DeliveryReader interface {
	// Deliveries lists the deliveries about an execution (its
	// ExecutionID), oldest first.
	Deliveries(ctx context.Context, executionID string) ([]*Delivery, error)
	// ActionDeliveries lists the deliveries about an action execution
	// (its ActionID: an approval's events), oldest first.
	ActionDeliveries(ctx context.Context, actionID string) ([]*Delivery, error)
	// GetDelivery finds a delivery by id.
	GetDelivery(ctx context.Context, id string) (*Delivery, error)
}

// DeliveryTx writes the notifier's deliveries.
type DeliveryTx interface {
	AddDelivery(ctx context.Context, d *Delivery) error
	// UpdateDelivery writes d's state, attempts, last error and next
	// attempt if the stored row still has d.Version, and increments it;
	// else fault.ErrConflict.
	UpdateDelivery(ctx context.Context, d *Delivery) error
}
