package sqlite

import "context"

// SetUserEmail implements auth.EmailTx.
func (tx *authTx) SetUserEmail(ctx context.Context, name, email string) error {
	return tx.exec(ctx, "set user email", true, `UPDATE users SET email = ? WHERE name = ?`, email, name)
}
