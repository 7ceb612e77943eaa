package main

import (
	"fmt"
	"time"

	"github.com/sirocco-project/sirocco/internal/engine"
	"github.com/sirocco-project/sirocco/internal/webhook"
)

// notifyTimeout bounds one notification request: a receiver that hangs
// costs a job slot that long, then the attempt counts as failed.
const notifyTimeout = 15 * time.Second

// notifyConfig builds the notifier from -notify-url and -notify-allow.
// The server-wide receiver is the operator's own and must be allowed too:
// the sender checks every destination again when it sends.
func notifyConfig(url, allow string) (engine.NotifyConfig, error) {
	list, err := webhook.ParseAllowlist(allow)
	if err != nil {
		return engine.NotifyConfig{}, usageError{"invalid -notify-allow: " + err.Error()}
	}
	sender := webhook.New(notifyTimeout, list)
	cfg := engine.NotifyConfig{Sender: sender}
	if url != "" {
		if _, err := webhook.Parse(url); err != nil {
			return engine.NotifyConfig{}, usageError{fmt.Sprintf("invalid -notify-url %q: %v", url, err)}
		}
		if err := sender.Check(url); err != nil {
			return engine.NotifyConfig{}, usageError{fmt.Sprintf("-notify-url %q is not among -notify-allow %q", url, list.String())}
		}
		cfg.Receivers = []engine.Webhook{{URL: url}}
	}
	return cfg, nil
}
