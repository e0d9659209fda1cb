package service

import (
	"context"
	"sync"
	"time"

	"cidproxy/sip/event"
)

// legIndex remembers recently ended calls by caller number, so the legs
// of one ring group or queue call (the PBX rings several phones through
// the proxy, each leg its own INVITE) yield one missed-call record, and
// none when another leg was answered.
type legIndex struct {
	mu   sync.Mutex
	legs map[string][]leg // caller number -> recent legs
	n    int
}

type leg struct {
	callID     string
	start, end time.Time
	answered   bool
	missed     bool
}

const (
	legKeep = 10 * time.Minute
	legMax  = 200_000
)

func newLegIndex() *legIndex { return &legIndex{legs: map[string][]leg{}} }

// reloadLegs fills the leg index (memory only) from the journal records
// still waiting, so the legs of a ring group that a restart cut in the
// middle of their settle time still yield one record.
func (s *Service) reloadLegs(ctx context.Context) {
	pending, err := s.outbox.Due(ctx, s.opts.Now().Add(24*time.Hour), legMax)
	if err != nil {
		s.log.Warn("journal outbox unreadable; ring-group legs not restored", "err", err)
		return
	}
	for _, e := range pending {
		s.legs.add(e.Event)
	}
}

func (x *legIndex) add(ev event.Event) {
	if ev.Caller.Number == "" {
		return
	}
	end := ev.End
	if end.IsZero() {
		end = ev.At
	}
	l := leg{callID: ev.CallID, start: ev.Start, end: end, answered: ev.Kind == event.Ended || !ev.Answer.IsZero()}
	if k, ok := callKind(ev); ok && k == "missed" {
		l.missed = true
	}
	x.mu.Lock()
	defer x.mu.Unlock()
	if x.n >= legMax {
		x.expire(end)
	}
	old := x.legs[ev.Caller.Number]
	kept := old[:0]
	for _, o := range old {
		if end.Sub(o.end) < legKeep && o.callID != l.callID {
			kept = append(kept, o)
		}
	}
	x.n += len(kept) + 1 - len(old)
	x.legs[ev.Caller.Number] = append(kept, l)
}

// expire drops legs that ended legKeep before now (x.mu held).
func (x *legIndex) expire(now time.Time) {
	for k, ls := range x.legs {
		kept := ls[:0]
		for _, l := range ls {
			if now.Sub(l.end) < legKeep {
				kept = append(kept, l)
			}
		}
		x.n -= len(ls) - len(kept)
		if len(kept) == 0 {
			delete(x.legs, k)
		} else {
			x.legs[k] = kept
		}
	}
}

// groupSkip says why the missed leg ev is not journaled: another leg of
// the same caller that rang at the same time was answered
// ("answered_elsewhere"), or another missed leg stands for the group
// ("ring_group_leg"); "" when ev is journaled.
func (x *legIndex) groupSkip(ev event.Event) string {
	end := ev.End
	if end.IsZero() {
		end = ev.At
	}
	x.mu.Lock()
	defer x.mu.Unlock()
	for _, o := range x.legs[ev.Caller.Number] {
		if o.callID == ev.CallID || o.start.After(end) || o.end.Before(ev.Start) {
			continue
		}
		if o.answered {
			return "answered_elsewhere"
		}
		if o.missed && (o.start.Before(ev.Start) || (o.start.Equal(ev.Start) && o.callID < ev.CallID)) {
			return "ring_group_leg"
		}
	}
	return ""
}
