package main

import (
	"bytes"
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"
)

// TestRunArgs checks run's answers to command lines that do not start a
// server: help, and mistakes, which are usage errors (exit status 2).
func TestRunArgs(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name       string
		args       []string
		verbatim   bool   // args are the whole command line (a verb or help first)
		wantUsage  bool   // a usageError
		eitherKind bool   // usage error or not, both are fine
		wantErr    string // fragment of the error; "" for none
		wantStdout string // fragment of stdout
	}{
		{name: "help", args: []string{"help"}, verbatim: true, wantStdout: "action-execution-update <id>"},
		{name: "--help", args: []string{"--help"}, verbatim: true, wantStdout: "action-execution-list"},
		{name: "serve -h", args: []string{"serve", "-h"}, verbatim: true},
		{name: "unknown flag", args: []string{"-bogus"}, wantUsage: true, wantErr: "bogus"},
		{name: "unexpected argument", args: []string{"-seed=false", "extra"}, wantUsage: true, wantErr: `unexpected argument "extra"`},
		{name: "unknown verb", args: []string{"execution-list"}, verbatim: true, wantUsage: true, wantErr: "execution-list"},
		{name: "bad log level", args: []string{"-log-level", "loud"}, wantUsage: true, wantErr: "loud"},
		// Found only when the store opens; a usage error would be better.
		{name: "bad sync mode", args: []string{"-sync", "sometimes"}, eitherKind: true, wantErr: "sometimes"},
		{name: "bad address", args: []string{"-addr", "127.0.0.1:bogus"}, wantErr: "listen"},
		{name: "bad notify url", args: []string{"-notify-url", "hooks.example.com/x"}, wantUsage: true, wantErr: `invalid -notify-url "hooks.example.com/x": not an http or https URL`},
		{name: "notify url not allowed", args: []string{"-notify-url", "https://a.example.com/", "-notify-allow", "b.example.com"}, wantUsage: true, wantErr: `-notify-url "https://a.example.com/" is not among -notify-allow "b.example.com"`},
		{name: "bad notify allowlist", args: []string{"-notify-allow", "ftp://x/"}, wantUsage: true, wantErr: "invalid -notify-allow"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			// A database in a temporary directory, should a case get as
			// far as opening one; a context that is already cancelled, so
			// that a server started by mistake stops at once.
			args := append([]string{"-addr", "127.0.0.1:0", "-db", filepath.Join(t.TempDir(), "s.db")}, tt.args...)
			if tt.verbatim {
				args = tt.args
			}
			ctx, cancel := context.WithCancel(context.Background())
			cancel()
			var stdout, stderr bytes.Buffer
			err := run(ctx, args, noEnv, &stdout, &stderr)
			var ue usageError
			if got := errors.As(err, &ue); got != tt.wantUsage && !tt.eitherKind {
				t.Errorf("run(%q) = %v; usage error %v, want %v", args, err, got, tt.wantUsage)
			}
			switch {
			case tt.wantErr == "" && err != nil:
				t.Errorf("run(%q) = %v, want nil", args, err)
			case tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)):
				t.Errorf("run(%q) = %v, want an error containing %q", args, err, tt.wantErr)
			}
			if !strings.Contains(stdout.String(), tt.wantStdout) {
				t.Errorf("run(%q) printed %q, want it to contain %q", args, stdout.String(), tt.wantStdout)
			}
		})
	}
}
