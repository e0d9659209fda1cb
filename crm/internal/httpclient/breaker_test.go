package httpclient

import (
	"errors"
	"sync"
	"testing"
	"time"
)

// cooldown is long enough that "still open" checks right after a trip hold
// on a loaded machine, short enough to wait out twice.
const testCooldown = time.Second

func TestBreakerStates(t *testing.T) {
	var mu sync.Mutex
	var changes []BreakerState
	b := NewBreaker(2, testCooldown, func(s BreakerState) {
		mu.Lock()
		defer mu.Unlock()
		changes = append(changes, s)
	})
	step := func(outcome string) {
		t.Helper()
		done, err := b.allow()
		if err != nil {
			t.Fatalf("allow: %v", err)
		}
		done(outcome)
	}
	step(OutcomeServerError)
	step(OutcomeOK) // success resets the count
	step(OutcomeTimeout)
	step(OutcomeClientError) // a 4xx says the CRM answers: resets too
	step(OutcomeNetworkError)
	if b.State() != BreakerClosed {
		t.Fatal("one failure must not open")
	}
	step(OutcomeRateLimited)
	if b.State() != BreakerOpen {
		t.Fatalf("state %v, want open", b.State())
	}
	if _, err := b.allow(); !errors.Is(err, ErrCircuitOpen) {
		t.Fatalf("open breaker allowed a call: %v", err)
	}
	time.Sleep(testCooldown + 50*time.Millisecond)
	if b.State() != BreakerHalfOpen {
		t.Fatalf("state %v, want half-open after cooldown", b.State())
	}
	probe, err := b.allow()
	if err != nil {
		t.Fatal("probe refused")
	}
	if _, err := b.allow(); !errors.Is(err, ErrCircuitOpen) {
		t.Fatal("second concurrent probe allowed")
	}
	probe(OutcomeServerError) // probe failed: open again
	if b.State() != BreakerOpen {
		t.Fatalf("state %v, want open after failed probe", b.State())
	}
	time.Sleep(testCooldown + 50*time.Millisecond)
	step(OutcomeOK)
	if b.State() != BreakerClosed {
		t.Fatalf("state %v, want closed", b.State())
	}
	want := []BreakerState{BreakerOpen, BreakerHalfOpen, BreakerOpen, BreakerHalfOpen, BreakerClosed}
	mu.Lock()
	defer mu.Unlock()
	if len(changes) != len(want) {
		t.Fatalf("changes %v, want %v", changes, want)
	}
	for i := range want {
		if changes[i] != want[i] {
			t.Fatalf("changes %v, want %v", changes, want)
		}
	}
}

// A probe the caller canceled gives no verdict: the next call may probe.
func TestBreakerCanceledProbeFreesSlot(t *testing.T) {
	b := NewBreaker(1, testCooldown, nil)
	done, _ := b.allow()
	done(OutcomeServerError)
	time.Sleep(testCooldown + 50*time.Millisecond)
	probe, err := b.allow()
	if err != nil {
		t.Fatal(err)
	}
	probe(OutcomeCanceled)
	if s := b.State(); s != BreakerHalfOpen {
		t.Fatalf("state %v after a canceled probe, want half-open", s)
	}
	if _, err := b.allow(); err != nil {
		t.Fatalf("probe slot not released: %v", err)
	}
}
