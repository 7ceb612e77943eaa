package audit

import (
	"bytes"
	"encoding/base64"
	"encoding/hex"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sirocco-project/sirocco/internal/fault"
)

func TestParseKey(t *testing.T) {
	t.Parallel()
	key := bytes.Repeat([]byte{0xfb, 0xef, 0x01}, 11) // 33 bytes; base64 uses + and / and -, _
	for name, text := range map[string]string{
		"hex":                hex.EncodeToString(key),
		"HEX":                strings.ToUpper(hex.EncodeToString(key)),
		"hex with newline":   hex.EncodeToString(key) + "\n",
		"base64":             base64.StdEncoding.EncodeToString(key),
		"base64 raw":         base64.RawStdEncoding.EncodeToString(key),
		"base64 url":         base64.URLEncoding.EncodeToString(key),
		"base64 url, spaces": "  " + base64.RawURLEncoding.EncodeToString(key) + " \r\n",
	} {
		got, err := ParseKey(text)
		if err != nil || !bytes.Equal(got, key) {
			t.Errorf("%s: ParseKey = %x, %v; want %x", name, got, err, key)
		}
	}
	k32 := bytes.Repeat([]byte{0x3e}, 32)
	if got, err := ParseKey(base64.StdEncoding.EncodeToString(k32)); err != nil || !bytes.Equal(got, k32) {
		t.Errorf("a 32-byte base64 key: %x, %v", got, err)
	}

	secret := "s3cr3t-value-that-must-not-leak"
	for name, tc := range map[string]struct{ text, msg string }{
		"empty":        {"  \n", "empty"},
		"short hex":    {strings.Repeat("ab", 31), "has 31 bytes; it needs at least 32"},
		"short base64": {base64.StdEncoding.EncodeToString(make([]byte, 16)), "has 16 bytes"},
		"neither":      {secret + "!", "neither hex nor base64"},
		"odd hex":      {strings.Repeat("a", 65), "neither hex nor base64"},
	} {
		_, err := ParseKey(tc.text)
		if err == nil || fault.Code(err) != fault.EINVALID || !strings.Contains(err.Error(), tc.msg) {
			t.Errorf("%s: ParseKey = %v, want an invalid error saying %q", name, err, tc.msg)
		}
		if err != nil && strings.Contains(err.Error(), "s3cr3t") {
			t.Errorf("%s: the error quotes the key: %v", name, err)
		}
	}
}

func TestLoadKey(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	fileKey := bytes.Repeat([]byte{1}, 32)
	envKey := bytes.Repeat([]byte{2}, 32)
	good := filepath.Join(dir, "audit.key")
	if err := os.WriteFile(good, []byte(hex.EncodeToString(fileKey)+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	short := filepath.Join(dir, "short.key")
	os.WriteFile(short, []byte("abcd"), 0o600)
	big := filepath.Join(dir, "big.key")
	os.WriteFile(big, bytes.Repeat([]byte("a"), 5000), 0o600)

	// The file wins over the environment.
	key, src, err := LoadKey(good, hex.EncodeToString(envKey))
	if err != nil || !bytes.Equal(key, fileKey) || src != "file "+good {
		t.Errorf("file and env: %x from %q, %v", key, src, err)
	}
	key, src, err = LoadKey("", base64.StdEncoding.EncodeToString(envKey))
	if err != nil || !bytes.Equal(key, envKey) || src != KeyEnv {
		t.Errorf("env: %x from %q, %v", key, src, err)
	}
	if key, src, err := LoadKey("", ""); key != nil || src != "" || err != nil {
		t.Errorf("neither: %x, %q, %v", key, src, err)
	}
	for name, tc := range map[string]struct{ file, env, msg string }{
		"missing file": {filepath.Join(dir, "nope"), "", "nope: no such file"},
		"short file":   {short, "", short + ": the audit key has 2 bytes"},
		"big file":     {big, "", "longer than 4096 bytes"},
		"bad env":      {"", "zz!", KeyEnv + ": the audit key is neither"},
	} {
		_, _, err := LoadKey(tc.file, tc.env)
		if err == nil || fault.Code(err) != fault.EINVALID || !strings.Contains(err.Error(), tc.msg) {
			t.Errorf("%s: LoadKey = %v, want an error saying %q", name, err, tc.msg)
		}
	}
}
