package quorum

import (
	"flag"
	"fmt"
	"math/rand/v2"
	"testing"
)

var (
	seed  = flag.Uint64("quorum.seed", 13, "seed of TestTallyMatchesBruteForce's random cases")
	cases = flag.Int("quorum.cases", 3000, "how many random cases TestTallyMatchesBruteForce tries")
)

// TestTallyMatchesBruteForce compares Tally with an exhaustive search
// over every assignment of voters to rules (or to none), on small random
// cases: the most people Tally places must be the most any assignment
// places, its assignment must be a valid one, and Met must not depend on
// the order of the votes. A failure prints the case's seed; replay it
// with -quorum.seed=S -quorum.cases=1.
func TestTallyMatchesBruteForce(t *testing.T) {
	for i := range *cases {
		s := *seed + uint64(i)
		rng := rand.New(rand.NewPCG(s, 0))
		spec, approvals := randomCase(rng)
		res := Tally(spec, approvals)
		if msg := checkValid(spec, approvals, res); msg != "" {
			t.Fatalf("seed %d: %s\nspec %+v\napprovals %+v\nresult %+v", s, msg, spec, approvals, res)
		}
		best := bruteForce(spec.Rules, approvals)
		if got := len(res.Assignment); got != best {
			t.Fatalf("seed %d: Tally placed %d people, brute force %d\nspec %+v\napprovals %+v\nresult %+v", s, got, best, spec, approvals, res)
		}
		shuffled := append([]Voter(nil), approvals...)
		rng.Shuffle(len(shuffled), func(i, j int) { shuffled[i], shuffled[j] = shuffled[j], shuffled[i] })
		if again := Tally(spec, shuffled); again.Met != res.Met || len(again.Assignment) != len(res.Assignment) {
			t.Fatalf("seed %d: order changed the result: %+v, shuffled %+v", s, res, again)
		}
	}
}

var groups = []string{"a", "b", "c"}

// randomCase makes up to 4 rules (a group, a user or anyone; count 1–3)
// and up to 6 distinct voters in random groups.
func randomCase(rng *rand.Rand) (Spec, []Voter) {
	var spec Spec
	for range 1 + rng.IntN(4) {
		r := Rule{Count: 1 + rng.IntN(3)}
		switch rng.IntN(5) {
		case 0:
			r.User, r.Count = fmt.Sprintf("v%d", rng.IntN(6)), 1
		case 1:
			// anyone
		default:
			r.Group = groups[rng.IntN(len(groups))]
		}
		spec.Rules = append(spec.Rules, r)
	}
	var approvals []Voter
	for v := range rng.IntN(7) {
		vt := Voter{User: fmt.Sprintf("v%d", v)}
		for _, g := range groups {
			if rng.IntN(2) == 0 {
				vt.Groups = append(vt.Groups, g)
			}
		}
		approvals = append(approvals, vt)
	}
	return spec, approvals
}

// bruteForce returns the most voters any assignment places, each voter to
// at most one rule that admits them, each rule taking at most its count.
func bruteForce(rules []Rule, voters []Voter) int {
	load := make([]int, len(rules))
	var best func(v int) int
	best = func(v int) int {
		if v == len(voters) {
			return 0
		}
		b := best(v + 1) // v counts for nothing
		for r, rule := range rules {
			if rule.admits(voters[v]) && load[r] < rule.Count {
				load[r]++
				b = max(b, 1+best(v+1))
				load[r]--
			}
		}
		return b
	}
	return best(0)
}

// checkValid returns what is wrong with res as a tally of approvals, or "".
func checkValid(spec Spec, approvals []Voter, res Result) string {
	rules := spec.rules()
	byUser := map[string]Voter{}
	for _, v := range approvals {
		if _, ok := byUser[v.User]; !ok {
			byUser[v.User] = v
		}
	}
	load := make([]int, len(rules))
	for u, r := range res.Assignment {
		v, ok := byUser[u]
		switch {
		case !ok:
			return fmt.Sprintf("%s is assigned but did not approve", u)
		case r < 0 || r >= len(rules):
			return fmt.Sprintf("%s is assigned to rule %d of %d", u, r, len(rules))
		case !rules[r].admits(v):
			return fmt.Sprintf("%s is assigned to rule %d, which does not admit them", u, r)
		}
		load[r]++
	}
	short := 0
	for i, rule := range rules {
		if load[i] > rule.Count {
			return fmt.Sprintf("rule %d has %d people for %d places", i, load[i], rule.Count)
		}
		want := rule.Count - load[i]
		for _, n := range res.Missing {
			if n.Index == i {
				if n.Count != want || n.Rule != rule {
					return fmt.Sprintf("missing %+v, want %d for rule %d", n, want, i)
				}
				want = 0
			}
		}
		if want != 0 {
			return fmt.Sprintf("rule %d is short of %d but not in Missing", i, want)
		}
		short += rule.Count - load[i]
	}
	if res.Met != (short == 0) {
		return fmt.Sprintf("Met = %v with %d places empty", res.Met, short)
	}
	return ""
}

// TestNeedsAreFillable checks what Missing promises on the same random
// cases: a new approver who counts only for a need's rule, or for one of
// its Or rules, places one more person; one who counts only for a rule
// named by no need places nobody more.
func TestNeedsAreFillable(t *testing.T) {
	for i := range *cases {
		s := *seed + uint64(i)
		rng := rand.New(rand.NewPCG(s, 0))
		spec, approvals := randomCase(rng)
		res := Tally(spec, approvals)
		named := map[int]bool{}
		for _, n := range res.Missing {
			named[n.Index] = true
			for _, r := range n.Or {
				for j, rule := range spec.Rules {
					if rule == r {
						named[j] = true
					}
				}
			}
		}
		for j, rule := range spec.Rules {
			if rule.User == "" && rule.Group == "" {
				continue // anyone: a newcomer also fits every other rule
			}
			newcomer := Voter{User: "newcomer"}
			if rule.User != "" {
				newcomer.User = rule.User
			} else {
				newcomer.Groups = []string{rule.Group}
			}
			if rule.User != "" && slicesContainsUser(approvals, rule.User) {
				continue // already voted: cannot come again
			}
			// Fits only rule j when no other rule admits the newcomer.
			only := true
			for k, other := range spec.Rules {
				if k != j && (other == rule || (other.User == "" && other.Group == "") || (other.Group != "" && other.Group == rule.Group) || (other.User != "" && other.User == newcomer.User)) {
					only = false
				}
			}
			if !only {
				continue
			}
			more := Tally(spec, append(append([]Voter(nil), approvals...), newcomer))
			if gained := len(more.Assignment) > len(res.Assignment); gained != named[j] {
				t.Fatalf("seed %d: a newcomer for rule %d (%+v) placed one more: %v, but Missing names it: %v\nspec %+v\napprovals %+v\nmissing %+v",
					s, j, rule, gained, named[j], spec, approvals, res.Missing)
			}
		}
	}
}

func slicesContainsUser(vs []Voter, user string) bool {
	for _, v := range vs {
		if v.User == user {
			return true
		}
	}
	return false
}
