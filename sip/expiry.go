package sip

import (
	"context"
	"time"
)

// janitor expires answered dialogs whose BYE never came (ended, reason
// "expired") and forgets unanswered ones stuck for longer than expiry plus
// the ring timeout. It runs until ctx is done.
func (t *tracker) janitor(ctx context.Context) {
	if t.expiry <= 0 {
		return
	}
	tick := time.NewTicker(min(max(t.expiry/4, 10*time.Millisecond), time.Minute))
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
			t.sweep()
		}
	}
}

// sweep is one janitor pass.
func (t *tracker) sweep() {
	now := t.now()
	var expired, stale []*call
	t.mu.Lock()
	for _, c := range t.calls {
		c.mu.Lock()
		switch {
		case !c.ev.Answer.IsZero() && now.Sub(c.ev.Answer) > t.expiry:
			expired = append(expired, c)
		case c.ev.Answer.IsZero() && now.Sub(c.ev.Start) > t.expiry+c.ringTimeout:
			stale = append(stale, c)
		}
		c.mu.Unlock()
	}
	t.mu.Unlock()
	for _, c := range expired {
		t.emit(c, kindEnded, 0, "expired")
	}
	for _, c := range stale {
		t.remove(c)
	}
}
