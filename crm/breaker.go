package crm

import (
	"errors"
	"sync"
	"time"
)

// ErrCircuitOpen is returned without contacting the CRM while the breaker is
// open.
var ErrCircuitOpen = errors.New("crm: circuit breaker open")

// BreakerState is the state of a circuit breaker.
type BreakerState int

// Breaker states; the numeric values are exported as the breaker gauge.
const (
	BreakerClosed   BreakerState = 0
	BreakerHalfOpen BreakerState = 1
	BreakerOpen     BreakerState = 2
)

// String returns closed, half-open or open.
func (s BreakerState) String() string {
	switch s {
	case BreakerHalfOpen:
		return "half-open"
	case BreakerOpen:
		return "open"
	}
	return "closed"
}

// Breaker is a consecutive-failure circuit breaker. After Threshold failures
// in a row it opens and rejects calls for Cooldown; then it lets one probe
// through (half-open): success closes it, failure opens it again.
type Breaker struct {
	threshold int
	cooldown  time.Duration
	now       func() time.Time
	onChange  func(BreakerState)

	mu       sync.Mutex
	state    BreakerState
	failures int
	openedAt time.Time
	probing  bool
}

// NewBreaker returns a closed breaker. onChange (may be nil) is called with
// the new state on every transition, under the breaker's lock.
func NewBreaker(threshold int, cooldown time.Duration, onChange func(BreakerState)) *Breaker {
	if threshold <= 0 {
		threshold = 5
	}
	if cooldown <= 0 {
		cooldown = 30 * time.Second
	}
	return &Breaker{threshold: threshold, cooldown: cooldown, now: time.Now, onChange: onChange}
}

// State returns the current state (an open breaker past its cooldown reports
// half-open).
func (b *Breaker) State() BreakerState {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.state == BreakerOpen && b.now().Sub(b.openedAt) >= b.cooldown {
		return BreakerHalfOpen
	}
	return b.state
}

// Allow reports whether a call may proceed. Every allowed call must be
// followed by exactly one Done.
func (b *Breaker) Allow() error {
	b.mu.Lock()
	defer b.mu.Unlock()
	switch b.state {
	case BreakerOpen:
		if b.now().Sub(b.openedAt) < b.cooldown {
			return ErrCircuitOpen
		}
		b.set(BreakerHalfOpen)
		b.probing = true
		return nil
	case BreakerHalfOpen:
		if b.probing {
			return ErrCircuitOpen
		}
		b.probing = true
	}
	return nil
}

// Done records the result of an allowed call. failure is true for errors
// that say the CRM is unhealthy (5xx, 429, timeouts, network errors).
func (b *Breaker) Done(failure bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.state == BreakerHalfOpen {
		b.probing = false
		if failure {
			b.open()
			return
		}
		b.failures = 0
		b.set(BreakerClosed)
		return
	}
	if !failure {
		b.failures = 0
		return
	}
	b.failures++
	if b.state == BreakerClosed && b.failures >= b.threshold {
		b.open()
	}
}

// Release records that an allowed call ended without a verdict (the caller
// canceled it): a half-open probe slot is freed, nothing else changes.
func (b *Breaker) Release() {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.state == BreakerHalfOpen {
		b.probing = false
	}
}

func (b *Breaker) open() {
	b.openedAt = b.now()
	b.failures = 0
	b.set(BreakerOpen)
}

func (b *Breaker) set(s BreakerState) {
	if b.state == s {
		return
	}
	b.state = s
	if b.onChange != nil {
		b.onChange(s)
	}
}
