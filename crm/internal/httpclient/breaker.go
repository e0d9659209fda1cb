package httpclient

import (
	"errors"
	"time"

	"github.com/sony/gobreaker/v2"
)

// ErrCircuitOpen is returned without contacting the CRM while the breaker is
// open (or while its one half-open probe is on the wire).
var ErrCircuitOpen = errors.New("crm: circuit breaker open")

// BreakerState is the state of a circuit breaker; its numeric value is the
// breaker gauge (0 closed, 1 half-open, 2 open).
type BreakerState = gobreaker.State

// Breaker states.
const (
	BreakerClosed   = gobreaker.StateClosed
	BreakerHalfOpen = gobreaker.StateHalfOpen
	BreakerOpen     = gobreaker.StateOpen
)

// Verdicts reported to the breaker for one attempt.
var (
	errUnhealthy = errors.New("unhealthy")  // 5xx, 429, timeout, network: counts as a failure
	errNoVerdict = errors.New("no verdict") // canceled by the caller: neither success nor failure
)

// Breaker is a consecutive-failure circuit breaker: after threshold failures
// in a row it opens and rejects calls for cooldown; then it lets one probe
// through (half-open) whose success closes it and whose failure opens it
// again.
type Breaker struct {
	cb *gobreaker.TwoStepCircuitBreaker[struct{}]
}

// NewBreaker returns a closed breaker (threshold 0 = 5, cooldown 0 = 30 s).
// onChange (may be nil) sees every transition.
func NewBreaker(threshold int, cooldown time.Duration, onChange func(BreakerState)) *Breaker {
	if threshold <= 0 {
		threshold = 5
	}
	if cooldown <= 0 {
		cooldown = 30 * time.Second
	}
	return &Breaker{cb: gobreaker.NewTwoStepCircuitBreaker[struct{}](gobreaker.Settings{
		MaxRequests: 1,
		Timeout:     cooldown,
		ReadyToTrip: func(c gobreaker.Counts) bool { return c.ConsecutiveFailures >= uint32(threshold) },
		OnStateChange: func(_ string, _, to gobreaker.State) {
			if onChange != nil {
				onChange(to)
			}
		},
		IsExcluded: func(err error) bool { return errors.Is(err, errNoVerdict) },
	})}
}

// State returns the current state (an open breaker past its cooldown
// reports half-open).
func (b *Breaker) State() BreakerState { return b.cb.State() }

// allow reports whether a call may proceed; the returned done must be called
// exactly once with the attempt's outcome label.
func (b *Breaker) allow() (done func(outcome string), err error) {
	d, err := b.cb.Allow()
	if err != nil {
		return nil, ErrCircuitOpen
	}
	return func(outcome string) {
		switch outcome {
		case OutcomeCanceled:
			d(errNoVerdict)
		case OutcomeServerError, OutcomeRateLimited, OutcomeTimeout, OutcomeNetworkError:
			d(errUnhealthy)
		default: // ok and 4xx: the CRM is answering
			d(nil)
		}
	}, nil
}
