// Package quorum decides who may decide an approval and whether its
// rules hold: given the approvers, the rules and the approvals cast (with
// each voter's groups as they were at the vote), it says whether the rules
// are met, which rule each approval counts for, and what is still missing
// ("1 more from security").
//
// Each person counts for one rule at most. Which rule is found by a
// maximum bipartite matching of people to rule places, so the rules are
// met whenever some assignment meets them, whatever order the votes came
// in: with rules finance:1 and security:1, a first voter in both groups
// and a second in finance only, the first counts for security.
//
// The package is pure: no I/O, no clock. The engine calls Eligible when a
// vote is cast and Tally after each approval.
package quorum

import "github.com/sirocco-project/sirocco/internal/fault"

// Bounds on a specification, so a tally's work stays small: the matching
// costs at most voters × (voters + voters × rules) steps.
const (
	MaxApprovers = 200  // entries in an approvers list
	MaxRules     = 50   // rules in required
	MaxCount     = 1000 // people one rule may ask for
	MaxVoters    = 1000 // distinct approvals a tally counts
)

// Rule asks for Count distinct people: members of Group, or the one User,
// or, with neither, any approver.
type Rule struct {
	Group string
	User  string
	Count int
}

// admits reports whether v can count for r.
func (r Rule) admits(v Voter) bool {
	switch {
	case r.User != "":
		return v.User == r.User
	case r.Group != "":
		return v.inGroup(r.Group)
	}
	return true
}

// Spec is what an approval asks for.
type Spec struct {
	// Approvers are "user:<name>" and "group:<name>" entries (see
	// ParseApprovers). Empty: anyone who may decide approvals (the
	// approver role, or admin) may.
	Approvers []string
	// Rules must all hold (see ParseRequired). Empty is one rule: one
	// person.
	Rules []Rule
	// AllowSelf lets the requester and the execution's starter decide.
	AllowSelf bool
	// Requester asked for the approval; Starter started the execution.
	Requester, Starter string
}

// rules returns the spec's rules, or the default.
func (s Spec) rules() []Rule {
	if len(s.Rules) == 0 {
		return []Rule{{Count: 1}}
	}
	return s.Rules
}

// Voter is a person deciding, as they are when they vote.
type Voter struct {
	User   string
	Groups []string
	Admin  bool
	// MayDecide is true for the approver role or above: what lets one
	// decide an approval that names no approvers.
	MayDecide bool
}

func (v Voter) inGroup(g string) bool {
	for _, h := range v.Groups {
		if h == g {
			return true
		}
	}
	return false
}

// Eligible returns nil if v may decide (approve or reject) an approval
// of spec, and otherwise an EFORBIDDEN *fault.Error that says why.
//
// Being named among the approvers is enough, whatever v's role: the
// workflow's author chose them. An admin not named is refused like anyone
// else, so a list of approvers means what it says.
func (s Spec) Eligible(v Voter) error {
	if v.User == "" {
		return fault.Errorf(fault.EFORBIDDEN, "An approval is decided by a signed-in user.")
	}
	if !s.AllowSelf {
		if v.User == s.Requester {
			return fault.Errorf(fault.EFORBIDDEN, "You requested this approval, so someone else must decide it.")
		}
		if v.User == s.Starter {
			return fault.Errorf(fault.EFORBIDDEN, "You started this execution, so someone else must decide its approval.")
		}
	}
	if len(s.Approvers) == 0 {
		if v.MayDecide || v.Admin {
			return nil
		}
		return fault.Errorf(fault.EFORBIDDEN, "Deciding an approval needs the approver role.")
	}
	for _, a := range s.Approvers {
		kind, name, _ := cutEntry(a)
		if kind == "user" && name == v.User || kind == "group" && v.inGroup(name) {
			return nil
		}
	}
	return fault.Errorf(fault.EFORBIDDEN, "Only the approvers may decide this approval: %s.", listApprovers(s.Approvers))
}

// listApprovers names the first few approvers for a message.
func listApprovers(a []string) string {
	const shown = 5
	out := ""
	for i, e := range a {
		if i == shown {
			return out + ", …"
		}
		if i > 0 {
			out += ", "
		}
		out += e
	}
	return out
}
