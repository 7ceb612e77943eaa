package archtest

import (
	"bufio"
	"bytes"
	"os/exec"
	"slices"
	"strings"
	"testing"
)

const module = "github.com/sirocco-project/sirocco/"

const echo = "github.com/labstack/echo/v4"

// rules are the import rules of README's Layout: cmd → api, web, hub, ops
// → guard → auth, engine ← sqlite, postgres (the stores); engine → dsl, expr, fault,
// jsonvalue, quorum, schemaform. Paths without
// a dot are the module's own (internal/…) or the standard library's.
var rules = []struct {
	pkg string
	// only, when not nil, is every package of the module pkg may import
	// directly.
	only []string
	// never lists what pkg must not depend on, directly or through
	// another package.
	never []string
	// notDirectly lists what pkg must not import itself.
	notDirectly []string
}{
	// The engine is the domain: no transport, no store, no accounts.
	{pkg: "internal/engine", only: []string{"internal/dsl", "internal/expr", "internal/fault", "internal/jsonvalue", "internal/quorum", "internal/schemaform", "internal/audit"},
		never: []string{echo, "github.com/gorilla/websocket", "github.com/a-h/templ", "database/sql"}},
	// Accounts are a domain too: no HTTP at all, not even the engine's
	// client, and no SQL. Their audit records are a type of their own
	// (auth.AuditRecord), which the store seals into the chain: auth
	// needs neither the engine's records nor package audit.
	{pkg: "internal/auth", only: []string{"internal/fault"},
		never: []string{echo, "net/http", "internal/engine", "internal/audit", "database/sql"}},
	// The store implements what engine and auth declare, and knows no HTTP
	// framework; net/http reaches it only through the engine's HTTP
	// actions.
	{pkg: "internal/sqlite",
		never:       []string{echo, "internal/api", "internal/web", "internal/guard", "internal/hub", "internal/ops", "internal/httpstatus", "internal/postgres", "github.com/jackc/pgx/v5"},
		notDirectly: []string{"net/http"}},
	// So does the PostgreSQL store, and neither store knows the other:
	// migrate-to joins them in cmd.
	{pkg: "internal/postgres",
		never:       []string{echo, "internal/api", "internal/web", "internal/guard", "internal/hub", "internal/ops", "internal/httpstatus", "internal/sqlite"},
		notDirectly: []string{"net/http"}},
	// guard is auth's HTTP side, below the API and the dashboard.
	{pkg: "internal/guard", only: []string{"internal/auth", "internal/engine", "internal/fault"}},
	// The HTTP layers reach the database only through engine and auth.
	{pkg: "internal/api", never: []string{"internal/sqlite", "internal/postgres", "internal/web", "internal/hub"}},
	{pkg: "internal/web", never: []string{"internal/sqlite", "internal/postgres", "internal/api"}},
	{pkg: "internal/hub", never: []string{"internal/sqlite", "internal/postgres", "internal/auth", "internal/guard", "internal/api", "internal/web"}},
	// The connection layer knows nothing of Sirocco; the contract suite
	// knows the interfaces, not a store.
	{pkg: "internal/sqlite/sqlite3", only: []string{}},
	{pkg: "internal/storetest", never: []string{"internal/sqlite", "internal/postgres", echo}},
	// The pure packages stay pure.
	{pkg: "internal/fault", only: []string{}},
	{pkg: "internal/jsonvalue", only: []string{}},
	{pkg: "internal/markdown", only: []string{}},
	{pkg: "internal/graph", only: []string{}},
	{pkg: "internal/gcpace", only: []string{}},
	{pkg: "internal/webhook", only: []string{}, never: []string{"internal/engine", echo}},
	{pkg: "internal/quorum", only: []string{"internal/fault", "internal/jsonvalue"}},
	{pkg: "internal/audit", only: []string{"internal/fault", "internal/jsonvalue"}},
	{pkg: "internal/schemaform", only: []string{"internal/fault"}},
	{pkg: "internal/dsl", never: []string{"internal/engine", "net/http"}},
	// The in-process SSH and SMTP servers are for tests: the binary never
	// holds them.
	{pkg: "cmd/server", never: []string{"internal/sshtest", "github.com/gliderlabs/ssh", "internal/smtptest", "github.com/emersion/go-smtp"}},
	{pkg: "internal/expr", never: []string{"internal/engine", "net/http"}},
}

// graph lists every package the module's packages depend on, with their
// direct imports (test files excluded), the module's prefix trimmed.
func graph(t *testing.T) map[string][]string {
	t.Helper()
	cmd := exec.Command("go", "list", "-deps", "-f", `{{.ImportPath}}{{range .Imports}} {{.}}{{end}}`, module+"...")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, stderr.String())
	}
	g := map[string][]string{}
	sc := bufio.NewScanner(bytes.NewReader(out))
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		f := strings.Fields(strings.ReplaceAll(sc.Text(), module, ""))
		g[f[0]] = f[1:]
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return g
}

// path returns a chain of imports from pkg to target, or nil.
func path(g map[string][]string, pkg, target string) []string {
	seen := map[string]bool{pkg: true}
	prev := map[string]string{}
	queue := []string{pkg}
	for len(queue) > 0 {
		p := queue[0]
		queue = queue[1:]
		for _, q := range g[p] {
			if seen[q] {
				continue
			}
			seen[q], prev[q] = true, p
			if q == target {
				chain := []string{q}
				for c := q; c != pkg; c = prev[c] {
					chain = append([]string{prev[c]}, chain...)
				}
				return chain
			}
			queue = append(queue, q)
		}
	}
	return nil
}

// own reports whether p (trimmed of the module's prefix) is one of the
// module's packages.
func own(p string) bool {
	return strings.HasPrefix(p, "internal/") || strings.HasPrefix(p, "cmd/") || strings.HasPrefix(p, "web/") ||
		strings.HasPrefix(p, "examples/") || strings.HasPrefix(p, "scripts/")
}

// TestImportRules checks every rule against the packages as they are.
func TestImportRules(t *testing.T) {
	t.Parallel()
	g := graph(t)
	for _, r := range rules {
		imports, ok := g[r.pkg]
		if !ok {
			t.Errorf("%s: no such package (renamed? update the rules and README's Layout)", r.pkg)
			continue
		}
		if r.only != nil {
			for _, imp := range imports {
				if own(imp) && !slices.Contains(r.only, imp) {
					t.Errorf("%s imports %s; it may import only %v of the module", r.pkg, imp, r.only)
				}
			}
		}
		for _, bad := range r.never {
			if chain := path(g, r.pkg, bad); chain != nil {
				t.Errorf("%s depends on %s: %s", r.pkg, bad, strings.Join(chain, " → "))
			}
		}
		for _, bad := range r.notDirectly {
			if slices.Contains(imports, bad) {
				t.Errorf("%s imports %s itself", r.pkg, bad)
			}
		}
	}
	// Nothing imports upward into the commands.
	for p, imports := range g {
		for _, imp := range imports {
			if strings.HasPrefix(imp, "cmd/") && !strings.HasPrefix(p, "cmd/") {
				t.Errorf("%s imports the command %s", p, imp)
			}
		}
	}
}
