package templates

import "time"

// NotificationRow is one notification about an execution: a webhook
// delivery of params.notify or -notify-url.
type NotificationRow struct {
	Event     string
	URL       string // the receiver's URL (headers are never shown)
	State     string // PENDING, DELIVERED or FAILED
	Badge     string // the execution state whose colours it takes
	Attempts  int
	LastError string
	NextAt    *time.Time // a pending one's next attempt
	At        time.Time
}

// failing counts the notifications that failed or are being retried.
func failing(rows []NotificationRow) int {
	n := 0
	for _, r := range rows {
		if r.State == "FAILED" || r.LastError != "" && r.State != "DELIVERED" {
			n++
		}
	}
	return n
}
