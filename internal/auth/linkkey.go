package auth

import (
	"crypto/hmac"
	"crypto/sha256"
)

// LinkKey returns the key decision links are signed with: derived from
// the server secret of callback tokens, which the accounts store keeps,
// so that every replica checks the links of the others and links
// outlive a restart, and neither key tells the other. nil before Init.
func (s *Service) LinkKey() []byte {
	if len(s.callbackKey) == 0 {
		return nil
	}
	m := hmac.New(sha256.New, s.callbackKey)
	m.Write([]byte("sirocco decision link key"))
	return m.Sum(nil)
}

// MethodLink is how the person behind a decision link that needs no login
// (require_login: false) is known: by the link alone.
const MethodLink = "link"
