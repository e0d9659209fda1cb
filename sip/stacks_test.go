package sip

import (
	"context"
	"runtime"
	"testing"
	"time"
)

// TestWarmStacksRaisesStartingStack checks the runtime picks up the parked
// goroutines: after a collection new goroutines start with at least 8 KiB.
func TestWarmStacksRaisesStartingStack(t *testing.T) {
	if startingStackSize() == 0 {
		t.Skip("runtime does not publish /gc/stack/starting-size:bytes")
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	warmStacks(ctx)
	deadline := time.Now().Add(5 * time.Second)
	for {
		runtime.GC()
		if got := startingStackSize(); got >= 8<<10 {
			if got > 32<<10 {
				t.Errorf("starting stack %d bytes: warm-up is oversized", got)
			}
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("starting stack size %d bytes after warm-up, want >= 8 KiB", startingStackSize())
		}
		time.Sleep(10 * time.Millisecond)
	}
}
