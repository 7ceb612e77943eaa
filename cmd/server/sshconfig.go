package main

import (
	"fmt"
	"os"

	"github.com/sirocco-project/sirocco/internal/engine"
	"golang.org/x/crypto/ssh/knownhosts"
)

// checkSSHConfig refuses at start what would make every std.ssh fail: a
// key directory that is not one, a known_hosts file that cannot be read,
// a time bound that is not positive.
func checkSSHConfig(c engine.SSHConfig) error {
	if c.KeyDir != "" {
		fi, err := os.Stat(c.KeyDir)
		if err != nil {
			return usageError{fmt.Sprintf("-ssh-key-dir: %v", err)}
		}
		if !fi.IsDir() {
			return usageError{fmt.Sprintf("-ssh-key-dir: %s is not a directory", c.KeyDir)}
		}
	}
	if c.KnownHosts != "" {
		if _, err := knownhosts.New(c.KnownHosts); err != nil {
			return usageError{fmt.Sprintf("-ssh-known-hosts: %v", err)}
		}
	}
	if c.Timeout <= 0 {
		return usageError{"-ssh-timeout must be positive"}
	}
	return nil
}
