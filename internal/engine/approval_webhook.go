package engine

// notifyApproval records event n for the webhook receivers; none yet.
func (w *work) notifyApproval(n *approvalNotice) error { return nil }
