package crm

import (
	"errors"
	"testing"
	"time"
)

func TestBreakerStates(t *testing.T) {
	now := time.Unix(1000, 0)
	var changes []BreakerState
	b := NewBreaker(2, 10*time.Second, func(s BreakerState) { changes = append(changes, s) })
	b.now = func() time.Time { return now }
	step := func(failure bool) {
		t.Helper()
		if err := b.Allow(); err != nil {
			t.Fatalf("Allow: %v", err)
		}
		b.Done(failure)
	}
	step(true)
	step(false) // success resets the count
	step(true)
	if b.State() != BreakerClosed {
		t.Fatal("one failure must not open")
	}
	step(true)
	if b.State() != BreakerOpen {
		t.Fatalf("state %v, want open", b.State())
	}
	if err := b.Allow(); !errors.Is(err, ErrCircuitOpen) {
		t.Fatalf("open breaker allowed a call: %v", err)
	}
	now = now.Add(10 * time.Second)
	if b.State() != BreakerHalfOpen {
		t.Fatalf("state %v, want half-open after cooldown", b.State())
	}
	if err := b.Allow(); err != nil {
		t.Fatal("probe refused")
	}
	if err := b.Allow(); !errors.Is(err, ErrCircuitOpen) {
		t.Fatal("second concurrent probe allowed")
	}
	b.Done(true) // probe failed: open again
	if b.State() != BreakerOpen {
		t.Fatalf("state %v, want open after failed probe", b.State())
	}
	now = now.Add(10 * time.Second)
	step(false)
	if b.State() != BreakerClosed {
		t.Fatalf("state %v, want closed", b.State())
	}
	want := []BreakerState{BreakerOpen, BreakerHalfOpen, BreakerOpen, BreakerHalfOpen, BreakerClosed}
	if len(changes) != len(want) {
		t.Fatalf("changes %v, want %v", changes, want)
	}
	for i := range want {
		if changes[i] != want[i] {
			t.Fatalf("changes %v, want %v", changes, want)
		}
	}
}

func TestBreakerReleaseFreesProbe(t *testing.T) {
	now := time.Unix(0, 0)
	b := NewBreaker(1, time.Second, nil)
	b.now = func() time.Time { return now }
	_ = b.Allow()
	b.Done(true)
	now = now.Add(time.Second)
	if err := b.Allow(); err != nil {
		t.Fatal(err)
	}
	b.Release()
	if err := b.Allow(); err != nil {
		t.Fatalf("probe slot not released: %v", err)
	}
}
