package quorum

import (
	"fmt"
	"strings"
	"testing"

	"github.com/sirocco-project/sirocco/internal/fault"
)

func TestEligible(t *testing.T) {
	named := Spec{Approvers: []string{"user:alice", "group:finance"}, Requester: "rita", Starter: "sam"}
	open := Spec{Requester: "rita", Starter: "sam"}
	tests := []struct {
		name    string
		spec    Spec
		voter   Voter
		wantErr string // part of the EFORBIDDEN message; "" for allowed
	}{
		{"named user", named, Voter{User: "alice"}, ""},
		{"group member", named, Voter{User: "bob", Groups: []string{"ops", "finance"}}, ""},
		{"not named", named, Voter{User: "carol", Groups: []string{"ops"}, MayDecide: true},
			"Only the approvers may decide this approval: user:alice, group:finance."},
		{"admin not named", named, Voter{User: "root", Admin: true}, "Only the approvers may decide"},
		{"group prefix is not membership", named, Voter{User: "dan", Groups: []string{"finance-ro"}}, "Only the approvers"},
		{"user entry is not a group", Spec{Approvers: []string{"user:finance"}}, Voter{User: "eve", Groups: []string{"finance"}}, "Only the approvers"},
		{"requester", Spec{Approvers: []string{"group:finance"}, Requester: "rita"},
			Voter{User: "rita", Groups: []string{"finance"}}, "You requested this approval, so someone else must decide it."},
		{"starter", Spec{Approvers: []string{"group:finance"}, Starter: "sam"},
			Voter{User: "sam", Groups: []string{"finance"}}, "You started this execution"},
		{"requester admin", open, Voter{User: "rita", Admin: true}, "You requested this approval"},
		{"self allowed", Spec{Approvers: []string{"group:finance"}, Requester: "rita", Starter: "rita", AllowSelf: true},
			Voter{User: "rita", Groups: []string{"finance"}}, ""},
		{"open to approvers", open, Voter{User: "ann", MayDecide: true}, ""},
		{"open to admins", open, Voter{User: "root", Admin: true}, ""},
		{"open but viewer", open, Voter{User: "vic"}, "Deciding an approval needs the approver role."},
		{"no user", open, Voter{MayDecide: true}, "signed-in user"},
		{"no requester recorded", Spec{}, Voter{User: "ann", MayDecide: true}, ""},
		{"many approvers listed briefly", Spec{Approvers: []string{"user:a", "user:b", "user:c", "user:d", "user:e", "user:f", "user:g"}},
			Voter{User: "z"}, "user:a, user:b, user:c, user:d, user:e, …."},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.spec.Eligible(tt.voter)
			switch {
			case tt.wantErr == "" && err != nil:
				t.Fatalf("Eligible(%+v) = %v, want nil", tt.voter, err)
			case tt.wantErr == "":
			case err == nil:
				t.Fatalf("Eligible(%+v) = nil, want an error containing %q", tt.voter, tt.wantErr)
			case fault.Code(err) != fault.EFORBIDDEN:
				t.Errorf("error %q has code %q, want %q", err, fault.Code(err), fault.EFORBIDDEN)
			case !strings.Contains(err.Error(), tt.wantErr):
				t.Errorf("error %q, want it to contain %q", err, tt.wantErr)
			}
		})
	}
}

// voter is a test shorthand: a user and their groups.
func voter(user string, groups ...string) Voter { return Voter{User: user, Groups: groups} }

func TestTally(t *testing.T) {
	finance := Rule{Group: "finance", Count: 1}
	security := Rule{Group: "security", Count: 1}
	tests := []struct {
		name      string
		rules     []Rule
		approvals []Voter
		wantMet   bool
		want      map[string]int // the assignment
		describe  string
	}{
		{"greedy would fail, A first", []Rule{finance, security},
			[]Voter{voter("A", "finance", "security"), voter("B", "finance")},
			true, map[string]int{"A": 1, "B": 0}, ""},
		{"greedy would fail, B first", []Rule{finance, security},
			[]Voter{voter("B", "finance"), voter("A", "finance", "security")},
			true, map[string]int{"A": 1, "B": 0}, ""},
		{"a chain of moves", []Rule{{Group: "a", Count: 1}, {Group: "b", Count: 1}, {Group: "c", Count: 1}},
			[]Voter{voter("X", "a", "b"), voter("Y", "b", "c"), voter("Z", "a")},
			true, map[string]int{"Z": 0, "X": 1, "Y": 2}, ""},
		{"one person, two rules", []Rule{finance, security},
			[]Voter{voter("A", "finance", "security")},
			false, map[string]int{"A": 0}, "1 more from security or finance"}, // A can move to security
		{"a new finance approver frees a security place", []Rule{{Group: "finance", Count: 2}, security},
			[]Voter{voter("ann", "finance", "security"), voter("bob", "finance")},
			false, map[string]int{"ann": 0, "bob": 0}, "1 more from security or finance"},
		{"nobody can move", []Rule{finance, security},
			[]Voter{voter("B", "finance")},
			false, map[string]int{"B": 0}, "1 more from security"},
		{"the same person twice", []Rule{{Count: 2}},
			[]Voter{voter("A"), voter("A")},
			false, map[string]int{"A": 0}, "1 more approval"},
		{"twice, groups of the first vote", []Rule{security},
			[]Voter{voter("A"), voter("A", "security")},
			false, map[string]int{}, "1 more from security"},
		{"in no group", []Rule{finance},
			[]Voter{voter("C")},
			false, map[string]int{}, "1 more from finance"},
		{"more than can be had", []Rule{{Group: "finance", Count: 3}},
			[]Voter{voter("A", "finance"), voter("B", "finance")},
			false, map[string]int{"A": 0, "B": 0}, "1 more from finance"},
		{"no approvals", []Rule{{Group: "finance", Count: 2}, {Count: 2}},
			nil, false, map[string]int{}, "2 more from finance and 2 more approvals"},
		{"default rule", nil, []Voter{voter("A")}, true, map[string]int{"A": 0}, ""},
		{"default rule, nobody", nil, nil, false, map[string]int{}, "1 more approval"},
		{"more than needed", []Rule{finance},
			[]Voter{voter("A", "finance"), voter("B", "finance")},
			true, map[string]int{"A": 0}, ""},
		{"group and anyone", []Rule{finance, {Count: 2}},
			[]Voter{voter("X"), voter("F", "finance")},
			false, map[string]int{"X": 1, "F": 0}, "1 more approval"},
		{"anyone first takes the group member, then gives way", []Rule{{Count: 1}, finance},
			[]Voter{voter("F", "finance"), voter("X")},
			true, map[string]int{"X": 0, "F": 1}, ""},
		{"user rule", []Rule{{User: "cfo", Count: 1}, finance},
			[]Voter{voter("cfo", "finance"), voter("B", "finance")},
			true, map[string]int{"cfo": 0, "B": 1}, ""},
		{"user rule, cfo missing", []Rule{{User: "cfo", Count: 1}, finance},
			[]Voter{voter("B", "finance")},
			false, map[string]int{"B": 1}, "an approval from cfo"},
		{"unnamed voter ignored", []Rule{{Count: 1}}, []Voter{{}}, false, map[string]int{}, "1 more approval"},
		{"three needs", []Rule{finance, {Count: 2}, {User: "cfo", Count: 1}}, nil,
			false, map[string]int{}, "1 more from finance, 2 more approvals and an approval from cfo"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := Tally(Spec{Rules: tt.rules}, tt.approvals)
			if res.Met != tt.wantMet {
				t.Errorf("Met = %v, want %v (%+v)", res.Met, tt.wantMet, res)
			}
			if len(res.Assignment) != len(tt.want) {
				t.Errorf("Assignment = %v, want %v", res.Assignment, tt.want)
			}
			for u, r := range tt.want {
				if got, ok := res.Assignment[u]; !ok || got != r {
					t.Errorf("Assignment = %v, want %v", res.Assignment, tt.want)
					break
				}
			}
			if got := res.Describe(); got != tt.describe {
				t.Errorf("Describe() = %q, want %q", got, tt.describe)
			}
		})
	}
}

// TestTallyCountsMaxVoters: people past MaxVoters are not counted, which
// bounds a tally's work; the vote path refuses them first.
func TestTallyCountsMaxVoters(t *testing.T) {
	var approvals []Voter
	for i := range MaxVoters {
		approvals = append(approvals, voter(fmt.Sprintf("u%d", i)))
	}
	approvals = append(approvals, voter("late", "finance"))
	res := Tally(Spec{Rules: []Rule{{Group: "finance", Count: 1}}}, approvals)
	if res.Met {
		t.Errorf("the %dth voter was counted", MaxVoters+1)
	}
	res = Tally(Spec{Rules: []Rule{{Count: MaxCount}}}, approvals)
	if !res.Met || len(res.Assignment) != MaxVoters {
		t.Errorf("Met = %v with %d assigned, want true with %d", res.Met, len(res.Assignment), MaxVoters)
	}
}
