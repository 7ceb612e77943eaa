package quorum

// matcher finds a maximum matching of voters to rule places, a rule
// having as many places as its Count: Kuhn's augmenting paths, with a
// rule's places taken together. At these sizes (MaxVoters × MaxRules)
// that is enough; Hopcroft–Karp would only shave a constant.
type matcher struct {
	capacity []int   // places per rule
	adj      [][]int // rules each voter may count for, in rule order
	holders  [][]int // voters counting for each rule
	ruleOf   []int   // rule each voter counts for, or -1
	seen     []bool  // rules visited by the current search
}

func newMatcher(rules []Rule, voters []Voter) *matcher {
	m := &matcher{
		capacity: make([]int, len(rules)),
		adj:      make([][]int, len(voters)),
		holders:  make([][]int, len(rules)),
		ruleOf:   make([]int, len(voters)),
		seen:     make([]bool, len(rules)),
	}
	// Index the rules by group and user, so a voter's rules are found
	// from their groups rather than by testing every rule against
	// every group.
	byGroup := make(map[string][]int)
	byUser := make(map[string][]int)
	var anyone []int
	for i, r := range rules {
		m.capacity[i] = r.Count
		switch {
		case r.User != "":
			byUser[r.User] = append(byUser[r.User], i)
		case r.Group != "":
			byGroup[r.Group] = append(byGroup[r.Group], i)
		default:
			anyone = append(anyone, i)
		}
	}
	mark := make([]bool, len(rules))
	for v, voter := range voters {
		m.ruleOf[v] = -1
		clear(mark)
		for _, g := range voter.Groups {
			for _, i := range byGroup[g] {
				mark[i] = true
			}
		}
		for _, i := range byUser[voter.User] {
			mark[i] = true
		}
		for _, i := range anyone {
			mark[i] = true
		}
		for i, ok := range mark {
			if ok {
				m.adj[v] = append(m.adj[v], i)
			}
		}
	}
	return m
}

// run places each voter in turn, in voting order, stopping once every
// place is taken.
//
// The rules a failed search visited stay marked until a search succeeds:
// no path from them reaches a free place, and none can until the
// matching changes, so later searches need not visit them again. This
// keeps a long tail of voters who cannot be placed cheap.
func (m *matcher) run() {
	free := 0
	for _, c := range m.capacity {
		free += max(c, 0)
	}
	for v := range m.adj {
		if free == 0 {
			return
		}
		if m.place(v) {
			free--
			clear(m.seen)
		}
	}
}

// place finds voter v a place: a rule v is admitted to with a place free,
// or one whose holder can move to another rule (recursively). Each rule is
// visited once per search, so the recursion is at most as deep as there
// are rules.
func (m *matcher) place(v int) bool {
	for _, r := range m.adj[v] {
		if m.seen[r] {
			continue
		}
		m.seen[r] = true
		if len(m.holders[r]) < m.capacity[r] {
			m.holders[r] = append(m.holders[r], v)
			m.ruleOf[v] = r
			return true
		}
		for k, u := range m.holders[r] {
			if m.place(u) { // u moved to another rule
				m.holders[r][k] = v
				m.ruleOf[v] = r
				return true
			}
		}
	}
	return false
}

// feeders returns the rules other than short, in order, from which an
// alternating path leads to it: a new voter placed in one of them lets a
// holder there move on, rule by rule, until one moves into short. They
// are the other rules a new approval could count for and still fill
// short's place.
func (m *matcher) feeders(short int) []int {
	// into[k] lists the rules whose holders may move to k.
	into := make([][]int, len(m.capacity))
	for j, hs := range m.holders {
		for _, v := range hs {
			for _, k := range m.adj[v] {
				if k != j {
					into[k] = append(into[k], j)
				}
			}
		}
	}
	reach := make([]bool, len(m.capacity))
	reach[short] = true
	queue := []int{short}
	for len(queue) > 0 {
		k := queue[0]
		queue = queue[1:]
		for _, j := range into[k] {
			if !reach[j] {
				reach[j] = true
				queue = append(queue, j)
			}
		}
	}
	var out []int
	for j, ok := range reach {
		if ok && j != short {
			out = append(out, j)
		}
	}
	return out
}
