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
