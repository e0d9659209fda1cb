package lookup

import "slices"

// personalBook holds one extension's personal contacts (a few hundred):
// exact numbers and, when the last-N fallback is on, their tails. A number
// shared by several personal contacts names the one with the smallest id.
type personalBook struct {
	byID  map[string]*personalEntry
	exact map[key]*personalEntry
	tail  map[key]tailHit
}

type personalEntry struct {
	id, name, text string
	keys           []key
}

type tailHit struct {
	e *personalEntry
	n int // contacts sharing the tail
}

// PutPersonal inserts or replaces a personal contact of extension owner.
// Like PutContact it copies what it keeps.
func (ix *Index) PutPersonal(owner string, e IndexEntry) {
	pe := &personalEntry{id: clone(e.ID), name: clone(e.Name), text: clone(e.Text)}
	if pe.text == "" {
		pe.text = string(Fold(nil, pe.name))
	}
	for _, s := range e.Keys {
		if k, ok := packKeyString(s); ok && !slices.Contains(pe.keys, k) && len(pe.keys) < NumberFieldCount {
			pe.keys = append(pe.keys, k)
		}
	}
	ix.mu.Lock()
	defer ix.mu.Unlock()
	st := ix.extFor(owner, true)
	if st.personal == nil {
		st.personal = &personalBook{byID: make(map[string]*personalEntry), exact: make(map[key]*personalEntry), tail: make(map[key]tailHit)}
	}
	b := st.personal
	old := b.byID[pe.id]
	b.byID[pe.id] = pe
	ix.reindexPersonal(b, old, pe)
}

func clone(s string) string { return string([]byte(s)) }

// DeletePersonal removes a personal contact; it reports whether it was
// indexed.
func (ix *Index) DeletePersonal(owner, id string) bool {
	ix.mu.Lock()
	defer ix.mu.Unlock()
	st := ix.extFor(owner, false)
	if st == nil || st.personal == nil {
		return false
	}
	old := st.personal.byID[id]
	if old == nil {
		return false
	}
	delete(st.personal.byID, id)
	ix.reindexPersonal(st.personal, old, nil)
	if len(st.personal.byID) == 0 {
		st.personal = nil
		ix.dropExt(st)
	}
	return true
}

// reindexPersonal recomputes the winners of the keys of old and cur.
func (ix *Index) reindexPersonal(b *personalBook, old, cur *personalEntry) {
	var touched []key
	for _, e := range []*personalEntry{old, cur} {
		if e != nil {
			touched = append(touched, e.keys...)
		}
	}
	for _, k := range touched {
		var best *personalEntry
		for _, e := range b.byID {
			if slices.Contains(e.keys, k) && (best == nil || e.id < best.id) {
				best = e
			}
		}
		if best == nil {
			delete(b.exact, k)
		} else {
			b.exact[k] = best
		}
		if t, ok := k.tail(ix.lastN); ok {
			ix.retail(b, t)
		}
	}
}

func (ix *Index) retail(b *personalBook, t key) {
	var h tailHit
	for _, e := range b.byID {
		for _, k := range e.keys {
			if kt, ok := k.tail(ix.lastN); ok && kt == t {
				if h.e == nil || e.id < h.e.id {
					h.e = e
				}
				h.n++
				break
			}
		}
	}
	if h.n == 0 {
		delete(b.tail, t)
		return
	}
	b.tail[t] = h
}

// Personal returns the number of personal contacts of owner in the index.
func (ix *Index) Personal(owner string) int {
	ix.mu.RLock()
	defer ix.mu.RUnlock()
	if st := ix.extNum[owner]; st != nil && st.personal != nil {
		return len(st.personal.byID)
	}
	return 0
}
