package main

import (
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestParseConfigSSH: the std.ssh flags and their environment twins, and
// the refusals at start of what would make every run fail.
func TestParseConfigSSH(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	file := filepath.Join(dir, "known_hosts")
	if err := os.WriteFile(file, []byte("[127.0.0.1]:2222 ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIIxuBgoO6+xt8EUG5ZYtqXyy9u+0rnl4tJkOTL2+plml\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	garbage := filepath.Join(dir, "garbage")
	if err := os.WriteFile(garbage, []byte("not a known_hosts line\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		args    []string
		env     map[string]string
		keyDir  string
		known   string
		timeout time.Duration
		wantErr string
	}{
		{name: "defaults", timeout: 10 * time.Minute},
		{name: "flags", args: []string{"-ssh-key-dir", dir, "-ssh-known-hosts", file, "-ssh-timeout", "30s"}, keyDir: dir, known: file, timeout: 30 * time.Second},
		{name: "environment", env: map[string]string{"SIROCCO_SSH_KEY_DIR": dir, "SIROCCO_SSH_KNOWN_HOSTS": file, "SIROCCO_SSH_TIMEOUT": "1m"}, keyDir: dir, known: file, timeout: time.Minute},
		{name: "key dir missing", args: []string{"-ssh-key-dir", filepath.Join(dir, "nope")}, wantErr: "-ssh-key-dir: stat"},
		{name: "key dir a file", args: []string{"-ssh-key-dir", file}, wantErr: "is not a directory"},
		{name: "known_hosts missing", args: []string{"-ssh-known-hosts", filepath.Join(dir, "nope")}, wantErr: "-ssh-known-hosts: open"},
		{name: "known_hosts not one", args: []string{"-ssh-known-hosts", garbage}, wantErr: "-ssh-known-hosts: knownhosts"},
		{name: "timeout zero", args: []string{"-ssh-timeout", "0s"}, wantErr: "-ssh-timeout must be positive"},
		{name: "timeout env bad", env: map[string]string{"SIROCCO_SSH_TIMEOUT": "soon"}, wantErr: "invalid SIROCCO_SSH_TIMEOUT"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			cfg, err := parseConfig(tt.args, func(k string) string { return tt.env[k] }, io.Discard)
			if tt.wantErr != "" {
				var ue usageError
				if !errors.As(err, &ue) || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want a usage error containing %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if cfg.ssh.KeyDir != tt.keyDir || cfg.ssh.KnownHosts != tt.known || cfg.ssh.Timeout != tt.timeout {
				t.Errorf("ssh config %+v, want key dir %q, known_hosts %q, timeout %s", cfg.ssh, tt.keyDir, tt.known, tt.timeout)
			}
		})
	}
}
