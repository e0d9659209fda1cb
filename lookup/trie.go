package lookup

// ruleTrie is a digit trie of prefix rules for longest-prefix matching.
// Symbols are the digits 0-9 and "+" (10). Node 0 is the root; a child
// index of 0 means "no child". Nodes of deleted rules stay (bounded by the
// rules ever stored; a rebuild at start drops them).
type ruleTrie struct {
	nodes []trieNode
	rules []ruleSlot
	free  []int32
	byID  map[string]int32
	count int
}

type trieNode struct {
	next [11]int32
	rule int32 // rule slot + 1; 0 = no rule ends here
}

type ruleSlot struct {
	id, name, prefix string
	node             int32
}

func newRuleTrie() ruleTrie {
	return ruleTrie{nodes: make([]trieNode, 1), byID: make(map[string]int32)}
}

func symbol(c byte) int {
	if c == '+' {
		return 10
	}
	return int(c - '0')
}

// node returns the node for prefix p, creating it when create is set; -1
// when it does not exist.
func (t *ruleTrie) node(p string, create bool) int32 {
	var n int32
	for i := 0; i < len(p); i++ {
		s := symbol(p[i])
		next := t.nodes[n].next[s]
		if next == 0 {
			if !create {
				return -1
			}
			t.nodes = append(t.nodes, trieNode{})
			next = int32(len(t.nodes) - 1)
			t.nodes[n].next[s] = next
		}
		n = next
	}
	return n
}

// owner returns the id of the rule stored for normalised prefix p, or "".
func (t *ruleTrie) owner(p string) string {
	n := t.node(p, false)
	if n < 0 || t.nodes[n].rule == 0 {
		return ""
	}
	return t.rules[t.nodes[n].rule-1].id
}

// put stores rule id with normalised prefix p; the caller has checked
// that no other rule owns p.
func (t *ruleTrie) put(id, name, p string) {
	t.remove(id)
	n := t.node(p, true)
	rs := ruleSlot{id: id, name: name, prefix: p, node: n}
	var slot int32
	if k := len(t.free); k > 0 {
		slot = t.free[k-1]
		t.free = t.free[:k-1]
		t.rules[slot] = rs
	} else {
		t.rules = append(t.rules, rs)
		slot = int32(len(t.rules) - 1)
	}
	t.nodes[n].rule = slot + 1
	t.byID[id] = slot
	t.count++
}

func (t *ruleTrie) remove(id string) bool {
	slot, ok := t.byID[id]
	if !ok {
		return false
	}
	t.nodes[t.rules[slot].node].rule = 0
	t.rules[slot] = ruleSlot{}
	t.free = append(t.free, slot)
	delete(t.byID, id)
	t.count--
	return true
}

// longest returns the slot of the longest rule that is a prefix of k, or
// -1.
func (t *ruleTrie) longest(k []byte) int32 {
	var n int32
	best := t.nodes[0].rule - 1
	for _, c := range k {
		n = t.nodes[n].next[symbol(c)]
		if n == 0 {
			break
		}
		if r := t.nodes[n].rule; r != 0 {
			best = r - 1
		}
	}
	return best
}
