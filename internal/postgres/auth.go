package postgres

import (
	"context"
	"time"

	"github.com/sirocco-project/sirocco/internal/auth"
	"github.com/sirocco-project/sirocco/internal/fault"
)

// AuthStore implements auth.Store over the same database: accounts,
// groups, tokens, sessions, callback tokens and server secrets.
type AuthStore struct {
	authReader
	s *Store
}

var _ auth.Store = (*AuthStore)(nil)

// Auth returns the store of accounts and credentials.
func (s *Store) Auth() *AuthStore { return &AuthStore{authReader: authReader{db: pool{s.pool}}, s: s} }

// Update implements auth.Store: fn runs in one transaction, again if
// PostgreSQL aborts it for a serialization failure or a deadlock.
func (a *AuthStore) Update(ctx context.Context, fn func(auth.Tx) error) error {
	return a.s.write(ctx, func(q *txq) error { return fn(&authTx{authReader: authReader{db: q}, q: q}) })
}

// authReader implements auth.Reader on the pool, or in a transaction,
// where the reads see its writes.
type authReader struct{ db querier }

// authTx implements auth.Tx.
type authTx struct {
	authReader
	q *txq
}

// exec runs one statement; what names it in errors. With mustAffect, no
// row changed is ENOTFOUND.
func (tx *authTx) exec(ctx context.Context, what string, mustAffect bool, query string, params ...any) error {
	tag, err := tx.q.Exec(ctx, query, params...)
	if err != nil {
		return dbErr(err, what)
	}
	if mustAffect && tag.RowsAffected() == 0 {
		return fault.ErrNotFound
	}
	return nil
}

func (r authReader) CountUsers(ctx context.Context) (int, error) {
	var n int
	err := r.db.QueryRow(ctx, `SELECT count(*) FROM users`).Scan(&n)
	return n, dbErr(err, "count users")
}

func (tx *authTx) CreateUser(ctx context.Context, u *auth.User) error {
	return tx.exec(ctx, "create user", false, `INSERT INTO users (name, role, password_hash, created_at, email) VALUES ($1, $2, $3, $4, $5)`,
		u.Name, string(u.Role), u.PasswordHash, utc(u.CreatedAt), u.Email)
}

func (r authReader) GetUser(ctx context.Context, name string) (*auth.User, error) {
	var u auth.User
	var role string
	err := r.db.QueryRow(ctx, `SELECT name, role, password_hash, created_at, email FROM users WHERE name = $1`, name).
		Scan(&u.Name, &role, &u.PasswordHash, &u.CreatedAt, &u.Email)
	if err != nil {
		return nil, dbErr(err, "get user")
	}
	u.Role = auth.Role(role)
	groups, err := collect(ctx, r.db, "get user groups", func(s pgxScanner) (auth.Group, error) {
		var g auth.Group
		var gr string
		err := s.Scan(&g.Name, &gr)
		g.Role = auth.Role(gr)
		return g, err
	}, `SELECT g.name, g.role FROM group_members m JOIN groups g ON g.name = m.group_name WHERE m.user_name = $1 ORDER BY g.name`, name)
	u.Groups = groups
	return &u, err
}

func (r authReader) ListUsers(ctx context.Context) ([]*auth.User, error) {
	rows, err := r.db.Query(ctx, `SELECT u.name, u.role, u.created_at, u.email, g.name, g.role FROM users u
		LEFT JOIN group_members m ON m.user_name = u.name LEFT JOIN groups g ON g.name = m.group_name ORDER BY u.name, g.name`)
	if err != nil {
		return nil, dbErr(err, "list users")
	}
	defer rows.Close()
	var out []*auth.User
	for rows.Next() {
		var name, role, email string
		var created time.Time
		var gname, grole *string
		if err := rows.Scan(&name, &role, &created, &email, &gname, &grole); err != nil {
			return nil, dbErr(err, "list users")
		}
		if len(out) == 0 || out[len(out)-1].Name != name {
			out = append(out, &auth.User{Name: name, Role: auth.Role(role), CreatedAt: created, Email: email})
		}
		if gname != nil {
			u := out[len(out)-1]
			u.Groups = append(u.Groups, auth.Group{Name: *gname, Role: auth.Role(deref(grole))})
		}
	}
	return out, dbErr(rows.Err(), "list users")
}

func (tx *authTx) UpdateUser(ctx context.Context, name string, role auth.Role, passwordHash string) error {
	if passwordHash == "" {
		return tx.exec(ctx, "update user", true, `UPDATE users SET role = $1 WHERE name = $2`, string(role), name)
	}
	return tx.exec(ctx, "update user", true, `UPDATE users SET role = $1, password_hash = $2 WHERE name = $3`, string(role), passwordHash, name)
}

func (tx *authTx) DeleteUser(ctx context.Context, name string) error {
	return tx.exec(ctx, "delete user", true, `DELETE FROM users WHERE name = $1`, name)
}

func (tx *authTx) CreateGroup(ctx context.Context, g *auth.Group) error {
	return tx.exec(ctx, "create group", false, `INSERT INTO groups (name, role, created_at) VALUES ($1, $2, $3)`,
		g.Name, string(g.Role), utc(g.CreatedAt))
}

func (r authReader) ListGroups(ctx context.Context) ([]*auth.Group, error) {
	rows, err := r.db.Query(ctx, `SELECT g.name, g.role, g.created_at, m.user_name FROM groups g
		LEFT JOIN group_members m ON m.group_name = g.name ORDER BY g.name, m.user_name`)
	if err != nil {
		return nil, dbErr(err, "list groups")
	}
	defer rows.Close()
	var out []*auth.Group
	for rows.Next() {
		var name, role string
		var created time.Time
		var member *string
		if err := rows.Scan(&name, &role, &created, &member); err != nil {
			return nil, dbErr(err, "list groups")
		}
		if len(out) == 0 || out[len(out)-1].Name != name {
			out = append(out, &auth.Group{Name: name, Role: auth.Role(role), CreatedAt: created})
		}
		if member != nil {
			g := out[len(out)-1]
			g.Members = append(g.Members, *member)
		}
	}
	return out, dbErr(rows.Err(), "list groups")
}

func (tx *authTx) DeleteGroup(ctx context.Context, name string) error {
	return tx.exec(ctx, "delete group", true, `DELETE FROM groups WHERE name = $1`, name)
}

func (tx *authTx) SetMember(ctx context.Context, group, user string, member bool) error {
	var n int
	if err := tx.q.QueryRow(ctx, `SELECT (SELECT count(*) FROM groups WHERE name = $1) + (SELECT count(*) FROM users WHERE name = $2)`,
		group, user).Scan(&n); err != nil {
		return dbErr(err, "set member")
	}
	if n != 2 {
		return fault.ErrNotFound
	}
	var err error
	if member {
		_, err = tx.q.Exec(ctx, `INSERT INTO group_members (group_name, user_name) VALUES ($1, $2) ON CONFLICT DO NOTHING`, group, user)
	} else {
		_, err = tx.q.Exec(ctx, `DELETE FROM group_members WHERE group_name = $1 AND user_name = $2`, group, user)
	}
	return dbErr(err, "set member")
}

const tokenColumns = `id, token_hash, name, kind, role, user_name, created_at, expires_at`

func scanToken(sc pgxScanner) (*auth.Token, error) {
	var t auth.Token
	var role string
	if err := sc.Scan(&t.ID, &t.Hash, &t.Name, &t.Kind, &role, &t.UserName, &t.CreatedAt, &t.ExpiresAt); err != nil {
		return nil, err
	}
	t.Role = auth.Role(role)
	return &t, nil
}

func (tx *authTx) CreateToken(ctx context.Context, t *auth.Token) error {
	return tx.exec(ctx, "create token", false, `INSERT INTO api_tokens (`+tokenColumns+`) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
		t.ID, t.Hash, t.Name, t.Kind, string(t.Role), t.UserName, utc(t.CreatedAt), utcPtr(t.ExpiresAt))
}

func (r authReader) TokenByHash(ctx context.Context, hash string) (*auth.Token, error) {
	t, err := scanToken(r.db.QueryRow(ctx, `SELECT `+tokenColumns+` FROM api_tokens WHERE token_hash = $1`, hash))
	if err != nil {
		return nil, dbErr(err, "get token")
	}
	return t, nil
}

func (r authReader) ListTokens(ctx context.Context, kind string) ([]*auth.Token, error) {
	return collect(ctx, r.db, "list tokens", scanToken,
		`SELECT `+tokenColumns+` FROM api_tokens WHERE $1 = '' OR kind = $1 ORDER BY created_at DESC, id`, kind)
}

func (tx *authTx) DeleteToken(ctx context.Context, id string) error {
	return tx.exec(ctx, "delete token", true, `DELETE FROM api_tokens WHERE id = $1`, id)
}

func (tx *authTx) DeleteExpiredTokens(ctx context.Context, now time.Time) error {
	return tx.exec(ctx, "delete expired tokens", false, `DELETE FROM api_tokens WHERE expires_at IS NOT NULL AND expires_at <= $1`, utc(now))
}

func (tx *authTx) CreateSession(ctx context.Context, s *auth.Session) error {
	// Sweep expired sessions as new ones come.
	if _, err := tx.q.Exec(ctx, `DELETE FROM sessions WHERE expires_at <= $1`, utc(s.CreatedAt)); err != nil {
		return dbErr(err, "create session")
	}
	_, err := tx.q.Exec(ctx, `INSERT INTO sessions (id_hash, user_name, created_at, expires_at) VALUES ($1, $2, $3, $4)`,
		s.Hash, s.UserName, utc(s.CreatedAt), utc(s.ExpiresAt))
	return dbErr(err, "create session")
}

func (r authReader) SessionByHash(ctx context.Context, hash string) (*auth.Session, error) {
	var s auth.Session
	err := r.db.QueryRow(ctx, `SELECT id_hash, user_name, created_at, expires_at FROM sessions WHERE id_hash = $1`, hash).
		Scan(&s.Hash, &s.UserName, &s.CreatedAt, &s.ExpiresAt)
	if err != nil {
		return nil, dbErr(err, "get session")
	}
	return &s, nil
}

func (tx *authTx) DeleteSession(ctx context.Context, hash string) error {
	return tx.exec(ctx, "delete session", true, `DELETE FROM sessions WHERE id_hash = $1`, hash)
}

func (tx *authTx) DeleteUserSessions(ctx context.Context, user, except string) ([]string, error) {
	return collect(ctx, tx.q, "delete user sessions", func(s pgxScanner) (string, error) {
		var h string
		return h, s.Scan(&h)
	}, `DELETE FROM sessions WHERE user_name = $1 AND id_hash <> $2 RETURNING id_hash`, user, except)
}

func (tx *authTx) DeleteUserTokens(ctx context.Context, user, kind string) error {
	return tx.exec(ctx, "delete user tokens", false, `DELETE FROM api_tokens WHERE user_name = $1 AND kind = $2`, user, kind)
}

func (tx *authTx) PutCallbackToken(ctx context.Context, actionID, hash string, at time.Time) error {
	return tx.exec(ctx, "store callback token", false, `INSERT INTO callback_tokens (action_execution_id, token_hash, created_at) VALUES ($1, $2, $3)
		ON CONFLICT (action_execution_id) DO UPDATE SET token_hash = excluded.token_hash`, actionID, hash, utc(at))
}

func (r authReader) CallbackTokenHash(ctx context.Context, actionID string) (string, error) {
	var h string
	err := r.db.QueryRow(ctx, `SELECT token_hash FROM callback_tokens WHERE action_execution_id = $1`, actionID).Scan(&h)
	return h, dbErr(err, "get callback token")
}

func (tx *authTx) Secret(ctx context.Context, name string, create func() []byte) ([]byte, error) {
	// The first replica's value wins; the others read it.
	if _, err := tx.q.Exec(ctx, `INSERT INTO secrets (name, value) VALUES ($1, $2) ON CONFLICT DO NOTHING`, name, create()); err != nil {
		return nil, dbErr(err, "store secret")
	}
	var v []byte
	if err := tx.q.QueryRow(ctx, `SELECT value FROM secrets WHERE name = $1`, name).Scan(&v); err != nil {
		return nil, dbErr(err, "read secret")
	}
	return v, nil
}
