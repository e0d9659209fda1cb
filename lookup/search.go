package lookup

import (
	"slices"
	"strings"
	"unsafe"
)

// SearchFilter selects contacts for Index.Search and SearchPersonal.
type SearchFilter struct {
	// Viewer limits company contacts to the phonebooks it may view (an
	// admin sees all, also contacts in no phonebook).
	Viewer Viewer
	// Text is a folded (Fold) substring of first name, last name, company
	// or email; "" matches any.
	Text string
	// Key is a normalised number key matched exactly, Digits a digit
	// string matched as a substring of the number keys; a contact matches
	// the number part when either matches (both empty: any).
	Key    string
	Digits string
	// Phonebook keeps members of this phonebook id only (company contacts).
	Phonebook string
	// After skips ids up to and including it (the cursor); Limit caps the
	// result (at least 1).
	After string
	Limit int
}

// Search returns the ids of the company contacts matching f, in id order,
// at most f.Limit, and whether more follow. It scans the in-memory index
// (a few tens of milliseconds for 500,000 contacts).
func (ix *Index) Search(f SearchFilter) (ids []string, more bool) {
	limit := max(f.Limit, 1)
	k, hasKey := packKeyString(f.Key)
	ix.mu.RLock()
	defer ix.mu.RUnlock()
	pb, inPB := uint16(0), f.Phonebook != ""
	if inPB {
		i, ok := ix.pbByID[f.Phonebook]
		if !ok {
			return nil, false
		}
		pb = i
	}
	vis := ix.visibleTo(ix.extNum[f.Viewer.Extension])
	var top topIDs
	top.limit = limit
	for s := range ix.slots {
		sl := &ix.slots[s]
		if sl.s == "" || (f.After != "" && sl.id() <= f.After) {
			continue
		}
		if !f.Viewer.Admin && ix.firstVisible(uint32(s), vis) < 0 {
			continue
		}
		if inPB && !sl.hasPB(pb) {
			continue
		}
		if f.Text != "" && !strings.Contains(sl.text(), f.Text) {
			continue
		}
		if (hasKey || f.Digits != "") && !sl.matchNumber(k, hasKey, f.Digits) {
			continue
		}
		top.add(sl.id())
	}
	return top.result()
}

func (c *contactSlot) hasPB(i uint16) bool {
	for j := 0; j < int(c.np); j++ {
		if c.pb(j) == i {
			return true
		}
	}
	return false
}

func (c *contactSlot) matchNumber(k key, hasKey bool, digits string) bool {
	for i := 0; i < int(c.nk); i++ {
		if keyMatches(c.key(i), k, hasKey, digits) {
			return true
		}
	}
	return false
}

func keyMatches(ck, k key, hasKey bool, digits string) bool {
	if hasKey && ck == k {
		return true
	}
	if digits == "" {
		return false
	}
	var d [maxKeyDigits]byte
	n := ck.digits()
	v := uint64(ck) & keyValMask
	for i := n - 1; i >= 0; i-- {
		d[i] = byte('0' + v%10)
		v /= 10
	}
	return strings.Contains(alias(d[:n]), digits)
}

// SearchPersonal is Search over the personal contacts of owner (Viewer
// and Phonebook are not used; the caller checks who asks).
func (ix *Index) SearchPersonal(owner string, f SearchFilter) (ids []string, more bool) {
	k, hasKey := packKeyString(f.Key)
	ix.mu.RLock()
	defer ix.mu.RUnlock()
	st := ix.extNum[owner]
	if st == nil || st.personal == nil {
		return nil, false
	}
	top := topIDs{limit: max(f.Limit, 1)}
	for _, e := range st.personal.byID {
		if (f.After != "" && e.id <= f.After) || (f.Text != "" && !strings.Contains(e.text, f.Text)) {
			continue
		}
		if hasKey || f.Digits != "" {
			if !slices.ContainsFunc(e.keys, func(ck key) bool { return keyMatches(ck, k, hasKey, f.Digits) }) {
				continue
			}
		}
		top.add(e.id)
	}
	return top.result()
}

// topIDs keeps the limit+1 smallest ids added.
type topIDs struct {
	limit int
	ids   []string
}

func (t *topIDs) add(id string) {
	t.ids = append(t.ids, id)
	if len(t.ids) >= 4*(t.limit+1)+1024 {
		t.trim()
	}
}

func (t *topIDs) trim() {
	slices.Sort(t.ids)
	if len(t.ids) > t.limit+1 {
		t.ids = t.ids[:t.limit+1]
	}
}

func (t *topIDs) result() ([]string, bool) {
	t.trim()
	if len(t.ids) > t.limit {
		return t.ids[:t.limit], true
	}
	return t.ids, false
}

// alias views b as a string without copying; b must not change while the
// string is used.
func alias(b []byte) string {
	if len(b) == 0 {
		return ""
	}
	return unsafe.String(&b[0], len(b))
}

// SetText replaces the folded search text of contact id (the store fills
// in texts after a start, when the index was built from projections that
// carry only the display name). It reports whether id is indexed.
func (ix *Index) SetText(id, text string) bool {
	ix.mu.Lock()
	defer ix.mu.Unlock()
	s, ok := ix.byID[id]
	if !ok {
		return false
	}
	sl := &ix.slots[s]
	if sl.text() == text {
		return true
	}
	keys := make([]key, sl.nk)
	for j := range keys {
		keys[j] = sl.key(j)
	}
	pbs := make([]uint16, sl.np)
	for j := range pbs {
		pbs[j] = sl.pb(j)
	}
	old := sl.id()
	delete(ix.byID, old)
	*sl = newContactSlot(old, sl.name(), clone(text), keys, pbs)
	ix.byID[sl.id()] = s
	return true
}
