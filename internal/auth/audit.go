package auth

import (
	"context"
	"fmt"
	"time"
)

// Every administrative change to accounts is recorded in the audit trail,
// in the transaction of the change (Tx.AppendAudit): users, their roles
// and password resets, groups, memberships, API tokens, and a user's own
// password change. Records say what was done, never a secret. The store
// chains them with the engine's records (package audit); auth keeps its
// own record type so that it needs neither the engine nor the chain.

// Actor is who makes a change: the account ("" for the local admin when
// authentication is off, and for the server itself), its groups at that
// moment, the channel (dashboard, api, cli; "server" for the server
// itself) and the client's address. guard.Actor makes one from a request.
type Actor struct {
	User    string
	Groups  []string
	Channel string
	Addr    string
}

// ServerActor is the server acting of itself: the first admin it creates.
var ServerActor = Actor{Channel: "server"}

// AuditRecord is one administrative change to accounts.
type AuditRecord struct {
	At time.Time
	By Actor
	// What says what was done, naming what it was done to:
	// "create user alice (role viewer)".
	What string
}

// audit appends the record of what by did, at the service's time.
func (s *Service) audit(ctx context.Context, tx Tx, by Actor, format string, args ...any) error {
	r := &AuditRecord{At: s.now().UTC(), By: by, What: fmt.Sprintf(format, args...)}
	if err := tx.AppendAudit(ctx, r); err != nil {
		return fmt.Errorf("audit %q: %w", r.What, err)
	}
	return nil
}
