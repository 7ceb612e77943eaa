package webhook

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"strconv"
	"strings"
	"time"
)

// Every notification is signed when the server has a secret
// (-notify-secret-file or SIROCCO_NOTIFY_SECRET): SignatureHeader holds
// the time it was sent and an HMAC-SHA256, keyed by the secret, of that
// time and the body:
//
//	Sirocco-Signature: t=1764686622,v1=<hex of HMAC-SHA256(secret, "1764686622." + body)>
//
// A receiver recomputes the HMAC, compares in constant time, rejects a
// time too far from its clock (a replay of an old request) and one
// signature seen twice (a replay within that window). Each attempt of a
// notification is signed anew; its event id stays the same.

// SignatureHeader carries a notification's signature.
const SignatureHeader = "Sirocco-Signature"

// MinSecretLen is the shortest secret accepted, in bytes.
const MinSecretLen = 16

// DefaultTolerance is how far a signature's time may be from a
// receiver's clock in Verify.
const DefaultTolerance = 5 * time.Minute

// Errors of Verify, for receivers that answer each differently.
var (
	ErrNoSignature  = errors.New("no " + SignatureHeader + " header, or not t=<unix time>,v1=<hex>")
	ErrBadSignature = errors.New("the signature does not match the body")
	ErrStale        = errors.New("the signature's time is too far from now (a replay?)")
)

// Sign returns the SignatureHeader value of body sent at t.
func Sign(secret []byte, t time.Time, body []byte) string {
	ts := strconv.FormatInt(t.Unix(), 10)
	return "t=" + ts + ",v1=" + hex.EncodeToString(mac(secret, ts, body))
}

func mac(secret []byte, ts string, body []byte) []byte {
	m := hmac.New(sha256.New, secret)
	m.Write([]byte(ts))
	m.Write([]byte{'.'})
	m.Write(body)
	return m.Sum(nil)
}

// Verify checks header, a SignatureHeader value, against body: the HMAC
// must match and its time be within tolerance of now. It does not
// remember signatures: a receiver that must refuse a replay within the
// tolerance keeps the ones it accepted that long (see the README).
func Verify(secret []byte, header string, body []byte, now time.Time, tolerance time.Duration) error {
	var ts string
	var sigs [][]byte
	for _, part := range strings.Split(header, ",") {
		k, v, _ := strings.Cut(strings.TrimSpace(part), "=")
		switch k {
		case "t":
			ts = v
		case "v1":
			if b, err := hex.DecodeString(v); err == nil {
				sigs = append(sigs, b)
			}
		}
	}
	sec, err := strconv.ParseInt(ts, 10, 64)
	if err != nil || len(sigs) == 0 {
		return ErrNoSignature
	}
	want := mac(secret, ts, body)
	ok := false
	for _, s := range sigs {
		// Several v1 values let a sender sign with an old and a new
		// secret while receivers change over.
		ok = hmac.Equal(s, want) || ok
	}
	if !ok {
		return ErrBadSignature
	}
	if d := now.Sub(time.Unix(sec, 0)); d > tolerance || d < -tolerance {
		return ErrStale
	}
	return nil
}
