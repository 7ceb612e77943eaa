package auth

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"fmt"
)

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

// FormKey returns the key dashboard form tokens are derived with: derived
// in turn from the server secret of callback tokens (so forms survive a
// restart, and neither key tells the other), or nil before Init.
func (s *Service) FormKey() []byte {
	if len(s.callbackKey) == 0 {
		return nil
	}
	m := hmac.New(sha256.New, s.callbackKey)
	m.Write([]byte("sirocco form token key"))
	return m.Sum(nil)
}
