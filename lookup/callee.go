package lookup

import (
	"context"
	"fmt"
)

// Resolver names callers per callee; see Index.Resolver.
type Resolver struct {
	ix         *Index
	allCompany bool
}

var _ Source = (*Resolver)(nil)

// Resolver returns the per-callee Source over the index. For Query{Number,
// Callee} it answers, in this order:
//
//  1. the extension directory: a caller number that is an extension gets
//     that extension's name (Source extension, ContactID = the number);
//  2. the callee's personal contacts (Source personal), exact number then
//     the last N digits;
//  3. company contacts in phonebooks the callee may view (Source company,
//     Result.Phonebook = the name of the first visible phonebook of the
//     contact, in the order of its Phonebooks); several contacts with the
//     number: the smallest id among the visible ones. With allCompany
//     (identify_from_all_company_contacts) every company contact counts,
//     and Phonebook is still set when one of its phonebooks is visible;
//  4. prefix rules (Source prefix).
//
// A callee that is not an extension (a number the PBX routes elsewhere, a
// queue) has no personal contacts and views only phonebooks granted to
// everyone (ViewAll/ManageAll), or every company contact with allCompany.
// A contact in no phonebook names a caller only with allCompany. A hit
// does not allocate.
func (ix *Index) Resolver(allCompany bool) *Resolver {
	return &Resolver{ix: ix, allCompany: allCompany}
}

// Name implements Source.
func (r *Resolver) Name() string { return "directory" }

// Lookup implements Source.
func (r *Resolver) Lookup(_ context.Context, q Query) (Result, error) {
	return r.Resolve(q.Number, q.Callee)
}

// Resolve is Lookup without a context.
func (r *Resolver) Resolve(number, callee string) (Result, error) {
	ix := r.ix
	var buf, cbuf [40]byte
	b := ix.norm.appendKey(buf[:0], number)
	if len(b) == 0 {
		return Result{}, ErrNotFound
	}
	k, packed := packKey(b)
	ck, cok := packKey(ix.norm.appendKey(cbuf[:0], callee))
	ix.mu.RLock()
	defer ix.mu.RUnlock()
	var to *extState
	if cok {
		if e := ix.exts[ck]; e != nil && e.isExt {
			to = e
		}
	}
	ambiguous := 0
	if packed {
		if e := ix.exts[k]; e != nil && e.isExt && e.name != "" {
			return Result{Name: e.name, Source: SourceExtension, ContactID: e.number}, nil
		}
		if to != nil && to.personal != nil {
			if res, ok := r.personal(to.personal, k); ok {
				return res, nil
			}
		}
		var res Result
		var ok bool
		if res, ambiguous, ok = r.company(k, ix.visibleTo(to)); ok {
			return res, nil
		}
	}
	if rs := ix.rules.longest(b); rs >= 0 {
		rl := &ix.rules.rules[rs]
		return Result{Name: rl.name, Source: SourcePrefix, ContactID: rl.id}, nil
	}
	if ambiguous > 0 {
		return Result{}, fmt.Errorf("%w: %d contacts share the last %d digits", ErrAmbiguous, ambiguous, ix.lastN)
	}
	return Result{}, ErrNotFound
}

func (r *Resolver) personal(b *personalBook, k key) (Result, bool) {
	if e := b.exact[k]; e != nil {
		return Result{Name: e.name, Source: SourcePersonal, ContactID: e.id}, true
	}
	if t, ok := k.tail(r.ix.lastN); ok {
		if h, ok := b.tail[t]; ok && h.n == 1 {
			return Result{Name: h.e.name, Source: SourcePersonal, ContactID: h.e.id}, true
		}
	}
	return Result{}, false
}

// company resolves k among company contacts visible with vis: exact, then
// a unique tail. It returns the number of visible contacts sharing the
// tail when that is ambiguous.
func (r *Resolver) company(k key, vis bitset) (Result, int, bool) {
	ix := r.ix
	if s, n := r.pick(&ix.exact, k, vis, false); n > 0 {
		return r.result(s, vis), 0, true
	}
	if t, ok := k.tail(ix.lastN); ok {
		s, n := r.pick(&ix.tail, t, vis, true)
		if n == 1 {
			return r.result(s, vis), 0, true
		}
		return Result{}, n, false
	}
	return Result{}, 0, false
}

// pick returns the visible slot with the smallest id among those of k and
// how many are visible (exactly only with count; else at least 1).
func (r *Resolver) pick(m *multiMap, k key, vis bitset, count bool) (uint32, int) {
	s, n := m.get(k)
	switch {
	case n == 0:
		return 0, 0
	case n == 1:
		if r.visible(s, vis) {
			return s, 1
		}
		return 0, 0
	case !count && r.visible(s, vis): // the winner overall is visible
		return s, 1
	}
	var best uint32
	found := 0
	for _, c := range m.many[k] {
		if r.visible(c, vis) {
			if found == 0 || m.less(c, best) {
				best = c
			}
			found++
		}
	}
	return best, found
}

func (r *Resolver) visible(s uint32, vis bitset) bool {
	return r.allCompany || r.ix.firstVisible(s, vis) >= 0
}

func (r *Resolver) result(s uint32, vis bitset) Result {
	ix := r.ix
	res := ix.contactResult(s)
	if j := ix.firstVisible(s, vis); j >= 0 {
		res.Phonebook = ix.pbs[ix.slots[s].pb(j)].name
	}
	return res
}
