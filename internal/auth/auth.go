// Package auth decides who may do what in Sirocco: accounts with roles
// and groups, passwords (bcrypt), API tokens, dashboard sessions, the
// login rate limit, the callback tokens std.mistral_http hands to web
// services, and the policy table that maps every route to the role it
// needs. It reaches persistence only through the Store it declares
// (internal/store implements it); the HTTP layers (api, web) call it and
// its Guard middleware.
//
// Every secret is stored as a hash: passwords with bcrypt, tokens and
// session ids (32 random bytes each) with SHA-256, which is enough for
// values that cannot be guessed. Plain secrets are shown once and never
// logged.
package auth

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"regexp"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/sirocco-project/sirocco/internal/fault"
	"golang.org/x/crypto/bcrypt"
)

// Role is what an account may do. Each role includes the ones below it.
type Role string

const (
	// RoleViewer reads everything: workflows, executions, tasks, actions.
	RoleViewer Role = "viewer"
	// RoleApprover also decides actions: callbacks and dashboard decisions.
	RoleApprover Role = "approver"
	// RoleAdmin also manages workflows, executions, users, groups and tokens.
	RoleAdmin Role = "admin"
)

// Roles lists the roles, weakest first.
var Roles = []Role{RoleViewer, RoleApprover, RoleAdmin}

func (r Role) rank() int {
	switch r {
	case RoleViewer:
		return 1
	case RoleApprover:
		return 2
	case RoleAdmin:
		return 3
	}
	return 0
}

// Allows reports whether r includes need.
func (r Role) Allows(need Role) bool { return r.rank() > 0 && r.rank() >= need.rank() }

// ParseRole checks a role name.
func ParseRole(s string) (Role, error) {
	r := Role(strings.ToLower(strings.TrimSpace(s)))
	if r.rank() == 0 {
		return "", fault.Errorf(fault.EINVALID, "Unknown role %q: want admin, approver or viewer.", s)
	}
	return r, nil
}

func maxRole(a, b Role) Role {
	if b.rank() > a.rank() {
		return b
	}
	return a
}

func minRole(a, b Role) Role {
	if b.rank() < a.rank() {
		return b
	}
	return a
}

// User is an account. Its effective role is the strongest of its own and
// its groups'.
type User struct {
	Name         string
	Role         Role
	PasswordHash string
	Groups       []Group // name and role of each group it belongs to
	CreatedAt    time.Time
}

// Effective is the strongest of the user's role and its groups' roles.
func (u *User) Effective() Role {
	r := u.Role
	for _, g := range u.Groups {
		r = maxRole(r, g.Role)
	}
	return r
}

// Group gives its members a role.
type Group struct {
	Name      string
	Role      Role
	Members   []string
	CreatedAt time.Time
}

// Token kinds.
const (
	// KindAPI is a named token an admin made; it lives until revoked.
	KindAPI = "api"
	// KindKeystone is issued by the Keystone login (the mistral CLI) and
	// expires.
	KindKeystone = "keystone"
)

// Token is an API token. Its plain value is shown once; only Hash is
// stored.
type Token struct {
	ID        string
	Name      string
	Kind      string
	Role      Role
	UserName  string // the account it acts for; deleting it revokes the token
	Hash      string
	CreatedAt time.Time
	ExpiresAt *time.Time
}

// Session is a dashboard login.
type Session struct {
	Hash      string
	UserName  string
	CreatedAt time.Time
	ExpiresAt time.Time
}

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
	// Secret returns the named server secret, storing create() first if
	// there is none.
	Secret(ctx context.Context, name string, create func() []byte) ([]byte, error)
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
	// Principal.Session names it), so that its live connections close.
	SessionEnded func(hash string)
	// UserDeleted, when set, is told the name of each deleted account once
	// its sessions are gone, so that their open pages stop following events
	// (the websocket hub's EndUser).
	UserDeleted func(name string)
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
	userDeleted  func(name string)
	callbackKey  []byte
	// dummyHash is compared against when a user does not exist, made on
	// first use at the service's cost.
	dummyHash func() string
}

// New returns a Service. Call Init before use.
func New(cfg Config) *Service {
	s := &Service{store: cfg.Store, log: cfg.Logger, now: cfg.Now, cost: cfg.BcryptCost,
		sessionTTL: cfg.SessionTTL, keystoneTTL: cfg.KeystoneTTL, sessionEnded: cfg.SessionEnded, userDeleted: cfg.UserDeleted}
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
	s.limiter = newThrottle(cfg.Limit, s.now)
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
	if _, err := s.CreateUser(ctx, "admin", RoleAdmin, pw); err != nil {
		return "", fmt.Errorf("auth: create the first admin: %w", err)
	}
	return generated, nil
}

// errBadLogin is the one answer to a wrong name or password, so that
// nobody learns which accounts exist.
var errBadLogin = fault.Errorf(fault.EUNAUTHORIZED, "The username or password is not correct.")

var nameRE = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$`)

func checkName(what, name string) error {
	if !nameRE.MatchString(name) {
		return fault.Errorf(fault.EINVALID, "Invalid %s name %q: use 1 to 64 letters, digits, '.', '_', '@' or '-'.", what, name)
	}
	return nil
}

// hash checks a new password (CheckPassword) and hashes it.
func (s *Service) hash(password string) (string, error) {
	if err := CheckPassword(password); err != nil {
		return "", err
	}
	h, err := bcrypt.GenerateFromPassword([]byte(password), s.cost)
	if err != nil {
		return "", fmt.Errorf("hash password: %w", err)
	}
	return string(h), nil
}

// CreateUser adds an account.
func (s *Service) CreateUser(ctx context.Context, name string, role Role, password string) (*User, error) {
	if err := checkName("user", name); err != nil {
		return nil, err
	}
	if role.rank() == 0 {
		return nil, fault.Errorf(fault.EINVALID, "Unknown role %q: want admin, approver or viewer.", role)
	}
	h, err := s.hash(password)
	if err != nil {
		return nil, err
	}
	u := &User{Name: name, Role: role, PasswordHash: h, CreatedAt: s.now().UTC()}
	if err := s.store.Update(ctx, func(tx Tx) error { return tx.CreateUser(ctx, u) }); err != nil {
		if fault.Code(err) == fault.ECONFLICT {
			return nil, fault.Errorf(fault.ECONFLICT, "A user named %q already exists.", name)
		}
		return nil, err
	}
	s.log.Info("user created", "user", name, "role", role)
	return u, nil
}

// UpdateUser changes a user's role and, if password is not empty, its
// password. A new password ends all the user's dashboard sessions and
// Keystone tokens (API tokens, which an admin names and revokes, stay).
// Demoting the last admin is refused, in the transaction that would
// demote it.
func (s *Service) UpdateUser(ctx context.Context, name string, role Role, password string) error {
	if role.rank() == 0 {
		return fault.Errorf(fault.EINVALID, "Unknown role %q: want admin, approver or viewer.", role)
	}
	// Hash before the transaction (bcrypt is slow); a refused password is
	// told after the account and the last-admin checks, as it always was.
	var h string
	var pwErr error
	if password != "" {
		h, pwErr = s.hash(password)
	}
	var ended []string
	err := s.store.Update(ctx, func(tx Tx) (err error) {
		ended = nil
		u, err := getUser(ctx, tx, name)
		if err != nil {
			return err
		}
		if u.Role == RoleAdmin && role != RoleAdmin {
			if err := keepAnAdmin(ctx, tx, name); err != nil {
				return err
			}
		}
		if pwErr != nil {
			return pwErr
		}
		if err := tx.UpdateUser(ctx, name, role, h); err != nil {
			return err
		}
		if password != "" {
			ended, err = endLogins(ctx, tx, name, "")
		}
		return err
	})
	if err != nil {
		return err
	}
	s.log.Info("user updated", "user", name, "role", role, "password_changed", password != "")
	s.sessionsEnded(name, ended)
	return nil
}

// ChangePassword is a user changing their own password from addr: the
// current one must be right (the check is throttled as a login is), and
// the new one pass CheckPassword. It ends the user's other dashboard
// sessions and Keystone tokens; the session whose hash is keepSession
// stays.
func (s *Service) ChangePassword(ctx context.Context, name, current, password, addr, keepSession string) error {
	if current == "" {
		return fault.Errorf(fault.EINVALID, "Enter your current password.")
	}
	if err := CheckPassword(password); err != nil {
		return err
	}
	u, err := s.Login(ctx, name, current, addr)
	if IsUnauthorized(err) {
		return fault.Errorf(fault.EINVALID, "The current password is not correct.")
	}
	if err != nil {
		return err
	}
	if password == current {
		return fault.Errorf(fault.EINVALID, "The new password is the current one: choose another.")
	}
	h, err := s.hash(password)
	if err != nil {
		return err
	}
	var ended []string
	err = s.store.Update(ctx, func(tx Tx) error {
		// The role is read again here: one an admin changed since the
		// login must not be written back.
		cur, err := getUser(ctx, tx, u.Name)
		if err != nil {
			return err
		}
		if err := tx.UpdateUser(ctx, cur.Name, cur.Role, h); err != nil {
			return err
		}
		ended, err = endLogins(ctx, tx, cur.Name, keepSession)
		return err
	})
	if err != nil {
		return err
	}
	s.log.Info("password changed", "user", u.Name)
	s.sessionsEnded(u.Name, ended)
	return nil
}

// endLogins ends a user's dashboard sessions but keep ("" for all), and
// revokes its Keystone tokens: what a password change must end. It
// returns the hashes of the sessions it ended.
func endLogins(ctx context.Context, tx Tx, name, keep string) ([]string, error) {
	ended, err := tx.DeleteUserSessions(ctx, name, keep)
	if err != nil {
		return nil, fmt.Errorf("end the sessions of %s: %w", name, err)
	}
	if err := tx.DeleteUserTokens(ctx, name, KindKeystone); err != nil {
		return nil, fmt.Errorf("revoke the Keystone tokens of %s: %w", name, err)
	}
	return ended, nil
}

// sessionsEnded tells SessionEnded of the sessions a committed change
// ended.
func (s *Service) sessionsEnded(name string, ended []string) {
	if len(ended) > 0 {
		s.log.Info("sessions ended", "user", name, "count", len(ended))
	}
	if s.sessionEnded != nil {
		for _, h := range ended {
			s.sessionEnded(h)
		}
	}
}

// keepAnAdmin refuses to remove the last account with the admin role. It
// reads in the transaction of the removal, so that two removals cannot
// each see the other's admin and both go ahead.
func keepAnAdmin(ctx context.Context, tx Tx, leaving string) error {
	users, err := tx.ListUsers(ctx)
	if err != nil {
		return err
	}
	for _, u := range users {
		if u.Name != leaving && u.Role == RoleAdmin {
			return nil
		}
	}
	return fault.Errorf(fault.ECONFLICT, "%q is the last admin: make another user admin first.", leaving)
}

// DeleteUser removes an account with its tokens and sessions. Deleting
// the last admin is refused, in the transaction that would delete it.
func (s *Service) DeleteUser(ctx context.Context, name string) error {
	var ended []string
	err := s.store.Update(ctx, func(tx Tx) (err error) {
		u, err := getUser(ctx, tx, name)
		if err != nil {
			return err
		}
		if u.Role == RoleAdmin {
			if err := keepAnAdmin(ctx, tx, name); err != nil {
				return err
			}
		}
		// Its sessions go with it (the store cascades); ending them here
		// names them, so that their live connections close.
		if ended, err = tx.DeleteUserSessions(ctx, name, ""); err != nil {
			return fmt.Errorf("end the sessions of %s: %w", name, err)
		}
		return tx.DeleteUser(ctx, name)
	})
	if err != nil {
		return err
	}
	s.log.Info("user deleted", "user", name)
	s.sessionsEnded(name, ended)
	if s.userDeleted != nil {
		s.userDeleted(name)
	}
	return nil
}

// GetUser returns an account.
func (s *Service) GetUser(ctx context.Context, name string) (*User, error) {
	return getUser(ctx, s.store, name)
}

// getUser reads an account, in a transaction or not.
func getUser(ctx context.Context, r Reader, name string) (*User, error) {
	u, err := r.GetUser(ctx, name)
	if fault.Code(err) == fault.ENOTFOUND {
		return nil, fault.Errorf(fault.ENOTFOUND, "User not found [name=%s]", name)
	}
	return u, err
}

// ListUsers lists accounts by name.
func (s *Service) ListUsers(ctx context.Context) ([]*User, error) { return s.store.ListUsers(ctx) }

// CreateGroup adds a group that gives its members role.
func (s *Service) CreateGroup(ctx context.Context, name string, role Role) error {
	if err := checkName("group", name); err != nil {
		return err
	}
	if role.rank() == 0 {
		return fault.Errorf(fault.EINVALID, "Unknown role %q: want admin, approver or viewer.", role)
	}
	g := &Group{Name: name, Role: role, CreatedAt: s.now().UTC()}
	if err := s.store.Update(ctx, func(tx Tx) error { return tx.CreateGroup(ctx, g) }); err != nil {
		if fault.Code(err) == fault.ECONFLICT {
			return fault.Errorf(fault.ECONFLICT, "A group named %q already exists.", name)
		}
		return err
	}
	s.log.Info("group created", "group", name, "role", role)
	return nil
}

// ListGroups lists groups by name, with their members.
func (s *Service) ListGroups(ctx context.Context) ([]*Group, error) { return s.store.ListGroups(ctx) }

// DeleteGroup removes a group (its members keep their own roles).
func (s *Service) DeleteGroup(ctx context.Context, name string) error {
	if err := s.store.Update(ctx, func(tx Tx) error { return tx.DeleteGroup(ctx, name) }); err != nil {
		if fault.Code(err) == fault.ENOTFOUND {
			return fault.Errorf(fault.ENOTFOUND, "Group not found [name=%s]", name)
		}
		return err
	}
	s.log.Info("group deleted", "group", name)
	return nil
}

// SetMember adds user to group, or removes it.
func (s *Service) SetMember(ctx context.Context, group, user string, member bool) error {
	if err := s.store.Update(ctx, func(tx Tx) error { return tx.SetMember(ctx, group, user, member) }); err != nil {
		if fault.Code(err) == fault.ENOTFOUND {
			return fault.Errorf(fault.ENOTFOUND, "No such group %q or user %q.", group, user)
		}
		return err
	}
	s.log.Info("group membership changed", "group", group, "user", user, "member", member)
	return nil
}

// Login checks a name and password from a client at addr, through the
// login throttle (see LimitConfig): an attempt that comes too soon gets a
// *ThrottledError (matching ErrTooManyAttempts) without a check.
func (s *Service) Login(ctx context.Context, name, password, addr string) (*User, error) {
	at, err := s.limiter.begin(ctx, name, addr)
	if err != nil {
		if errors.Is(err, ErrTooManyAttempts) {
			s.log.Warn("login refused: too many failures", "user", name, "addr", addr)
		}
		return nil, err
	}
	u, err := s.store.GetUser(ctx, name)
	if err != nil && fault.Code(err) != fault.ENOTFOUND {
		return nil, err
	}
	hash := s.dummyHash()
	if u != nil {
		hash = u.PasswordHash
	}
	// Compare even for a missing user, so that timing does not tell
	// which names exist.
	if bcrypt.CompareHashAndPassword([]byte(hash), []byte(password)) != nil || u == nil {
		s.log.Info("login failed", "user", name, "addr", addr)
		if err := s.limiter.failed(ctx, name, addr); err != nil {
			return nil, err
		}
		return nil, errBadLogin
	}
	if err := s.limiter.succeed(ctx, name, addr, at); err != nil {
		return nil, err
	}
	return u, nil
}

// Principal is who makes a request.
type Principal struct {
	// User is the account name ("" for a callback token).
	User string
	Role Role
	// Method is how it authenticated: "session", "token", "callback", or
	// "off" when authentication is disabled.
	Method string
	// ActionID is the one action a callback token may complete.
	ActionID string
	// TokenID names the API token used.
	TokenID string
	// Session is the hash of the dashboard session used, and Expires when
	// it ends (session principals only); live connections close with it.
	Session string
	Expires time.Time
}

// Name is how the principal appears in records.
func (p *Principal) Name() string {
	switch {
	case p == nil || p.Method == MethodOff:
		return ""
	case p.Method == MethodCallback:
		return "callback token"
	}
	return p.User
}

// Authentication methods.
const (
	MethodSession  = "session"
	MethodToken    = "token"
	MethodCallback = "callback"
	MethodOff      = "off"
)

// TokenPrefix starts every API token, so that leaked ones are easy to
// recognise (and to scan for).
const TokenPrefix = "sirocco_"

// CreateToken makes a token for user with at most the user's role. The
// plain value is returned once and never stored.
func (s *Service) CreateToken(ctx context.Context, user, name string, role Role, kind string, ttl time.Duration) (string, *Token, error) {
	if strings.TrimSpace(name) == "" || len(name) > 100 {
		return "", nil, fault.Errorf(fault.EINVALID, "A token needs a name of 1 to 100 characters.")
	}
	if role.rank() == 0 {
		return "", nil, fault.Errorf(fault.EINVALID, "Unknown role %q: want admin, approver or viewer.", role)
	}
	u, err := s.GetUser(ctx, user)
	if err != nil {
		return "", nil, err
	}
	if !u.Effective().Allows(role) {
		return "", nil, fault.Errorf(fault.EFORBIDDEN, "User %q has role %s and cannot hold a %s token.", user, u.Effective(), role)
	}
	plain := TokenPrefix + randomToken(32)
	now := s.now().UTC()
	t := &Token{ID: newID(), Name: strings.TrimSpace(name), Kind: kind, Role: role, UserName: user, Hash: HashSecret(plain), CreatedAt: now}
	if ttl > 0 {
		exp := now.Add(ttl)
		t.ExpiresAt = &exp
	}
	err = s.store.Update(ctx, func(tx Tx) error {
		if kind == KindKeystone {
			// Keystone tokens pile up with every CLI command: sweep the
			// expired ones as new ones come.
			if err := tx.DeleteExpiredTokens(ctx, now); err != nil {
				return err
			}
		}
		return tx.CreateToken(ctx, t)
	})
	if err != nil {
		return "", nil, err
	}
	if kind == KindAPI {
		s.log.Info("token created", "token_id", t.ID, "name", t.Name, "user", user, "role", role)
	}
	return plain, t, nil
}

// KeystoneToken issues the short-lived token of a Keystone login.
func (s *Service) KeystoneToken(ctx context.Context, u *User) (string, *Token, error) {
	return s.CreateToken(ctx, u.Name, "keystone login", u.Effective(), KindKeystone, s.keystoneTTL)
}

// ListTokens lists the tokens of a kind ("" for all), newest first.
func (s *Service) ListTokens(ctx context.Context, kind string) ([]*Token, error) {
	return s.store.ListTokens(ctx, kind)
}

// RevokeToken deletes a token; it stops working at once.
func (s *Service) RevokeToken(ctx context.Context, id string) error {
	if err := s.store.Update(ctx, func(tx Tx) error { return tx.DeleteToken(ctx, id) }); err != nil {
		if fault.Code(err) == fault.ENOTFOUND {
			return fault.Errorf(fault.ENOTFOUND, "Token not found [id=%s]", id)
		}
		return err
	}
	s.log.Info("token revoked", "token_id", id)
	return nil
}

// errBadToken is the one answer to a token that is unknown, expired or
// revoked.
var errBadToken = fault.Errorf(fault.EUNAUTHORIZED, "The authentication token is not valid (unknown, expired or revoked).")

// Authenticate resolves an API token. Its role is the token's, capped by
// its user's current role.
func (s *Service) Authenticate(ctx context.Context, plain string) (*Principal, *Token, error) {
	if plain == "" {
		return nil, nil, errBadToken
	}
	h := HashSecret(plain)
	t, err := s.store.TokenByHash(ctx, h)
	if fault.Code(err) == fault.ENOTFOUND {
		return nil, nil, errBadToken
	}
	if err != nil {
		return nil, nil, err
	}
	// The lookup was by hash; compare again in constant time so that
	// nothing downstream depends on how the index compared.
	if !Equal(t.Hash, h) || (t.ExpiresAt != nil && !s.now().Before(*t.ExpiresAt)) {
		return nil, nil, errBadToken
	}
	u, err := s.store.GetUser(ctx, t.UserName)
	if err != nil {
		return nil, nil, errBadToken
	}
	return &Principal{User: u.Name, Role: minRole(t.Role, u.Effective()), Method: MethodToken, TokenID: t.ID}, t, nil
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
	return &Principal{User: u.Name, Role: u.Effective(), Method: MethodSession, Session: h, Expires: sess.ExpiresAt}, nil
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

// CallbackToken returns the callback token of an action execution, which
// std.mistral_http sends as Sirocco-Callback-Token. It is derived from the
// server secret and the action id, so a request repeated after a crash
// carries the same token; only its hash is stored.
func (s *Service) CallbackToken(ctx context.Context, actionID string) (string, error) {
	tok := s.deriveCallback(actionID)
	h, at := HashSecret(tok), s.now().UTC()
	if err := s.store.Update(ctx, func(tx Tx) error { return tx.PutCallbackToken(ctx, actionID, h, at) }); err != nil {
		return "", fmt.Errorf("store callback token: %w", err)
	}
	return tok, nil
}

func (s *Service) deriveCallback(actionID string) string {
	m := hmac.New(sha256.New, s.callbackKey)
	m.Write([]byte("sirocco callback token\x00" + actionID))
	return "cb_" + base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

// errBadCallback is the answer to a callback token that is not this
// action's.
var errBadCallback = fault.Errorf(fault.EUNAUTHORIZED, "The callback token is not valid for this action execution.")

// CallbackPrincipal checks a callback token presented to complete
// actionID: it must be the one issued for that action. It stays valid
// once the action is finished, so that a service that retries a result it
// got no answer for hears 200 (the same result again) or 409 (another was
// recorded, and by whom) from the engine; the token can change nothing
// else (Principal.MayMoveAction, and the routes that accept it).
func (s *Service) CallbackPrincipal(ctx context.Context, actionID, plain string) (*Principal, error) {
	if plain == "" || actionID == "" || len(s.callbackKey) == 0 {
		return nil, errBadCallback
	}
	stored, err := s.store.CallbackTokenHash(ctx, actionID)
	if err != nil {
		return nil, errBadCallback
	}
	if !Equal(stored, HashSecret(plain)) || !Equal(s.deriveCallback(actionID), plain) {
		return nil, errBadCallback
	}
	return &Principal{Role: RoleApprover, Method: MethodCallback, ActionID: actionID}, nil
}

// HashSecret is how tokens and session ids are stored: hex SHA-256.
func HashSecret(plain string) string {
	sum := sha256.Sum256([]byte(plain))
	return hex.EncodeToString(sum[:])
}

// Equal compares two secrets in time that depends only on their length.
func Equal(a, b string) bool { return subtle.ConstantTimeCompare([]byte(a), []byte(b)) == 1 }

func randomBytes(n int) []byte {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		panic(err) // crypto/rand never fails on supported platforms
	}
	return b
}

func randomToken(n int) string { return base64.RawURLEncoding.EncodeToString(randomBytes(n)) }

func newID() string {
	b := randomBytes(16)
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}

// SortedRoles returns role names for messages.
func SortedRoles() []string {
	out := make([]string, len(Roles))
	for i, r := range Roles {
		out[i] = string(r)
	}
	sort.Strings(out)
	return out
}

// IsUnauthorized reports whether err says the credentials are missing or
// wrong.
func IsUnauthorized(err error) bool {
	var e *fault.Error
	return errors.As(err, &e) && e.Code == fault.EUNAUTHORIZED
}
