package main

import "github.com/sirocco-project/sirocco/internal/engine"

// linkConfig configures decision links: signed with a key derived from
// the accounts' server secret (every replica shares it), living
// -link-ttl. Without authentication nobody is known to send a link to,
// and there are none.
func (s *server) linkConfig() engine.LinkConfig {
	if s.cfg.auth == "off" {
		return engine.LinkConfig{}
	}
	return engine.LinkConfig{Key: s.accounts.LinkKey(), TTL: s.cfg.linkTTL}
}
