package lookup

import (
	"math"
	"slices"
)

// directory is the per-callee part of the Index: extensions (names for
// internal callers), phonebooks with their visibility, and each
// extension's personal contacts. It shares the Index's lock.
type directory struct {
	exts   map[key]*extState    // by the normalised key of the extension number
	extNum map[string]*extState // by the number as stored
	pbs    []pbState            // by phonebook index (slots of contacts hold indexes)
	pbByID map[string]uint16
	pbFree []uint16
	// viewAll has a bit per phonebook every extension may view.
	viewAll bitset
}

// extState is an extension, or a number named in phonebook grants that is
// not (yet) an extension (isExt false: it resolves like an unknown callee).
type extState struct {
	number   string
	name     string
	isExt    bool
	vis      bitset // phonebooks granted to this extension
	personal *personalBook
}

type pbState struct {
	id, name string
	live     bool
	viewAll  bool
	view     []string
}

// bitset is a set of phonebook indexes.
type bitset []uint64

func (b bitset) has(i uint16) bool {
	w := int(i >> 6)
	return w < len(b) && b[w]&(1<<(i&63)) != 0
}

func (b *bitset) set(i uint16, on bool) {
	w := int(i >> 6)
	if !on {
		if w < len(*b) {
			(*b)[w] &^= 1 << (i & 63)
		}
		return
	}
	for len(*b) <= w {
		*b = append(*b, 0)
	}
	(*b)[w] |= 1 << (i & 63)
}

// PhonebookEntry is what the index keeps of a phonebook: its name (for
// Result.Phonebook) and who may view it (manage grants count as view).
type PhonebookEntry struct {
	ID      string
	Name    string
	ViewAll bool
	View    []string // extension numbers
}

// extFor returns the state of extension number, creating it when create.
func (ix *Index) extFor(number string, create bool) *extState {
	if e := ix.extNum[number]; e != nil || !create {
		return e
	}
	e := &extState{number: number}
	ix.extNum[number] = e
	var buf [40]byte
	if k, ok := packKey(ix.norm.appendKey(buf[:0], number)); ok {
		ix.exts[k] = e
	}
	return e
}

// dropExt forgets e when nothing refers to it any more.
func (ix *Index) dropExt(e *extState) {
	if e.isExt || e.personal != nil {
		return
	}
	for _, w := range e.vis {
		if w != 0 {
			return
		}
	}
	delete(ix.extNum, e.number)
	var buf [40]byte
	if k, ok := packKey(ix.norm.appendKey(buf[:0], e.number)); ok && ix.exts[k] == e {
		delete(ix.exts, k)
	}
}

// PutExtension adds or renames extension number. A call from that number
// is named name (when not empty), and it becomes a known callee.
func (ix *Index) PutExtension(number, name string) {
	ix.mu.Lock()
	defer ix.mu.Unlock()
	e := ix.extFor(number, true)
	e.isExt, e.name = true, name
}

// DeleteExtension removes extension number and its personal contacts.
func (ix *Index) DeleteExtension(number string) {
	ix.mu.Lock()
	defer ix.mu.Unlock()
	if e := ix.extFor(number, false); e != nil {
		e.isExt, e.name, e.personal = false, "", nil
		ix.dropExt(e)
	}
}

// Extensions returns the number of extensions in the index.
func (ix *Index) Extensions() int {
	ix.mu.RLock()
	defer ix.mu.RUnlock()
	n := 0
	for _, e := range ix.extNum {
		if e.isExt {
			n++
		}
	}
	return n
}

// pbIndex returns the index of phonebook id, allocating a hidden one when
// it is unknown. The write lock must be held.
func (ix *Index) pbIndex(id string) uint16 {
	if i, ok := ix.pbByID[id]; ok {
		return i
	}
	var i uint16
	if n := len(ix.pbFree); n > 0 {
		i = ix.pbFree[n-1]
		ix.pbFree = ix.pbFree[:n-1]
	} else {
		if len(ix.pbs) >= math.MaxUint16 {
			return math.MaxUint16 // never visible
		}
		ix.pbs = append(ix.pbs, pbState{})
		i = uint16(len(ix.pbs) - 1)
	}
	ix.pbs[i] = pbState{id: id, live: true}
	ix.pbByID[id] = i
	return i
}

// phonebookIndexes appends the indexes of ids to dst (write lock held).
func (ix *Index) phonebookIndexes(dst []uint16, ids []string) []uint16 {
	for _, id := range ids {
		i := ix.pbIndex(id)
		if !slices.Contains(dst, i) {
			dst = append(dst, i)
		}
	}
	return dst
}

// PutPhonebook adds or updates a phonebook's name and visibility.
func (ix *Index) PutPhonebook(p PhonebookEntry) {
	ix.mu.Lock()
	defer ix.mu.Unlock()
	i := ix.pbIndex(p.ID)
	old := ix.pbs[i]
	for _, n := range old.view {
		if e := ix.extFor(n, false); e != nil {
			e.vis.set(i, false)
			ix.dropExt(e)
		}
	}
	for _, n := range p.View {
		ix.extFor(n, true).vis.set(i, true)
	}
	ix.viewAll.set(i, p.ViewAll)
	ix.pbs[i] = pbState{id: p.ID, name: p.Name, live: true, viewAll: p.ViewAll, view: slices.Clone(p.View)}
}

// DeletePhonebook removes phonebook id: no contact is reached through it
// any more (contacts stay).
func (ix *Index) DeletePhonebook(id string) {
	ix.mu.Lock()
	defer ix.mu.Unlock()
	i, ok := ix.pbByID[id]
	if !ok {
		return
	}
	ix.putPhonebookHidden(i)
	for s := range ix.slots {
		sl := &ix.slots[s]
		for j := 0; j < int(sl.np); j++ {
			if sl.pb(j) == i {
				ix.stripPhonebook(uint32(s), i)
				break
			}
		}
	}
	delete(ix.pbByID, id)
	ix.pbs[i] = pbState{}
	ix.pbFree = append(ix.pbFree, i)
}

func (ix *Index) putPhonebookHidden(i uint16) {
	for _, n := range ix.pbs[i].view {
		if e := ix.extFor(n, false); e != nil {
			e.vis.set(i, false)
			ix.dropExt(e)
		}
	}
	ix.viewAll.set(i, false)
}

// stripPhonebook rebuilds slot s without phonebook index i.
func (ix *Index) stripPhonebook(s uint32, i uint16) {
	sl := &ix.slots[s]
	keys := make([]key, sl.nk)
	for j := range keys {
		keys[j] = sl.key(j)
	}
	var pbs []uint16
	for j := 0; j < int(sl.np); j++ {
		if p := sl.pb(j); p != i {
			pbs = append(pbs, p)
		}
	}
	delete(ix.byID, sl.id())
	*sl = newContactSlot(sl.id(), sl.name(), sl.text(), keys, pbs)
	ix.byID[sl.id()] = s
}

// visibleTo returns the phonebook visibility of callee: its grants, or nil
// for an unknown callee (then only ViewAll phonebooks count).
func (ix *Index) visibleTo(e *extState) bitset {
	if e == nil || !e.isExt {
		return nil
	}
	return e.vis
}

// firstVisible returns the position of the first phonebook of slot s
// visible with grants vis (or any when all), or -1.
func (ix *Index) firstVisible(s uint32, vis bitset) int {
	sl := &ix.slots[s]
	for j := 0; j < int(sl.np); j++ {
		p := sl.pb(j)
		if ix.viewAll.has(p) || vis.has(p) {
			return j
		}
	}
	return -1
}

// CanView reports whether the viewer may see phonebook id.
func (ix *Index) CanView(v Viewer, id string) bool {
	ix.mu.RLock()
	defer ix.mu.RUnlock()
	i, ok := ix.pbByID[id]
	if !ok {
		return false
	}
	if v.Admin {
		return true
	}
	return ix.viewAll.has(i) || ix.visibleTo(ix.extNum[v.Extension]).has(i)
}
