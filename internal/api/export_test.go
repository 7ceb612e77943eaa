package api

// SetParsing makes every definition that holds a parse slot call f first.
func SetParsing(a *API, f func()) { a.parsing = f }

// SetClaimed makes every request that claims an Idempotency-Key call f
// before its handler runs.
func SetClaimed(a *API, f func()) { a.claimed = f }

// SetMaxTreeEntries bounds the reports and sub-execution lists of a.
func SetMaxTreeEntries(a *API, n int) { a.maxTree.Store(int64(n)) }
