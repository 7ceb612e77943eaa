package templates

import "time"

// ReplicasView is the Replicas page (admin): the server processes working
// on this database, as their heartbeats tell.
type ReplicasView struct {
	Page
	Rows []ReplicaRow
	// Self is the id of the replica that drew the page.
	Self string
	// Silence is how long a replica may be silent and still be listed.
	Silence string
}

// ReplicaRow is one live replica.
type ReplicaRow struct {
	ID, Host, Version string
	PID               int
	StartedAt         time.Time
	HeartbeatAt       time.Time
}
