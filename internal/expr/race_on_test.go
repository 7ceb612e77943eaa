//go:build race

package expr

// raceEnabled: under the race detector sync.Pool drops a quarter of what
// is put back, so regexp machines and other pooled buffers are made anew
// and allocation budgets do not hold.
const raceEnabled = true
