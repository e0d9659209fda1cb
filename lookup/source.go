package lookup

import (
	"context"
	"fmt"
	"sort"

	"cidproxy/config"
)

var _ Source = (*Index)(nil)

// NewIndexFromConfig returns an empty index for the lookup configuration:
// its default region and last-N digits fallback.
func NewIndexFromConfig(cfg config.Lookup) (*Index, error) {
	z, err := NewNormalizer(cfg.DefaultRegion)
	if err != nil {
		return nil, err
	}
	return NewIndex(z, cfg.MatchLastDigits), nil
}

// Candidates returns the ids of every contact with exactly this number,
// sorted; the first one is the one Lookup names. Later sources (per-callee
// phonebook visibility) filter this list.
func (ix *Index) Candidates(number string) []string {
	var buf [40]byte
	k, ok := packKey(ix.norm.appendKey(buf[:0], number))
	if !ok {
		return nil
	}
	ix.mu.RLock()
	slots := ix.exact.all(k)
	ids := make([]string, len(slots))
	for i, s := range slots {
		ids[i] = ix.slots[s].id()
	}
	ix.mu.RUnlock()
	sort.Strings(ids)
	return ids
}

// Name implements Source.
func (ix *Index) Name() string { return SourceCompany }

// Lookup implements Source: it resolves q.Number (q.Callee is not used
// yet). A hit does not allocate.
func (ix *Index) Lookup(_ context.Context, q Query) (Result, error) {
	return ix.LookupNumber(q.Number)
}

// LookupNumber resolves a number as received: exact contact number
// (Source company), last N digits (company; ErrAmbiguous when several
// contacts share them and no rule matches), longest prefix rule (Source
// prefix, ContactID = rule id). Otherwise ErrNotFound.
func (ix *Index) LookupNumber(number string) (Result, error) {
	var buf [40]byte
	b := ix.norm.appendKey(buf[:0], number)
	if len(b) == 0 {
		return Result{}, ErrNotFound
	}
	k, packed := packKey(b)
	ix.mu.RLock()
	defer ix.mu.RUnlock()
	ambiguous := 0
	if packed {
		if s, n := ix.exact.get(k); n > 0 {
			return ix.contactResult(s), nil
		}
		if t, ok := k.tail(ix.lastN); ok {
			s, n := ix.tail.get(t)
			if n == 1 {
				return ix.contactResult(s), nil
			}
			ambiguous = n
		}
	}
	if r := ix.rules.longest(b); r >= 0 {
		rs := &ix.rules.rules[r]
		return Result{Name: rs.name, Source: SourcePrefix, ContactID: rs.id}, nil
	}
	if ambiguous > 0 {
		return Result{}, fmt.Errorf("%w: %d contacts share the last %d digits", ErrAmbiguous, ambiguous, ix.lastN)
	}
	return Result{}, ErrNotFound
}

func (ix *Index) contactResult(s uint32) Result {
	sl := &ix.slots[s]
	return Result{Name: sl.name(), Source: SourceCompany, ContactID: sl.id()}
}
