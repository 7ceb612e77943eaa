// Package auth is Sirocco's accounts: users with roles and groups,
// passwords (bcrypt), API tokens, dashboard sessions, the login throttle,
// the callback tokens std.mistral_http hands to web services, and the
// principal each of them makes a request as. It reaches persistence only
// through the Store it declares, whose transactions hold a check and the
// write it allows together (internal/sqlite implements it), and knows
// nothing of HTTP: package guard authenticates requests with it and
// applies the route policy; the API and the dashboard call it.
//
// Every secret is stored as a hash: passwords with bcrypt, tokens and
// session ids (32 random bytes each) with SHA-256, which is enough for
// values that cannot be guessed. Plain secrets are shown once and never
// logged.
package auth

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/sirocco-project/sirocco/internal/fault"
	"golang.org/x/crypto/bcrypt"
)

// Config configures a Service.
type Config struct {
	Store  Store
	Logger *slog.Logger
	// Now tells the time (tests fix it); nil means time.Now.
	Now func() time.Time
	// BcryptCost is the password hashing cost (default bcrypt.DefaultCost;
	// tests lower it).
	BcryptCost int
	// SessionTTL bounds a dashboard login (default 12 hours).
	SessionTTL time.Duration
	// KeystoneTTL bounds a token issued by the Keystone login (default 8 hours).
	KeystoneTTL time.Duration
	// Limit is the login throttle (see LimitConfig for its defaults).
	Limit LimitConfig
	// SessionEnded, if set, hears of every dashboard session that a
	// password change or a deleted account ends, by its hash (as
	// Principal.Session names it), once the change is committed, so that
	// its live connections close (the websocket hub's EndSession).
	SessionEnded func(hash string)
}

// Service implements accounts, tokens, sessions and callback tokens.
type Service struct {
	store        Store
	log          *slog.Logger
	now          func() time.Time
	cost         int
	sessionTTL   time.Duration
	keystoneTTL  time.Duration
	limiter      *throttle
	sessionEnded func(hash string)
	callbackKey  []byte
	// dummyHash is compared against when a user does not exist, made on
	// first use at the service's cost.
	dummyHash func() string
	// tokens caches resolved API tokens (tokenCache).
	tokens tokenCache
}

// updateAccounts is store.Update for a change to tokens, users or groups:
// the resolved tokens cached are forgotten once it is done.
func (s *Service) updateAccounts(ctx context.Context, fn func(Tx) error) error {
	defer s.tokens.invalidate()
	return s.store.Update(ctx, fn)
}

// New returns a Service. Call Init before use.
func New(cfg Config) *Service {
	s := &Service{store: cfg.Store, log: cfg.Logger, now: cfg.Now, cost: cfg.BcryptCost,
		sessionTTL: cfg.SessionTTL, keystoneTTL: cfg.KeystoneTTL, sessionEnded: cfg.SessionEnded}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	if s.now == nil {
		s.now = time.Now
	}
	if s.cost == 0 {
		s.cost = bcrypt.DefaultCost
	}
	if s.sessionTTL == 0 {
		s.sessionTTL = 12 * time.Hour
	}
	if s.keystoneTTL == 0 {
		s.keystoneTTL = 8 * time.Hour
	}
	s.limiter = newThrottle(cfg.Limit, cfg.Store, s.now)
	s.dummyHash = sync.OnceValue(func() string {
		h, _ := bcrypt.GenerateFromPassword(randomBytes(16), s.cost)
		return string(h)
	})
	return s
}

// Init loads the server secret that callback tokens derive from (made on
// first start) and, when the database has no account, creates "admin"
// with adminPassword, or with a generated password that it returns so
// that the caller shows it once. A weak adminPassword is refused on every
// start, not only the first, so that it is found before it is needed.
func (s *Service) Init(ctx context.Context, adminPassword string) (generated string, err error) {
	if adminPassword != "" {
		if err := CheckPassword(adminPassword); err != nil {
			return "", fmt.Errorf("the first admin's password, SIROCCO_ADMIN_PASSWORD, is refused: %w", err)
		}
	}
	var key []byte
	err = s.store.Update(ctx, func(tx Tx) (err error) {
		key, err = tx.Secret(ctx, "callback", func() []byte { return randomBytes(32) })
		return err
	})
	if err != nil {
		return "", fmt.Errorf("auth: load secret: %w", err)
	}
	s.callbackKey = key
	n, err := s.store.CountUsers(ctx)
	if err != nil {
		return "", fmt.Errorf("auth: count users: %w", err)
	}
	if n > 0 {
		return "", nil
	}
	pw := adminPassword
	if pw == "" {
		pw = randomToken(18)
		generated = pw
	}
	if _, err := s.CreateUser(ctx, ServerActor, "admin", RoleAdmin, pw); err != nil {
		if fault.Code(err) == fault.ECONFLICT {
			// Replicas starting together on a new database: another one
			// created the first admin (and showed its password) between
			// the count and this write.
			return "", nil
		}
		return "", fmt.Errorf("auth: create the first admin: %w", err)
	}
	return generated, nil
}

// IsUnauthorized reports whether err says the credentials are missing or
// wrong.
func IsUnauthorized(err error) bool {
	var e *fault.Error
	return errors.As(err, &e) && e.Code == fault.EUNAUTHORIZED
}
