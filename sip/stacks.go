package sip

import (
	"context"
	rtmetrics "runtime/metrics"
)

// Goroutine stack warm-up.
//
// sipgo handles every datagram on a new goroutine (transaction layer) and
// the proxy's work for a request runs 25-30 frames deep on it (handler,
// transaction state machine, message serialisation, sendto). A goroutine
// starts with the runtime's starting stack size and grows by copying the
// whole stack each time it doubles; from 2 KiB that is three copies per
// message, 12 % of the proxy's CPU at 3,000 calls/s (pprof: newstack,
// copystack).
//
// The runtime sizes new stacks from the average stack in use by the
// goroutines it scans at each garbage collection (adaptivestackstart, on by
// default since Go 1.19). The proxy's goroutines live for microseconds and
// are rarely seen there, so the average stays at the minimum. warmStacks
// parks a fixed set of goroutines holding about 12 KiB of stack each, which
// lifts the starting size to 16 KiB: the copies drop to about 4 % of CPU and
// the proxy uses about 8 % less CPU per call (docs/benchmarks.md). The cost
// is warmGoroutines x 16 KiB (2 MiB) plus larger stacks for short-lived
// goroutines. GODEBUG=adaptivestackstart=0 turns the runtime's sizing, and
// so this, off.
const (
	warmGoroutines = 128
	warmDepth      = 40 // frames of warmFrame, about 300 bytes each
)

// warmStacks parks warmGoroutines goroutines with deep stacks until ctx is done.
func warmStacks(ctx context.Context) {
	for range warmGoroutines {
		go warmFrame(ctx, warmDepth)
	}
}

// warmFrame recurses depth times, then waits for ctx. The padding gives
// each frame its size; using it keeps the compiler from shrinking it.
//
//go:noinline
func warmFrame(ctx context.Context, depth int) byte {
	var pad [256]byte
	if depth > 0 {
		pad[depth%len(pad)] = warmFrame(ctx, depth-1)
		return pad[0]
	}
	<-ctx.Done()
	return pad[1]
}

// startingStackSize reports the runtime's current starting stack size for
// new goroutines, or 0 when the runtime does not publish it.
func startingStackSize() uint64 { return runtimeMetric("/gc/stack/starting-size:bytes") }

// runtimeMetric reads one uint64 runtime metric; 0 when it is not published.
func runtimeMetric(name string) uint64 {
	s := []rtmetrics.Sample{{Name: name}}
	rtmetrics.Read(s)
	if s[0].Value.Kind() != rtmetrics.KindUint64 {
		return 0
	}
	return s[0].Value.Uint64()
}
