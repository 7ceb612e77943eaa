package engine

// mailApprovers records the email event n sends approvers; none yet.
func (w *work) mailApprovers(n *approvalNotice) error { return nil }
