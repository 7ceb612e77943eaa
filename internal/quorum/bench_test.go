package quorum

import (
	"fmt"
	"math/rand/v2"
	"testing"
)

// BenchmarkTally is the largest tally: MaxVoters people against MaxRules
// rules, one of which nobody can fill, so the matching never stops early
// and every later voter searches every rule.
//
//	go test ./internal/quorum -run '^$' -bench Tally
func BenchmarkTally(b *testing.B) {
	for _, tt := range []struct {
		name    string
		count   int // people per group rule
		members int // groups each voter is in
	}{
		{"count1-allgroups", 1, MaxRules},
		{"count20-allgroups", 20, MaxRules},
		{"count20-3groups", 20, 3},
	} {
		b.Run(tt.name, func(b *testing.B) {
			rng := rand.New(rand.NewPCG(1, 2))
			spec := Spec{Rules: []Rule{{Group: "nobody", Count: 1}}}
			for g := range MaxRules - 1 {
				spec.Rules = append(spec.Rules, Rule{Group: fmt.Sprintf("g%d", g), Count: tt.count})
			}
			approvals := make([]Voter, MaxVoters)
			for i := range approvals {
				approvals[i].User = fmt.Sprintf("u%d", i)
				for _, g := range rng.Perm(MaxRules - 1)[:min(tt.members, MaxRules-1)] {
					approvals[i].Groups = append(approvals[i].Groups, fmt.Sprintf("g%d", g))
				}
			}
			for b.Loop() {
				if Tally(spec, approvals).Met {
					b.Fatal("met with a rule nobody can fill")
				}
			}
		})
	}
}
