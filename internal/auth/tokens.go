package auth

import (
	"context"
	"slices"
	"strings"
	"time"

	"github.com/sirocco-project/sirocco/internal/fault"
)

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

// TokenPrefix starts every API token, so that leaked ones are easy to
// recognise (and to scan for).
const TokenPrefix = "sirocco_"

// TokenLabel is how an API token's value starts: the prefix and the first
// eight characters of its id (random, as ids are version 4 UUIDs). The
// accounts page and the CLI show it, so that a person holding a token can
// tell which row is theirs without the value being stored.
func TokenLabel(id string) string {
	if len(id) > 8 {
		id = id[:8]
	}
	return TokenPrefix + id
}

// CreateToken makes a token for user with at most the user's role. The
// plain value is returned once and never stored. An API token's creation
// is recorded in the audit trail, as by (a Keystone token is a login, and
// is not).
func (s *Service) CreateToken(ctx context.Context, by Actor, user, name string, role Role, kind string, ttl time.Duration) (string, *Token, error) {
	if strings.TrimSpace(name) == "" || len(name) > 100 {
		return "", nil, fault.Errorf(fault.EINVALID, "A token needs a name of 1 to 100 characters.")
	}
	if err := fault.CheckText("name", name); err != nil {
		return "", nil, err
	}
	if role.rank() == 0 {
		return "", nil, unknownRole(string(role))
	}
	u, err := s.GetUser(ctx, user)
	if err != nil {
		return "", nil, err
	}
	if !u.Effective().Allows(role) {
		return "", nil, fault.Errorf(fault.EFORBIDDEN, "User %q has role %s and cannot hold a %s token.", user, u.Effective(), role)
	}
	id := newID()
	plain := TokenLabel(id) + "_" + randomToken(32)
	now := s.now().UTC()
	t := &Token{ID: id, Name: strings.TrimSpace(name), Kind: kind, Role: role, UserName: user, Hash: HashSecret(plain), CreatedAt: now}
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
		if err := tx.CreateToken(ctx, t); err != nil {
			return err
		}
		if kind != KindAPI {
			return nil
		}
		return s.audit(ctx, tx, by, "create API token %s %q for user %s (role %s)", t.ID, t.Name, user, role)
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
	return s.CreateToken(ctx, Actor{User: u.Name}, u.Name, "keystone login", u.Effective(), KindKeystone, s.keystoneTTL)
}

// ListTokens lists the tokens of a kind ("" for all), newest first.
func (s *Service) ListTokens(ctx context.Context, kind string) ([]*Token, error) {
	return s.store.ListTokens(ctx, kind)
}

// RevokeToken deletes a token, as by in the audit trail; it stops
// working at once.
func (s *Service) RevokeToken(ctx context.Context, by Actor, id string) error {
	err := s.updateAccounts(ctx, func(tx Tx) error {
		if err := tx.DeleteToken(ctx, id); err != nil {
			return err
		}
		return s.audit(ctx, tx, by, "revoke token %s", id)
	})
	if err != nil {
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
	now := s.now()
	if p, t, ok := s.tokens.get(h, now); ok {
		if t.ExpiresAt != nil && !now.Before(*t.ExpiresAt) {
			return nil, nil, errBadToken
		}
		p.Groups = slices.Clone(p.Groups)
		return &p, &t, nil
	}
	gen := s.tokens.generation()
	t, err := s.store.TokenByHash(ctx, h)
	if fault.Code(err) == fault.ENOTFOUND {
		return nil, nil, errBadToken
	}
	if err != nil {
		return nil, nil, err
	}
	// The lookup was by hash; compare again in constant time so that
	// nothing downstream depends on how the index compared.
	if !Equal(t.Hash, h) || (t.ExpiresAt != nil && !now.Before(*t.ExpiresAt)) {
		return nil, nil, errBadToken
	}
	u, err := s.store.GetUser(ctx, t.UserName)
	if err != nil {
		return nil, nil, errBadToken
	}
	p := Principal{User: u.Name, Groups: u.GroupNames(), Role: minRole(t.Role, u.Effective()), Method: MethodToken, TokenID: t.ID}
	s.tokens.put(h, p, *t, gen, now)
	return &p, t, nil
}
