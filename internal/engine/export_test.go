package engine

import "time"

// SetAfter replaces what the job worker waits on between looks for jobs
// (time.After), so that a test decides when a wait ends. Call it before
// Run.
func SetAfter(e *Engine, f func(time.Duration) <-chan time.Time) { e.after = f }

// MaxIdleWait is the longest the job worker waits without looking for jobs.
const MaxIdleWait = maxIdleWait

// StoreOf is the store e works on.
func StoreOf(e *Engine) Store { return e.store }

// HoldJSSlots takes every std.javascript slot of e, as scripts running
// would; the returned function gives them back.
func HoldJSSlots(e *Engine) (release func()) {
	for range cap(e.jsSlots) {
		e.jsSlots <- struct{}{}
	}
	return func() {
		for range cap(e.jsSlots) {
			<-e.jsSlots
		}
	}
}

// OnPurgeBatch makes f run after each committed batch of e's retention
// runs.
func OnPurgeBatch(e *Engine, f func()) { e.purgeBatchDone.Store(&f) }
