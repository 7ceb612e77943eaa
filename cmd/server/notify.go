package main

import (
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"strings"
	"time"

	"github.com/sirocco-project/sirocco/internal/engine"
	"github.com/sirocco-project/sirocco/internal/webhook"
)

// notifyTimeout bounds one notification request: a receiver that hangs
// costs a job slot that long, then the attempt counts as failed.
const notifyTimeout = 15 * time.Second

// notifySecretEnv holds the notifications' signing secret itself, for
// deployments that pass secrets in the environment. There is no flag for
// it: a command line is visible to every user of the machine.
const notifySecretEnv = "SIROCCO_NOTIFY_SECRET"

// notifyFlags are the notifier's command-line settings.
type notifyFlags struct {
	url, allow string
	secretFile string // -notify-secret-file
	secretEnv  string // SIROCCO_NOTIFY_SECRET
	links      bool   // -notify-links
}

// notifyConfig builds the notifier from -notify-url, -notify-allow, the
// signing secret and -notify-links. The server-wide receiver is the
// operator's own and must be allowed too: the sender checks every
// destination again when it sends.
func notifyConfig(f notifyFlags) (engine.NotifyConfig, error) {
	list, err := webhook.ParseAllowlist(f.allow)
	if err != nil {
		return engine.NotifyConfig{}, usageError{"invalid -notify-allow: " + err.Error()}
	}
	sender := webhook.New(notifyTimeout, list)
	secret, err := loadNotifySecret(f.secretFile, f.secretEnv)
	if err != nil {
		return engine.NotifyConfig{}, err
	}
	if secret != nil {
		sender.SetSecret(secret)
	}
	cfg := engine.NotifyConfig{Sender: sender, Links: f.links}
	if f.url != "" {
		if _, err := webhook.Parse(f.url); err != nil {
			return engine.NotifyConfig{}, usageError{fmt.Sprintf("invalid -notify-url %q: %v", f.url, err)}
		}
		if err := sender.Check(f.url); err != nil {
			return engine.NotifyConfig{}, usageError{fmt.Sprintf("-notify-url %q is not among -notify-allow %q", f.url, list.String())}
		}
		cfg.Receivers = []engine.Webhook{{URL: f.url}}
	}
	return cfg, nil
}

// loadNotifySecret reads the signing secret: the text of file (surrounding
// white space trimmed), else env's value; nil when neither is given. It
// must be at least webhook.MinSecretLen bytes.
func loadNotifySecret(file, env string) ([]byte, error) {
	text, source := env, notifySecretEnv
	if file != "" {
		b, err := os.ReadFile(file)
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				return nil, usageError{fmt.Sprintf("-notify-secret-file %s: no such file", file)}
			}
			return nil, usageError{fmt.Sprintf("-notify-secret-file: %v", err)}
		}
		text, source = string(b), "-notify-secret-file "+file
	}
	text = strings.TrimSpace(text)
	switch {
	case file == "" && env == "":
		return nil, nil
	case len(text) < webhook.MinSecretLen:
		return nil, usageError{fmt.Sprintf("%s: the notification secret is %d bytes; use at least %d (make one with: openssl rand -hex 32)",
			source, len(text), webhook.MinSecretLen)}
	}
	return []byte(text), nil
}

// logNotify says at start whether notifications are signed, warning when
// the server-wide receiver gets them unsigned.
func logNotify(log *slog.Logger, cfg engine.NotifyConfig) {
	s, _ := cfg.Sender.(*webhook.Sender)
	switch {
	case s != nil && s.Signed():
		log.Info("webhook notifications are signed (Sirocco-Signature)", "links", cfg.Links)
	case len(cfg.Receivers) > 0:
		log.Warn("webhook notifications are not signed: receivers cannot tell them from forgeries (give -notify-secret-file or " + notifySecretEnv + ")")
	}
}
