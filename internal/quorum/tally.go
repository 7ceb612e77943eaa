package quorum

import (
	"fmt"
	"strings"
)

// Result is where an approval stands.
type Result struct {
	// Met is true when every rule has its people.
	Met bool
	// Assignment maps each user whose approval counts to the index of
	// the rule it counts for. Approvals beyond what the rules ask for,
	// or that no rule admits, are not in it.
	Assignment map[string]int
	// Missing lists the rules still short, in the spec's order.
	Missing []Need
}

// Need is a rule still short of people.
type Need struct {
	Index int // into the spec's rules
	Rule  Rule
	Count int // people still needed
	// Or lists the other rules (in the spec's order) a new approver could
	// count for instead and still fill this need, because someone already
	// counted there may move here: with finance:2 and security:1, and ann
	// (in both) and bob (finance) approving, the need is "1 more from
	// security or finance".
	Or []Rule
}

// Describe says what the need is, for people: "1 more from security",
// "1 more from security or finance", "2 more approvals", "an approval
// from alice".
func (n Need) Describe() string {
	switch {
	case n.Rule.User != "" && len(n.Or) == 0:
		return "an approval from " + n.Rule.User
	case n.Rule.User == "" && n.Rule.Group == "":
		if n.Count == 1 {
			return "1 more approval"
		}
		return fmt.Sprintf("%d more approvals", n.Count)
	}
	who := []string{n.Rule.source()}
	for _, r := range n.Or {
		if r.User == "" && r.Group == "" {
			// Anyone may fill the rule that frees a place here.
			return fmt.Sprintf("%d more %s", n.Count, plural(n.Count, "approval"))
		}
		who = append(who, r.source())
	}
	return fmt.Sprintf("%d more from %s", n.Count, strings.Join(who, " or "))
}

// source names who a rule counts: "security", or "alice".
func (r Rule) source() string {
	if r.User != "" {
		return r.User
	}
	return r.Group
}

func plural(n int, word string) string {
	if n == 1 {
		return word
	}
	return word + "s"
}

// Describe says what is missing ("1 more from finance and 2 more from
// security"), or "" when the rules are met.
func (r Result) Describe() string {
	parts := make([]string, len(r.Missing))
	for i, n := range r.Missing {
		parts[i] = n.Describe()
	}
	switch len(parts) {
	case 0:
		return ""
	case 1:
		return parts[0]
	}
	return strings.Join(parts[:len(parts)-1], ", ") + " and " + parts[len(parts)-1]
}

// Tally counts approvals against spec's rules. approvals are the voters
// who approved, in the order they voted, each with their groups at the
// time; a person listed twice counts once (as first listed), and only the
// first MaxVoters people are counted. Tally does not check eligibility:
// the caller checks each vote with Spec.Eligible when it is cast.
//
// Each person counts for at most one rule, assigned by a maximum
// bipartite matching (augmenting paths), so Met is true whenever some
// assignment meets every rule.
func Tally(spec Spec, approvals []Voter) Result {
	rules := spec.rules()
	voters := distinct(approvals)
	m := newMatcher(rules, voters)
	m.run()

	res := Result{Assignment: make(map[string]int)}
	for v, r := range m.ruleOf {
		if r >= 0 {
			res.Assignment[voters[v].User] = r
		}
	}
	for i, rule := range rules {
		if short := rule.Count - len(m.holders[i]); short > 0 {
			need := Need{Index: i, Rule: rule, Count: short}
			for _, j := range m.feeders(i) {
				need.Or = append(need.Or, rules[j])
			}
			res.Missing = append(res.Missing, need)
		}
	}
	res.Met = len(res.Missing) == 0
	return res
}

// distinct returns the first MaxVoters distinct named voters, first
// occurrence kept.
func distinct(approvals []Voter) []Voter {
	seen := make(map[string]bool, len(approvals))
	out := make([]Voter, 0, min(len(approvals), MaxVoters))
	for _, v := range approvals {
		if v.User == "" || seen[v.User] {
			continue
		}
		if len(out) == MaxVoters {
			break
		}
		seen[v.User] = true
		out = append(out, v)
	}
	return out
}
