package auth

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"fmt"

	"github.com/sirocco-project/sirocco/internal/fault"
)

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
// else (guard.MayMoveAction, and the routes that accept it).
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
