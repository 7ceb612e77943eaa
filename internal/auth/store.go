package auth

import (
	"context"
	"time"
)

// Reader holds the reads of accounts and credentials. Lookups of missing
// records return an fault.ENOTFOUND error.
type Reader interface {
	CountUsers(ctx context.Context) (int, error)
	GetUser(ctx context.Context, name string) (*User, error)
	ListUsers(ctx context.Context) ([]*User, error)
	ListGroups(ctx context.Context) ([]*Group, error)
	TokenByHash(ctx context.Context, hash string) (*Token, error)
	ListTokens(ctx context.Context, kind string) ([]*Token, error)
	SessionByHash(ctx context.Context, hash string) (*Session, error)
	CallbackTokenHash(ctx context.Context, actionID string) (string, error)

	// LoginFailures returns the login throttle's records of keys, in the
	// order of keys: the zero Failures for a key without one, or whose
	// Until is not after now. In a Tx, it also holds the keys until the
	// transaction ends, so that another transaction's LoginFailures of
	// any of them waits and then sees this one's writes: a check of the
	// counts and the failure it counts cannot interleave with another's,
	// even for keys without a record yet. (SQLite's single writer does
	// so by itself; a store with concurrent writers locks the keys, for
	// example with transaction-scoped advisory locks taken in one order.)
	LoginFailures(ctx context.Context, now time.Time, keys []LimitKey) ([]Failures, error)
	// CountLoginFailures is how many records the throttle's table holds,
	// those past their Until but not yet deleted included.
	CountLoginFailures(ctx context.Context) (int, error)
}

// Tx is one write transaction: its reads see its writes, and a check and
// the write it allows commit together or not at all. Duplicates are an
// fault.ECONFLICT error; a change to a missing record fault.ENOTFOUND.
type Tx interface {
	Reader

	CreateUser(ctx context.Context, u *User) error
	// UpdateUser changes the role and, if passwordHash is not empty, the
	// password.
	UpdateUser(ctx context.Context, name string, role Role, passwordHash string) error
	DeleteUser(ctx context.Context, name string) error
	EmailTx

	CreateGroup(ctx context.Context, g *Group) error
	DeleteGroup(ctx context.Context, name string) error
	SetMember(ctx context.Context, group, user string, member bool) error

	CreateToken(ctx context.Context, t *Token) error
	DeleteToken(ctx context.Context, id string) error
	DeleteExpiredTokens(ctx context.Context, now time.Time) error
	// DeleteUserTokens revokes user's tokens of a kind.
	DeleteUserTokens(ctx context.Context, user, kind string) error

	CreateSession(ctx context.Context, s *Session) error
	DeleteSession(ctx context.Context, hash string) error
	// DeleteUserSessions ends every session of user but the one whose
	// hash is except ("" for none), and returns the hashes it ended.
	DeleteUserSessions(ctx context.Context, user, except string) ([]string, error)

	PutCallbackToken(ctx context.Context, actionID, hash string, at time.Time) error
	// AppendAudit appends the record of an administrative change to the
	// audit trail, the one the engine's records are in, chained to the
	// record before it.
	AppendAudit(ctx context.Context, r *AuditRecord) error
	// Secret returns the named server secret, storing create() first if
	// there is none.
	Secret(ctx context.Context, name string, create func() []byte) ([]byte, error)

	// PutLoginFailures stores recs[i] as the record of keys[i], replacing
	// any; a record with Count 0 is deleted instead. When the call adds
	// records (keys that had none), it then keeps the table bounded, in
	// this order: it deletes up to LimitSweep records whose Until is not
	// after now, soonest Until first; and, if more than maxRows records
	// remain, it deletes records other than keys, fewest failures first,
	// then the oldest Last, then by key, until maxRows remain (at most
	// LimitSweep of them). A call that adds none deletes nothing
	// but its own Count 0 records.
	PutLoginFailures(ctx context.Context, now time.Time, keys []LimitKey, recs []Failures, maxRows int) error
}

// Store is the persistence auth needs: reads, and write transactions.
type Store interface {
	Reader
	// Update runs fn in one write transaction and commits it when fn
	// returns nil. fn may run more than once (a store may retry it): it
	// must have no effect but its writes, and leave results only from its
	// last run.
	Update(ctx context.Context, fn func(Tx) error) error
}
