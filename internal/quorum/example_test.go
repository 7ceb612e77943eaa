package quorum_test

import (
	"fmt"

	"github.com/sirocco-project/sirocco/internal/quorum"
)

// One finance and one security approval are required. Ann, in both
// groups, approves first: one more from either group completes it, since
// Ann may count for the other. Bob, in finance only, approves second: Ann
// counts for security so that Bob can count for finance.
func ExampleTally() {
	rules, _ := quorum.ParseRequired([]any{
		map[string]any{"group": "finance", "count": 1},
		map[string]any{"group": "security", "count": 1},
	})
	spec := quorum.Spec{Approvers: []string{"group:finance", "group:security"}, Rules: rules, Requester: "rita"}
	ann := quorum.Voter{User: "ann", Groups: []string{"finance", "security"}}
	bob := quorum.Voter{User: "bob", Groups: []string{"finance"}}

	res := quorum.Tally(spec, []quorum.Voter{ann})
	fmt.Println(res.Met, res.Describe())
	res = quorum.Tally(spec, []quorum.Voter{ann, bob})
	fmt.Println(res.Met, res.Assignment["ann"], res.Assignment["bob"])
	fmt.Println(spec.Eligible(quorum.Voter{User: "rita", Groups: []string{"finance"}}))
	// Output:
	// false 1 more from security or finance
	// true 1 0
	// You requested this approval, so someone else must decide it.
}
