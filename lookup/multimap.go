package lookup

import "slices"

// multiMap maps a key to one or more contact slots. The common case (one
// slot per key) costs one map entry; keys shared by several contacts keep
// the full list in the small overflow map and the winner in one.
type multiMap struct {
	one  map[key]uint32
	many map[key][]uint32
	// less orders slots; the least slot of a shared key is its winner.
	less func(a, b uint32) bool
}

func newMultiMap(less func(a, b uint32) bool, size int) multiMap {
	return multiMap{one: make(map[key]uint32, size), many: make(map[key][]uint32), less: less}
}

// get returns the winning slot for k and how many slots share k.
func (m *multiMap) get(k key) (slot uint32, n int) {
	s, ok := m.one[k]
	if !ok {
		return 0, 0
	}
	if len(m.many) > 0 {
		if l, ok := m.many[k]; ok {
			return s, len(l)
		}
	}
	return s, 1
}

// all returns every slot sharing k.
func (m *multiMap) all(k key) []uint32 {
	if l, ok := m.many[k]; ok {
		return slices.Clone(l)
	}
	if s, ok := m.one[k]; ok {
		return []uint32{s}
	}
	return nil
}

func (m *multiMap) add(k key, s uint32) {
	cur, ok := m.one[k]
	if !ok {
		m.one[k] = s
		return
	}
	l := m.many[k]
	if l == nil {
		if cur == s {
			return
		}
		l = []uint32{cur}
	}
	if slices.Contains(l, s) {
		return
	}
	l = append(l, s)
	m.many[k] = l
	m.one[k] = m.best(l)
}

func (m *multiMap) remove(k key, s uint32) {
	l, ok := m.many[k]
	if !ok {
		if cur, ok := m.one[k]; ok && cur == s {
			delete(m.one, k)
		}
		return
	}
	i := slices.Index(l, s)
	if i < 0 {
		return
	}
	l = slices.Delete(l, i, i+1)
	if len(l) == 1 {
		delete(m.many, k)
		m.one[k] = l[0]
		return
	}
	m.many[k] = l
	m.one[k] = m.best(l)
}

func (m *multiMap) best(l []uint32) uint32 {
	b := l[0]
	for _, s := range l[1:] {
		if m.less(s, b) {
			b = s
		}
	}
	return b
}
