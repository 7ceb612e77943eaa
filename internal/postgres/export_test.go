package postgres

// MigrationLock is the advisory lock migrations run under, for the test
// of replicas starting together.
const MigrationLock = migrationLock
