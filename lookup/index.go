package lookup

import (
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"
	"sync"
)

// ErrAmbiguous is returned when no exact number matched and the last-N
// digits fallback found several different contacts (and no prefix rule
// matched): the index reports rather than guesses. It does not wrap
// ErrNotFound, so a Chain reports it (errors.Is(err, ErrAmbiguous) holds
// on the chain's error) while still asking the next sources.
var ErrAmbiguous = errors.New("lookup: ambiguous match")

// ErrPrefixTaken is returned by PutRule when another rule already has the
// same normalised prefix.
var ErrPrefixTaken = errors.New("lookup: another prefix rule has this prefix")

// IndexEntry is what the index keeps of a contact: its id, display name
// and normalised number keys (Normalizer.Keys). The store persists Keys
// with the contact so a rebuild does not normalise again. Phonebooks are
// the ids of the phonebooks the contact belongs to (in the order results
// prefer them) and Text its folded search text (SearchText; "" folds the
// name).
type IndexEntry struct {
	ID         string
	Name       string
	Keys       []string
	Phonebooks []string
	Text       string
}

// EntryOf builds the IndexEntry of c with z.
func EntryOf(c *Contact, z *Normalizer) IndexEntry {
	return IndexEntry{ID: c.ID, Name: c.DisplayName(), Keys: z.Keys(c), Phonebooks: c.Phonebooks, Text: SearchText(c)}
}

// Index is the in-memory caller index: exact numbers of contacts, an
// optional last-N-digits table and longest-prefix rules. It is safe for
// concurrent use: lookups share a read lock, writes take the write lock
// for a few map operations.
//
// Resolution order: exact number, then the last N digits (when enabled),
// then the longest prefix rule. When several contacts share an exact
// number, the contact with the lexicographically smallest ID wins (with
// the store's time-ordered ids: the oldest contact); the choice does not
// depend on insertion order and survives restarts. Candidates lists all.
type Index struct {
	norm  *Normalizer
	lastN int

	mu    sync.RWMutex
	slots []contactSlot
	free  []uint32
	byID  map[string]uint32
	exact multiMap
	tail  multiMap
	rules ruleTrie

	directory // extensions, phonebooks, personal contacts (directory_index.go)
}

// contactSlot packs one contact into a single string to keep 500,000
// contacts small: the 8-byte keys (little endian), the 2-byte phonebook
// indexes (little endian), then the id, the display name and the folded
// search text. Results slice it, so lookups do not allocate.
type contactSlot struct {
	s       string
	nk      uint8
	idLen   uint16
	np      uint16
	nameLen uint16
}

func newContactSlot(id, name, text string, keys []key, pbs []uint16) contactSlot {
	var b strings.Builder // one allocation: String does not copy
	b.Grow(8*len(keys) + 2*len(pbs) + len(id) + len(name) + len(text))
	for _, k := range keys {
		for j := 0; j < 8; j++ {
			b.WriteByte(byte(k >> (8 * j)))
		}
	}
	for _, p := range pbs {
		b.WriteByte(byte(p))
		b.WriteByte(byte(p >> 8))
	}
	b.WriteString(id)
	b.WriteString(name)
	b.WriteString(text)
	return contactSlot{s: b.String(), nk: uint8(len(keys)), idLen: uint16(len(id)), np: uint16(len(pbs)), nameLen: uint16(len(name))}
}

func (c *contactSlot) head() int { return int(c.nk)*8 + int(c.np)*2 }

func (c *contactSlot) id() string {
	o := c.head()
	return c.s[o : o+int(c.idLen)]
}

func (c *contactSlot) name() string {
	o := c.head() + int(c.idLen)
	return c.s[o : o+int(c.nameLen)]
}

func (c *contactSlot) text() string { return c.s[c.head()+int(c.idLen)+int(c.nameLen):] }

func (c *contactSlot) pb(i int) uint16 {
	o := int(c.nk)*8 + 2*i
	return uint16(c.s[o]) | uint16(c.s[o+1])<<8
}

func (c *contactSlot) key(i int) key {
	s := c.s[i*8:]
	var v uint64
	for j := 7; j >= 0; j-- {
		v = v<<8 | uint64(s[j])
	}
	return key(v)
}

// NewIndex returns an empty index that normalises queries with z. lastN > 0
// enables the fallback match on the last lastN digits.
func NewIndex(z *Normalizer, lastN int) *Index {
	ix := &Index{norm: z, lastN: lastN, rules: newRuleTrie(),
		directory: directory{exts: make(map[key]*extState), extNum: make(map[string]*extState), pbByID: make(map[string]uint16)}}
	ix.Reserve(0, 0)
	return ix
}

// Reserve sizes an empty index for about contacts contacts with numbers
// numbers in all, so a bulk load does not grow the maps step by step. It
// does nothing once the index holds contacts.
func (ix *Index) Reserve(contacts, numbers int) {
	ix.mu.Lock()
	defer ix.mu.Unlock()
	if len(ix.byID) > 0 {
		return
	}
	less := func(a, b uint32) bool { return ix.slots[a].id() < ix.slots[b].id() }
	ix.slots = make([]contactSlot, 0, contacts)
	ix.byID = make(map[string]uint32, contacts)
	ix.exact = newMultiMap(less, numbers)
	tails := 0
	if ix.lastN > 0 {
		tails = numbers
	}
	ix.tail = newMultiMap(less, tails)
}

// Normalizer returns the index's normaliser.
func (ix *Index) Normalizer() *Normalizer { return ix.norm }

// LastDigits returns N of the last-N-digits fallback (0 = off).
func (ix *Index) LastDigits() int { return ix.lastN }

// PutContact inserts or replaces the contact e.ID. It copies what it
// keeps and does not retain e or its strings, so callers may pass strings
// that alias a reused buffer. At most
// NumberFieldCount distinct keys are kept.
func (ix *Index) PutContact(e IndexEntry) {
	var kb [NumberFieldCount]key
	keys := kb[:0]
	for _, s := range e.Keys {
		if k, ok := packKeyString(s); ok && !slices.Contains(keys, k) && len(keys) < cap(keys) {
			keys = append(keys, k)
		}
	}
	id, name, text := clip(e.ID), clip(e.Name), e.Text
	if text == "" {
		text = string(Fold(nil, name))
	}
	ix.mu.Lock()
	defer ix.mu.Unlock()
	var pb [16]uint16
	pbs := ix.phonebookIndexes(pb[:0], e.Phonebooks)
	slot := newContactSlot(id, name, text, keys, pbs)
	ix.removeLocked(id)
	var s uint32
	if n := len(ix.free); n > 0 {
		s = ix.free[n-1]
		ix.free = ix.free[:n-1]
	} else {
		ix.slots = append(ix.slots, contactSlot{})
		s = uint32(len(ix.slots) - 1)
	}
	ix.slots[s] = slot
	ix.byID[slot.id()] = s
	for _, k := range keys {
		ix.exact.add(k, s)
		if t, ok := k.tail(ix.lastN); ok {
			ix.tail.add(t, s)
		}
	}
}

func clip(s string) string {
	if len(s) > math.MaxUint16 {
		return s[:math.MaxUint16]
	}
	return s
}

// DeleteContact removes contact id; it reports whether it was indexed.
func (ix *Index) DeleteContact(id string) bool {
	ix.mu.Lock()
	defer ix.mu.Unlock()
	return ix.removeLocked(id)
}

func (ix *Index) removeLocked(id string) bool {
	s, ok := ix.byID[id]
	if !ok {
		return false
	}
	sl := &ix.slots[s]
	for i := 0; i < int(sl.nk); i++ {
		k := sl.key(i)
		ix.exact.remove(k, s)
		if t, ok := k.tail(ix.lastN); ok {
			ix.tail.remove(t, s)
		}
	}
	ix.slots[s] = contactSlot{}
	ix.free = append(ix.free, s)
	delete(ix.byID, id)
	return true
}

// PutRule inserts or replaces prefix rule r. It fails when the prefix has
// no digits or another rule already has the same normalised prefix.
func (ix *Index) PutRule(r PrefixRule) error {
	p, err := ix.norm.NormalizePrefix(r.Prefix)
	if err != nil {
		return err
	}
	ix.mu.Lock()
	defer ix.mu.Unlock()
	if owner := ix.rules.owner(p); owner != "" && owner != r.ID {
		return fmt.Errorf("%w: %s (rule %s)", ErrPrefixTaken, p, owner)
	}
	ix.rules.put(r.ID, r.Name, p)
	return nil
}

// RuleOwner returns the id of the rule whose prefix normalises like
// prefix, or "".
func (ix *Index) RuleOwner(prefix string) string {
	p, err := ix.norm.NormalizePrefix(prefix)
	if err != nil {
		return ""
	}
	ix.mu.RLock()
	defer ix.mu.RUnlock()
	return ix.rules.owner(p)
}

// DeleteRule removes rule id; it reports whether it was indexed.
func (ix *Index) DeleteRule(id string) bool {
	ix.mu.Lock()
	defer ix.mu.Unlock()
	return ix.rules.remove(id)
}

// Contacts returns the number of indexed contacts.
func (ix *Index) Contacts() int {
	ix.mu.RLock()
	defer ix.mu.RUnlock()
	return len(ix.byID)
}

// Rules returns the number of indexed prefix rules.
func (ix *Index) Rules() int {
	ix.mu.RLock()
	defer ix.mu.RUnlock()
	return ix.rules.count
}
