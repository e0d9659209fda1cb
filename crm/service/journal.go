package service

import (
	"context"
	"errors"
	"slices"
	"sync"
	"time"

	"cidproxy/crm"
	"cidproxy/lookup"
	"cidproxy/sip/event"
)

// Journal delivery settings.
const (
	journalAttempts = 8
	journalBatch    = 256
	// settle is how long a missed leg waits before it is journaled, so the
	// other legs of a ring group (answered elsewhere, or missed too) are
	// known and one record stands for the group.
	settle = 3 * time.Second
)

var journalBackoff = crm.Backoff{Base: 5 * time.Second, Max: 30 * time.Minute}

// callKind maps a terminal event to the journal.calls category
// (inbound, outbound, missed); ok is false for calls never journaled.
func callKind(ev event.Event) (string, bool) {
	if !ev.Kind.Terminal() {
		return "", false
	}
	switch ev.Direction {
	case event.Inbound:
		if ev.Kind == event.Ended {
			return "inbound", true
		}
		if ev.Reason == "cancel-elsewhere" {
			return "", false // a ring-group leg another phone answered
		}
		return "missed", true
	case event.Outbound:
		return "outbound", true
	}
	return "", false
}

// Record implements event.Recorder: called synchronously by the bus for
// every event, it writes the outbox entry of a finished call for each
// integration that journals it, before the event is fanned out.
func (s *Service) Record(ev event.Event) {
	if ev.CallID == "" {
		return
	}
	if !ev.Kind.Terminal() {
		s.queueRingWork(ev)
		return
	}
	if len(s.members().list) == 0 {
		return
	}
	s.legs.add(ev)
	kind, ok := callKind(ev)
	if !ok {
		return
	}
	added := false
	for _, in := range s.members().list {
		j := in.cfg.Journal
		if !j.Enabled || (len(j.Calls) > 0 && !slices.Contains(j.Calls, kind)) {
			continue
		}
		e := Entry{Key: EntryKey(in.name, ev.CallID), Integration: in.name, Event: ev, Created: s.opts.Now(), NextTry: s.opts.Now()}
		if kind == "missed" {
			e.NextTry = e.NextTry.Add(settle)
		}
		err := s.outbox.Add(context.Background(), e)
		switch {
		case err == nil:
			added = true
			s.m.journalAdded.WithLabelValues(in.name).Inc()
		case errors.Is(err, ErrDuplicate):
		default:
			s.m.journalErrors.WithLabelValues(in.name).Inc()
			s.log.Error("journal record not written", "integration", in.name, "err", err)
		}
	}
	if added {
		select {
		case s.wake <- struct{}{}:
		default:
		}
	}
}

// runJournal delivers due outbox entries until ctx is done.
func (s *Service) runJournal(ctx context.Context) {
	t := time.NewTicker(time.Second)
	defer t.Stop()
	prune := time.NewTicker(time.Hour)
	defer prune.Stop()
	for {
		s.flush(ctx)
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		case <-s.wake:
		case <-prune.C:
			if p, ok := s.outbox.(interface {
				Prune(context.Context, time.Time) error
			}); ok {
				_ = p.Prune(ctx, s.opts.Now())
			}
		}
	}
}

// Flush delivers every due entry once (at most the template's
// MaxConcurrentRequest at a time per integration) and returns how many
// were sent.
func (s *Service) Flush(ctx context.Context) int { return s.flush(ctx) }

func (s *Service) flush(ctx context.Context) int {
	due, err := s.outbox.Due(ctx, s.opts.Now(), journalBatch)
	if err != nil {
		if ctx.Err() == nil {
			s.log.Warn("journal outbox unreadable", "err", err)
		}
		return 0
	}
	var wg sync.WaitGroup
	var mu sync.Mutex
	sent := 0
	sems := map[string]chan struct{}{}
	for _, e := range due {
		in := s.members().byName[e.Integration]
		if in == nil {
			e.LastError = "integration is not configured"
			_ = s.outbox.Dead(ctx, e)
			continue
		}
		sem := sems[in.name]
		if sem == nil {
			sem = make(chan struct{}, in.it.Template().MaxConcurrent(crm.DefaultMaxConcurrent))
			sems[in.name] = sem
		}
		sem <- struct{}{}
		wg.Go(func() {
			defer func() { <-sem }()
			if in.deliver(ctx, e) {
				mu.Lock()
				sent++
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	return sent
}

// deliver sends one entry and settles it; it reports a CRM write.
func (in *Integration) deliver(ctx context.Context, e Entry) bool {
	s := in.s
	rec, skip, wait := in.prepare(ctx, e)
	if wait > 0 {
		e.NextTry = s.opts.Now().Add(wait)
		_ = s.outbox.Update(ctx, e)
		return false
	}
	if skip != "" {
		s.m.journalSkipped.WithLabelValues(in.name, skip).Inc()
		_ = s.outbox.Done(ctx, e.Key)
		return false
	}
	if e.Sending {
		s.m.journalRedeliveries.WithLabelValues(in.name).Inc()
	}
	e.Sending = true
	e.Attempts++
	if err := s.outbox.Update(ctx, e); err != nil {
		return false
	}
	err := in.it.LogCall(ctx, rec)
	if err == nil {
		if derr := s.outbox.Done(ctx, e.Key); derr != nil {
			s.log.Error("journal record sent but not marked done", "integration", in.name, "err", derr)
		}
		s.m.journalSent.WithLabelValues(in.name).Inc()
		return true
	}
	if ctx.Err() != nil {
		return false // shutting down: Sending stays set, the next start resends
	}
	in.fail(err)
	e.Sending = false
	e.LastError = in.it.Redactor().String(err.Error())
	if errors.Is(err, crm.ErrCircuitOpen) {
		// Not an attempt: the CRM was not asked. Wait for the probe.
		e.Attempts--
		e.NextTry = s.opts.Now().Add(2 * time.Second)
		_ = s.outbox.Update(ctx, e)
		return false
	}
	if e.Attempts >= journalAttempts || permanent(err) {
		s.log.Error("journal record moved to dead letters", "integration", in.name, "attempts", e.Attempts, "err", e.LastError)
		_ = s.outbox.Dead(ctx, e)
		return false
	}
	e.NextTry = s.opts.Now().Add(journalBackoff.Delay(e.Attempts - 1))
	s.log.Warn("journal record deferred", "integration", in.name, "attempts", e.Attempts, "next", e.NextTry, "err", e.LastError)
	_ = s.outbox.Update(ctx, e)
	return false
}

// contactOf returns the CRM contact of the call's external party: the
// matched caller of an inbound call, or whatever the local sources know of
// the number now (an outbound callee, a contact created during the call).
func (in *Integration) contactOf(ctx context.Context, ev event.Event) *crm.Contact {
	if ev.Direction == event.Inbound && ev.ContactID != "" {
		if c := in.contactFor(ctx, ev.ContactID); c != nil {
			return c
		}
	}
	_, other := extensionOf(ev)
	if in.s.local == nil || other == "" {
		return nil
	}
	res, err := in.s.local.Lookup(ctx, lookup.Query{Number: other})
	if err == nil && res.ContactID != "" {
		if c := in.contactFor(ctx, res.ContactID); c != nil {
			return c
		}
	}
	if ev.Direction != event.Outbound || err == nil {
		return nil
	}
	// An outbound call to a number only the CRM knows (never synced): the
	// worker, not the call, may ask the CRM, so the record names its contact.
	key, kerr := in.s.opts.Normalize(other)
	if kerr != nil || in.misses.Has(key, in.s.opts.Now()) {
		return nil
	}
	v, serr, _ := in.flight.Do(key, func() (any, error) { return in.search(key, other) })
	if sr, ok := v.(searchResult); ok && serr == nil && sr.found {
		return in.contactFor(ctx, sr.res.ContactID)
	}
	return nil
}

// permanent reports errors that retrying cannot fix: a 4xx other than 401,
// 408 and 429.
func permanent(err error) bool {
	var se *crm.StatusError
	if errors.As(err, &se) {
		c := se.StatusCode
		return c >= 400 && c < 500 && c != 401 && c != 408 && c != 429
	}
	return false
}

// prepare builds the CallRecord of e. skip names why the call is not
// journaled; wait > 0 asks to try again later (user links not loaded).
func (in *Integration) prepare(ctx context.Context, e Entry) (rec crm.CallRecord, skip string, wait time.Duration) {
	ev := e.Event
	extNum := ev.Callee.Number
	if ev.Direction == event.Outbound {
		extNum = ev.Caller.Number
	}
	if kind, _ := callKind(ev); kind == "missed" {
		if why := in.s.legs.groupSkip(ev); why != "" {
			return rec, why, 0
		}
	}
	user, known := in.userFor(extNum)
	if user == "" {
		if !known && in.s.opts.Now().Sub(e.Created) < time.Hour {
			return rec, "", time.Minute
		}
		return rec, "not_linked", 0
	}
	ext := crm.Extension{Number: extNum}
	if x, err := in.s.opts.Store.GetExtension(ctx, extNum); err == nil {
		ext = toCRMExtension(x)
	}
	rec, err := crm.CallRecordFromEvent(ev, ext, in.contactOf(ctx, ev))
	if err != nil {
		return rec, "not_journaled", 0
	}
	rec.CrmUserID = user
	rec.TicketID = in.ticketFor(ctx, ev.CallID)
	return rec, "", 0
}
