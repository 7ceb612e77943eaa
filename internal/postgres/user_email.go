package postgres

import "context"

// SetUserEmail implements auth.EmailTx.
func (tx *authTx) SetUserEmail(ctx context.Context, name, email string) error {
	return tx.exec(ctx, "set user email", true, `UPDATE users SET email = $1 WHERE name = $2`, email, name)
}
