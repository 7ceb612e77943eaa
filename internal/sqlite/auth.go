package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"sort"
	"time"

	"github.com/sirocco-project/sirocco/internal/auth"
	"github.com/sirocco-project/sirocco/internal/fault"
)

// AuthStore implements auth.Store over the same database: accounts,
// groups, tokens, sessions, callback tokens and server secrets. Its reads
// run on the reader pool; Update runs in the writer's transaction.
type AuthStore struct {
	authReader
	s *Store
}

var _ auth.Store = (*AuthStore)(nil)

// Auth returns the store of accounts and credentials.
func (s *Store) Auth() *AuthStore { return &AuthStore{authReader: authReader{db: s.db}, s: s} }

// Update implements auth.Store: fn runs as one update of the group commit,
// so it may run more than once (see Store.Update).
func (a *AuthStore) Update(ctx context.Context, fn func(auth.Tx) error) error {
	return a.s.write(ctx, func(q txQuerier) error { return fn(&authTx{authReader: authReader{db: q}, q: q}) })
}

// authReader implements auth.Reader on the reader pool, or in the
// writer's transaction, where the reads see its writes.
type authReader struct{ db querier }

// authTx implements auth.Tx in the writer's transaction.
type authTx struct {
	authReader
	q txQuerier
}

// exec runs one statement; what names it in errors. With mustAffect, no
// row changed is ENOTFOUND.
func (tx *authTx) exec(ctx context.Context, what string, mustAffect bool, query string, args ...any) error {
	res, err := tx.q.ExecContext(ctx, query, args...)
	if err != nil {
		return dbErr(err, what)
	}
	if mustAffect {
		if n, err := res.RowsAffected(); err != nil {
			return fmt.Errorf("%s: %w", what, err)
		} else if n == 0 {
			return fault.ErrNotFound
		}
	}
	return nil
}

func (r authReader) CountUsers(ctx context.Context) (int, error) {
	var n int
	err := r.db.QueryRowContext(ctx, `SELECT COUNT(*) FROM users`).Scan(&n)
	return n, dbErr(err, "count users")
}

func (tx *authTx) CreateUser(ctx context.Context, u *auth.User) error {
	return tx.exec(ctx, "create user", false, `INSERT INTO users (name, role, password_hash, created_at, email) VALUES (?, ?, ?, ?, ?)`,
		u.Name, string(u.Role), u.PasswordHash, fmtTime(u.CreatedAt), u.Email)
}

func (r authReader) GetUser(ctx context.Context, name string) (*auth.User, error) {
	var u auth.User
	var role, created string
	err := r.db.QueryRowContext(ctx, `SELECT name, role, password_hash, created_at, email FROM users WHERE name = ?`, name).
		Scan(&u.Name, &role, &u.PasswordHash, &created, &u.Email)
	if err != nil {
		return nil, dbErr(err, "get user")
	}
	u.Role, u.CreatedAt = auth.Role(role), parseTime(created)
	rows, err := r.db.QueryContext(ctx, `SELECT g.name, g.role FROM group_members m JOIN groups g ON g.name = m.group_name
		WHERE m.user_name = ? ORDER BY g.name`, name)
	if err != nil {
		return nil, dbErr(err, "get user groups")
	}
	defer rows.Close()
	for rows.Next() {
		var g auth.Group
		var gr string
		if err := rows.Scan(&g.Name, &gr); err != nil {
			return nil, dbErr(err, "get user groups")
		}
		g.Role = auth.Role(gr)
		u.Groups = append(u.Groups, g)
	}
	return &u, dbErr(rows.Err(), "get user groups")
}

func (r authReader) ListUsers(ctx context.Context) ([]*auth.User, error) {
	rows, err := r.db.QueryContext(ctx, `SELECT u.name, u.role, u.created_at, u.email, g.name, g.role FROM users u
		LEFT JOIN group_members m ON m.user_name = u.name LEFT JOIN groups g ON g.name = m.group_name ORDER BY u.name, g.name`)
	if err != nil {
		return nil, dbErr(err, "list users")
	}
	defer rows.Close()
	var out []*auth.User
	for rows.Next() {
		var name, role, created, email string
		var gname, grole sql.NullString
		if err := rows.Scan(&name, &role, &created, &email, &gname, &grole); err != nil {
			return nil, dbErr(err, "list users")
		}
		if len(out) == 0 || out[len(out)-1].Name != name {
			out = append(out, &auth.User{Name: name, Role: auth.Role(role), CreatedAt: parseTime(created), Email: email})
		}
		if gname.Valid {
			u := out[len(out)-1]
			u.Groups = append(u.Groups, auth.Group{Name: gname.String, Role: auth.Role(grole.String)})
		}
	}
	return out, dbErr(rows.Err(), "list users")
}

func (tx *authTx) UpdateUser(ctx context.Context, name string, role auth.Role, passwordHash string) error {
	if passwordHash == "" {
		return tx.exec(ctx, "update user", true, `UPDATE users SET role = ? WHERE name = ?`, string(role), name)
	}
	return tx.exec(ctx, "update user", true, `UPDATE users SET role = ?, password_hash = ? WHERE name = ?`, string(role), passwordHash, name)
}

func (tx *authTx) DeleteUser(ctx context.Context, name string) error {
	return tx.exec(ctx, "delete user", true, `DELETE FROM users WHERE name = ?`, name)
}

func (tx *authTx) CreateGroup(ctx context.Context, g *auth.Group) error {
	return tx.exec(ctx, "create group", false, `INSERT INTO groups (name, role, created_at) VALUES (?, ?, ?)`,
		g.Name, string(g.Role), fmtTime(g.CreatedAt))
}

func (r authReader) ListGroups(ctx context.Context) ([]*auth.Group, error) {
	rows, err := r.db.QueryContext(ctx, `SELECT g.name, g.role, g.created_at, m.user_name FROM groups g
		LEFT JOIN group_members m ON m.group_name = g.name ORDER BY g.name, m.user_name`)
	if err != nil {
		return nil, dbErr(err, "list groups")
	}
	defer rows.Close()
	var out []*auth.Group
	for rows.Next() {
		var name, role, created string
		var member sql.NullString
		if err := rows.Scan(&name, &role, &created, &member); err != nil {
			return nil, dbErr(err, "list groups")
		}
		if len(out) == 0 || out[len(out)-1].Name != name {
			out = append(out, &auth.Group{Name: name, Role: auth.Role(role), CreatedAt: parseTime(created)})
		}
		if member.Valid {
			g := out[len(out)-1]
			g.Members = append(g.Members, member.String)
		}
	}
	return out, dbErr(rows.Err(), "list groups")
}

func (tx *authTx) DeleteGroup(ctx context.Context, name string) error {
	return tx.exec(ctx, "delete group", true, `DELETE FROM groups WHERE name = ?`, name)
}

func (tx *authTx) SetMember(ctx context.Context, group, user string, member bool) error {
	var n int
	if err := tx.q.QueryRowContext(ctx, `SELECT (SELECT COUNT(*) FROM groups WHERE name = ?) + (SELECT COUNT(*) FROM users WHERE name = ?)`,
		group, user).Scan(&n); err != nil {
		return dbErr(err, "set member")
	}
	if n != 2 {
		return fault.ErrNotFound
	}
	var err error
	if member {
		_, err = tx.q.ExecContext(ctx, `INSERT OR IGNORE INTO group_members (group_name, user_name) VALUES (?, ?)`, group, user)
	} else {
		_, err = tx.q.ExecContext(ctx, `DELETE FROM group_members WHERE group_name = ? AND user_name = ?`, group, user)
	}
	return dbErr(err, "set member")
}

const tokenColumns = `id, token_hash, name, kind, role, user_name, created_at, expires_at`

func scanToken(sc scanner) (*auth.Token, error) {
	var t auth.Token
	var role, created string
	var exp sql.NullString
	if err := sc.Scan(&t.ID, &t.Hash, &t.Name, &t.Kind, &role, &t.UserName, &created, &exp); err != nil {
		return nil, err
	}
	t.Role, t.CreatedAt, t.ExpiresAt = auth.Role(role), parseTime(created), parseTimePtr(exp)
	return &t, nil
}

func (tx *authTx) CreateToken(ctx context.Context, t *auth.Token) error {
	return tx.exec(ctx, "create token", false, `INSERT INTO api_tokens (`+tokenColumns+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
		t.ID, t.Hash, t.Name, t.Kind, string(t.Role), t.UserName, fmtTime(t.CreatedAt), fmtTimePtr(t.ExpiresAt))
}

func (r authReader) TokenByHash(ctx context.Context, hash string) (*auth.Token, error) {
	t, err := scanToken(r.db.QueryRowContext(ctx, `SELECT `+tokenColumns+` FROM api_tokens WHERE token_hash = ?`, hash))
	if err != nil {
		return nil, dbErr(err, "get token")
	}
	return t, nil
}

func (r authReader) ListTokens(ctx context.Context, kind string) ([]*auth.Token, error) {
	rows, err := r.db.QueryContext(ctx, `SELECT `+tokenColumns+` FROM api_tokens WHERE ? = '' OR kind = ? ORDER BY created_at DESC, id`, kind, kind)
	if err != nil {
		return nil, dbErr(err, "list tokens")
	}
	defer rows.Close()
	var out []*auth.Token
	for rows.Next() {
		t, err := scanToken(rows)
		if err != nil {
			return nil, dbErr(err, "list tokens")
		}
		out = append(out, t)
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].CreatedAt.After(out[j].CreatedAt) })
	return out, dbErr(rows.Err(), "list tokens")
}

func (tx *authTx) DeleteToken(ctx context.Context, id string) error {
	return tx.exec(ctx, "delete token", true, `DELETE FROM api_tokens WHERE id = ?`, id)
}

func (tx *authTx) DeleteExpiredTokens(ctx context.Context, now time.Time) error {
	return tx.exec(ctx, "delete expired tokens", false, `DELETE FROM api_tokens WHERE expires_at IS NOT NULL AND expires_at <= ?`, fmtTime(now))
}

func (tx *authTx) CreateSession(ctx context.Context, s *auth.Session) error {
	// Sweep expired sessions as new ones come.
	if _, err := tx.q.ExecContext(ctx, `DELETE FROM sessions WHERE expires_at <= ?`, fmtTime(s.CreatedAt)); err != nil {
		return dbErr(err, "create session")
	}
	_, err := tx.q.ExecContext(ctx, `INSERT INTO sessions (id_hash, user_name, created_at, expires_at) VALUES (?, ?, ?, ?)`,
		s.Hash, s.UserName, fmtTime(s.CreatedAt), fmtTime(s.ExpiresAt))
	return dbErr(err, "create session")
}

func (r authReader) SessionByHash(ctx context.Context, hash string) (*auth.Session, error) {
	var s auth.Session
	var created, exp string
	err := r.db.QueryRowContext(ctx, `SELECT id_hash, user_name, created_at, expires_at FROM sessions WHERE id_hash = ?`, hash).
		Scan(&s.Hash, &s.UserName, &created, &exp)
	if err != nil {
		return nil, dbErr(err, "get session")
	}
	s.CreatedAt, s.ExpiresAt = parseTime(created), parseTime(exp)
	return &s, nil
}

func (tx *authTx) DeleteSession(ctx context.Context, hash string) error {
	return tx.exec(ctx, "delete session", true, `DELETE FROM sessions WHERE id_hash = ?`, hash)
}

func (tx *authTx) DeleteUserSessions(ctx context.Context, user, except string) ([]string, error) {
	rows, err := tx.q.QueryContext(ctx, `DELETE FROM sessions WHERE user_name = ? AND id_hash <> ? RETURNING id_hash`, user, except)
	if err != nil {
		return nil, dbErr(err, "delete user sessions")
	}
	defer rows.Close()
	var ended []string
	for rows.Next() {
		var h string
		if err := rows.Scan(&h); err != nil {
			return nil, dbErr(err, "delete user sessions")
		}
		ended = append(ended, h)
	}
	if err := rows.Err(); err != nil {
		return nil, dbErr(err, "delete user sessions")
	}
	return ended, nil
}

func (tx *authTx) DeleteUserTokens(ctx context.Context, user, kind string) error {
	return tx.exec(ctx, "delete user tokens", false, `DELETE FROM api_tokens WHERE user_name = ? AND kind = ?`, user, kind)
}

func (tx *authTx) PutCallbackToken(ctx context.Context, actionID, hash string, at time.Time) error {
	return tx.exec(ctx, "store callback token", false, `INSERT INTO callback_tokens (action_execution_id, token_hash, created_at) VALUES (?, ?, ?)
		ON CONFLICT (action_execution_id) DO UPDATE SET token_hash = excluded.token_hash`, actionID, hash, fmtTime(at))
}

func (r authReader) CallbackTokenHash(ctx context.Context, actionID string) (string, error) {
	var h string
	err := r.db.QueryRowContext(ctx, `SELECT token_hash FROM callback_tokens WHERE action_execution_id = ?`, actionID).Scan(&h)
	return h, dbErr(err, "get callback token")
}

func (tx *authTx) Secret(ctx context.Context, name string, create func() []byte) ([]byte, error) {
	if _, err := tx.q.ExecContext(ctx, `INSERT OR IGNORE INTO secrets (name, value) VALUES (?, ?)`, name, create()); err != nil {
		return nil, dbErr(err, "store secret")
	}
	var v []byte
	if err := tx.q.QueryRowContext(ctx, `SELECT value FROM secrets WHERE name = ?`, name).Scan(&v); err != nil {
		return nil, dbErr(err, "read secret")
	}
	return v, nil
}
