package engine

// issueLinks issues the decision links event n brings, by user name; none
// yet.
func (w *work) issueLinks(n *approvalNotice) (map[string]string, error) { return nil, nil }
