package audit

import (
	"encoding/base64"
	"encoding/hex"
	"errors"
	"io"
	"os"
	"strings"

	"github.com/sirocco-project/sirocco/internal/fault"
)

// MinKeyBytes is the shortest audit key accepted: as long as the HMAC's
// output, so the key is never the weaker part.
const MinKeyBytes = 32

// KeyEnv is the environment variable that may hold the key itself.
const KeyEnv = "SIROCCO_AUDIT_KEY"

// maxKeyFile bounds what is read from a key file: a key is under 200
// characters; anything much longer is the wrong file.
const maxKeyFile = 4096

// ParseKey reads an audit key written in hex or base64 (standard or URL
// alphabet, padded or not), surrounding whitespace ignored. Text of hex
// digits only is read as hex. The key must have at least MinKeyBytes
// bytes. Errors never quote the text, which may be a key.
func ParseKey(text string) ([]byte, error) {
	s := strings.TrimSpace(text)
	if s == "" {
		return nil, fault.Errorf(fault.EINVALID, "the audit key is empty")
	}
	key, ok := decodeKey(s)
	if !ok {
		return nil, fault.Errorf(fault.EINVALID, "the audit key is neither hex nor base64 (make one with: openssl rand -hex 32)")
	}
	if len(key) < MinKeyBytes {
		return nil, fault.Errorf(fault.EINVALID, "the audit key has %d bytes; it needs at least %d (64 hex digits or 44 base64 characters; make one with: openssl rand -hex 32)", len(key), MinKeyBytes)
	}
	return key, nil
}

func decodeKey(s string) ([]byte, bool) {
	if len(s)%2 == 0 && strings.Trim(s, "0123456789abcdefABCDEF") == "" {
		b, err := hex.DecodeString(s)
		return b, err == nil
	}
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.RawStdEncoding, base64.URLEncoding, base64.RawURLEncoding} {
		if b, err := enc.DecodeString(s); err == nil {
			return b, true
		}
	}
	return nil, false
}

// ReadKeyFile reads a key file: the key in hex or base64, as ParseKey.
func ReadKeyFile(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fault.Wrap(err, fault.EINVALID, "audit key file: "+pathError(err))
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, maxKeyFile+1))
	if err != nil {
		return nil, fault.Wrap(err, fault.EINVALID, "audit key file "+path+": "+pathError(err))
	}
	if len(b) > maxKeyFile {
		return nil, fault.Errorf(fault.EINVALID, "audit key file %s: longer than %d bytes, so not a key", path, maxKeyFile)
	}
	key, err := ParseKey(string(b))
	if err != nil {
		return nil, fault.Errorf(fault.EINVALID, "audit key file %s: %s", path, fault.Message(err))
	}
	return key, nil
}

// pathError is err's text without the operation os puts first.
func pathError(err error) string {
	var pe *os.PathError
	if errors.As(err, &pe) {
		return pe.Path + ": " + pe.Err.Error()
	}
	return err.Error()
}

// LoadKey returns the audit key from file when it is not "" (the flag
// -audit-key-file, which wins, as flags do), else from env (the value of
// KeyEnv), else nil: no key. source says where it came from, for the
// log and for audit verify's report.
func LoadKey(file, env string) (key []byte, source string, err error) {
	switch {
	case file != "":
		key, err = ReadKeyFile(file)
		return key, "file " + file, err
	case env != "":
		key, err = ParseKey(env)
		if err != nil {
			return nil, "", fault.Errorf(fault.EINVALID, "%s: %s", KeyEnv, fault.Message(err))
		}
		return key, KeyEnv, nil
	}
	return nil, "", nil
}
