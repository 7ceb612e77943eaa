package auth

import (
	"context"
	"time"

	"github.com/sirocco-project/sirocco/internal/fault"
)

// Session is a dashboard login.
type Session struct {
	Hash      string
	UserName  string
	CreatedAt time.Time
	ExpiresAt time.Time
}

// NewSession starts a dashboard session for u and returns the cookie value.
func (s *Service) NewSession(ctx context.Context, u *User) (string, time.Time, error) {
	plain := randomToken(32)
	now := s.now().UTC()
	sess := &Session{Hash: HashSecret(plain), UserName: u.Name, CreatedAt: now, ExpiresAt: now.Add(s.sessionTTL)}
	if err := s.store.Update(ctx, func(tx Tx) error { return tx.CreateSession(ctx, sess) }); err != nil {
		return "", time.Time{}, err
	}
	s.log.Info("login", "user", u.Name)
	return plain, sess.ExpiresAt, nil
}

// SessionPrincipal resolves a session cookie.
func (s *Service) SessionPrincipal(ctx context.Context, plain string) (*Principal, error) {
	if plain == "" {
		return nil, errBadToken
	}
	h := HashSecret(plain)
	sess, err := s.store.SessionByHash(ctx, h)
	if err != nil {
		return nil, errBadToken
	}
	if !Equal(sess.Hash, h) || !s.now().Before(sess.ExpiresAt) {
		return nil, errBadToken
	}
	u, err := s.store.GetUser(ctx, sess.UserName)
	if err != nil {
		return nil, errBadToken
	}
	return &Principal{User: u.Name, Groups: u.GroupNames(), Role: u.Effective(), Method: MethodSession, Session: h, Expires: sess.ExpiresAt}, nil
}

// EndSession logs a session out.
func (s *Service) EndSession(ctx context.Context, plain string) error {
	if plain == "" {
		return nil
	}
	h := HashSecret(plain)
	err := s.store.Update(ctx, func(tx Tx) error { return tx.DeleteSession(ctx, h) })
	if fault.Code(err) == fault.ENOTFOUND {
		return nil
	}
	return err
}
