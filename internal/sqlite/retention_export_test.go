package sqlite

// PurgePlans are the retention purge's statements whose plans must use
// migration 0022's indexes, with the index each must use.
var PurgePlans = []struct{ SQL, Index string }{
	{purgeKeptSQL, "workflow_executions_finished_roots"},
	{purgeRootsSQL, "workflow_executions_finished_roots"},
	{purgeRootsSQL, "workflow_executions_root"},
	{purgeIdempotencySQL, "idempotency_keys_resource"},
}
