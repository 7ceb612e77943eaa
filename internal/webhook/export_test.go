package webhook

import "time"

// SetClock sets the time s signs with.
func (s *Sender) SetClock(now func() time.Time) { s.now = now }
