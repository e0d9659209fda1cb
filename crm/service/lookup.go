package service

import (
	"context"
	"errors"
	"sync"
	"time"

	"golang.org/x/sync/singleflight"

	"cidproxy/crm"
	"cidproxy/lookup"
)

type flightGroup = singleflight.Group

// Lookup outcomes (cidproxy_crm_lookups_total{outcome}).
const (
	outcomeHit            = "hit"
	outcomeMiss           = "miss"
	outcomeBudgetExceeded = "budget_exceeded"
	outcomeError          = "error"
	outcomeBreakerOpen    = "breaker_open"
	outcomeCached         = "cached"
)

// Resolver is the daemon's caller-ID source: local sources first, then the
// CRM integrations in configuration order, each within its budget. It
// implements lookup.Source, lookup.Remote and the proxy's LookupLocal.
type Resolver struct {
	Local lookup.Source
	s     *Service
}

var (
	_ lookup.Source = (*Resolver)(nil)
	_ lookup.Remote = (*Resolver)(nil)
)

// Resolver returns the source that asks local first, then the CRMs.
// Call it once, before calls flow.
func (s *Service) Resolver(local lookup.Source) *Resolver {
	s.local = local
	return &Resolver{Local: local, s: s}
}

// Name implements lookup.Source.
func (r *Resolver) Name() string { return "chain" }

// Remote implements lookup.Remote: true when an integration is configured.
func (r *Resolver) Remote() bool { return len(r.s.members().list) > 0 }

// LookupLocal answers from local sources only (withheld callers).
func (r *Resolver) LookupLocal(ctx context.Context, q lookup.Query) (lookup.Result, error) {
	res, err := r.Local.Lookup(ctx, q)
	if err == nil {
		r.s.annotate(&res, "")
	}
	return res, err
}

// Lookup implements lookup.Source.
func (r *Resolver) Lookup(ctx context.Context, q lookup.Query) (lookup.Result, error) {
	mem := r.s.members()
	res, err := r.Local.Lookup(ctx, q)
	local := err == nil
	if local {
		r.s.annotate(&res, q.Number)
		if !mem.alwaysQuery {
			return res, nil
		}
	}
	for _, in := range mem.list {
		if local && !in.cfg.Lookup.AlwaysQuery {
			continue
		}
		if cr, ok := in.lookup(ctx, q.Number); ok {
			return cr, nil
		}
	}
	if local {
		return res, nil
	}
	if err != nil && !errors.Is(err, lookup.ErrNotFound) {
		return lookup.Result{}, err
	}
	return lookup.Result{}, lookup.ErrNotFound
}

// annotate fills Integration and URL of a local hit on a CRM-synced
// contact and, when number is set and the contact is older than hit_ttl,
// refreshes it in the background.
func (s *Service) annotate(res *lookup.Result, number string) {
	if res.ContactID == "" {
		return
	}
	ref, ok := s.refs.get(res.ContactID)
	if !ok {
		return
	}
	res.Integration, res.URL = ref.Integration, ref.URL
	in := s.members().byName[ref.Integration]
	if in == nil || number == "" {
		return
	}
	if ttl := in.hitTTL(); s.opts.Now().Sub(ref.Synced) > ttl {
		in.refresh(number, res.ContactID)
	}
}

func (in *Integration) hitTTL() time.Duration {
	if d := in.cfg.Lookup.HitTTL.D(); d > 0 {
		return d
	}
	return 24 * time.Hour
}

func (in *Integration) missTTL() time.Duration {
	if d := in.cfg.Lookup.MissTTL.D(); d > 0 {
		return d
	}
	return 10 * time.Minute
}

// searchResult is the shared outcome of one CRM search.
type searchResult struct {
	res   lookup.Result
	found bool
}

// lookup asks the CRM for number within the integration's budget (and
// ctx). A search still running at the budget goes on in the background
// and its answer lands in the phonebook or the miss cache.
func (in *Integration) lookup(ctx context.Context, number string) (lookup.Result, bool) {
	key, err := in.s.opts.Normalize(number)
	if err != nil {
		return lookup.Result{}, false
	}
	now := in.s.opts.Now()
	if in.misses.Has(key, now) {
		in.s.m.lookup(in.name, outcomeCached)
		return lookup.Result{}, false
	}
	start := time.Now()
	ch := in.flight.DoChan(key, func() (any, error) { return in.search(key, number) })
	budget := in.cfg.Lookup.EffectiveBudget()
	if budget <= 0 {
		in.s.m.lookup(in.name, outcomeBudgetExceeded)
		return lookup.Result{}, false
	}
	t := time.NewTimer(budget)
	defer t.Stop()
	select {
	case r := <-ch:
		in.s.m.lookupDuration(in.name, time.Since(start))
		if r.Err != nil {
			switch {
			case errors.Is(r.Err, crm.ErrCircuitOpen):
				in.s.m.lookup(in.name, outcomeBreakerOpen)
			case errors.Is(r.Err, errShed):
				in.s.m.lookup(in.name, outcomeOverloaded)
			default:
				in.s.m.lookup(in.name, outcomeError)
			}
			return lookup.Result{}, false
		}
		sr := r.Val.(searchResult)
		if !sr.found {
			in.s.m.lookup(in.name, outcomeMiss)
			return lookup.Result{}, false
		}
		in.s.m.lookup(in.name, outcomeHit)
		return sr.res, true
	case <-t.C:
	case <-ctx.Done():
	}
	in.s.m.lookup(in.name, outcomeBudgetExceeded)
	return lookup.Result{}, false
}

// Call-path searches are bounded so that a hung CRM opens its circuit
// breaker within seconds (timeouts count as failures) and does not pile
// up work: at most maxPendingPer×MaxConcurrentRequest searches of one
// integration are under way; a call beyond that is shed (outcome
// overloaded) instead of queueing behind the request slots.
const (
	searchTimeout     = 3 * time.Second
	maxPendingPer     = 4
	outcomeOverloaded = "overloaded"
)

// errShed is a search not started because too many are under way.
var errShed = errors.New("crm: too many searches under way")

// search runs one CRM search detached from the calls that wait for it,
// bounded by searchTimeout (or the HTTP timeout when shorter), and stores
// what it found.
func (in *Integration) search(key, number string) (searchResult, error) {
	limit := int64(maxPendingPer * in.it.Template().MaxConcurrent(crm.DefaultMaxConcurrent))
	if in.pending.Add(1) > limit {
		in.pending.Add(-1)
		return searchResult{}, errShed
	}
	defer in.pending.Add(-1)
	ctx, cancel := context.WithTimeout(context.Background(), min(searchTimeout, in.s.opts.Timeout))
	defer cancel()
	contacts, err := in.it.SearchContact(ctx, number)
	if err != nil {
		in.fail(err)
		return searchResult{}, err
	}
	c, ok := firstNamed(contacts)
	if !ok {
		in.misses.Put(key, in.s.opts.Now().Add(in.missTTL()))
		return searchResult{}, nil
	}
	in.misses.Del(key)
	id, err := in.remember(ctx, c, number)
	if err != nil {
		// The name is still good for this call; the next one asks again.
		in.s.log.Warn("crm contact not stored", "integration", in.name, "err", err)
	}
	return searchResult{found: true, res: lookup.Result{
		Name: c.DisplayName(), Source: lookup.SourceCRM, ContactID: id, Integration: in.name, URL: c.URL,
	}}, nil
}

// firstNamed returns the first contact with an id and a name.
func firstNamed(cs []crm.Contact) (crm.Contact, bool) {
	for _, c := range cs {
		if c.ID != "" && c.DisplayName() != "" {
			return c, true
		}
	}
	return crm.Contact{}, false
}

// refresh re-reads a synced contact in the background (stale-while-
// revalidate); concurrent refreshes of one number are one search. When
// the CRM no longer has a contact with the number, the synced contact
// storeID is removed, so it stops naming calls.
func (in *Integration) refresh(number, storeID string) {
	key, err := in.s.opts.Normalize(number)
	if err != nil {
		return
	}
	go func() {
		v, err, _ := in.flight.Do(key, func() (any, error) { return in.search(key, number) })
		if sr, ok := v.(searchResult); ok && err == nil && !sr.found {
			in.forget(storeID)
		}
	}()
}

// MissCache remembers the numbers (normalized keys) a CRM did not know,
// each until its expiry time. Has is on the call's path: it must answer
// from memory.
type MissCache interface {
	Has(key string, now time.Time) bool
	Put(key string, exp time.Time)
	Del(key string)
	Len() int
}

// ttlSet is the in-memory MissCache, bounded.
type ttlSet struct {
	mu  sync.Mutex
	m   map[string]time.Time
	max int
}

func newTTLSet(max int) *ttlSet { return &ttlSet{m: map[string]time.Time{}, max: max} }

func (c *ttlSet) Has(k string, now time.Time) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	exp, ok := c.m[k]
	if ok && now.After(exp) {
		delete(c.m, k)
		return false
	}
	return ok
}

func (c *ttlSet) Put(k string, exp time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.m) >= c.max {
		for old := range c.m { // evict an arbitrary entry
			delete(c.m, old)
			break
		}
	}
	c.m[k] = exp
}

func (c *ttlSet) Del(k string) {
	c.mu.Lock()
	delete(c.m, k)
	c.mu.Unlock()
}

func (c *ttlSet) Len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.m)
}
