package postgres

// MigrationLock is the advisory lock migrations run under, for the test
// of replicas starting together.
const MigrationLock = migrationLock

// OnListen makes s call f each time Listen is listening on a new
// connection: a test announces only once the listener hears. Call it
// before Listen.
func OnListen(s *Store, f func()) { s.onListen = f }

// ListenerName is the application_name of Listen's connection.
const ListenerName = listenerName

// ClassifyUnavailable is the store's classification of connection-level errors.
var ClassifyUnavailable = unavailable

// PurgePlans are the retention purge's statements whose plans must use
// migration 0007's indexes, with arguments (SQL literals) and the index
// each uses.
var PurgePlans = []struct {
	SQL   string
	Args  []string
	Index string
}{
	{purgeKeptSQL, []string{"'{SUCCESS}'", "9"}, "workflow_executions_finished_roots"},
	{purgeRootsSQL, []string{"'{SUCCESS}'", "'2026-01-01T00:00:00Z'", "''", "'2026-01-01T00:00:00Z'", "NULL", "NULL", "10"}, "workflow_executions_finished_roots"},
	{purgeRootsSQL, []string{"'{SUCCESS}'", "'2026-01-01T00:00:00Z'", "''", "NULL", "'2026-01-01T00:00:00Z'", "'x'", "10"}, "workflow_executions_root"},
	{`DELETE FROM idempotency_keys WHERE resource = ANY($1)`, []string{"'{a}'"}, "idempotency_keys_resource"},
}

// OnGroupWait makes s call f with the number of updates waiting for a
// grouped transaction each time one starts waiting. Call it before any
// Update.
func OnGroupWait(s *Store, f func(n int)) { s.group.onWait = f }

// DefaultCommitters is the store's choice of transactions at once for a
// database host and a pool size.
var DefaultCommitters = defaultCommitters
