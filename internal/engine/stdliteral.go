package engine

import (
	"fmt"

	"github.com/sirocco-project/sirocco/internal/dsl"
)

// checkStdLiteral refuses, when a definition is stored or validated, the
// input values written in it that std.ssh, std.ssh_proxied and
// std.javascript would refuse at every run whatever the server's
// configuration: a private_key_filename that leaves the key directory, a
// proxy_command, a script that does not compile. Values holding an
// expression are checked when the action runs.
func checkStdLiteral(action string, in map[string]any) error {
	literal := func(k string) (string, bool) {
		v, ok := in[k].(string)
		return v, ok && !holdsExpr(v)
	}
	switch action {
	case "std.ssh", "std.ssh_proxied":
		if name, ok := literal("private_key_filename"); ok && name != "" {
			if err := checkKeyName(name); err != nil {
				return &dsl.ValueError{Path: []any{"private_key_filename"}, Msg: action + ": " + err.Error()}
			}
		}
		if v, ok := in["proxy_command"]; ok && action == "std.ssh_proxied" && v != nil && !holdsExpr(v) {
			return &dsl.ValueError{Path: []any{"proxy_command"}, Msg: action + ": " + errProxyCommand.Error()}
		}
	case "std.javascript", "std.js":
		if script, ok := literal("script"); ok {
			if _, err := compileJS(script); err != nil {
				return &dsl.ValueError{Path: []any{"script"}, Msg: fmt.Sprintf("%s: the script does not compile: %v", action, err)}
			}
		}
	}
	return nil
}
