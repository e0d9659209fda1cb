package sip

import (
	"sync/atomic"
	"time"

	"github.com/emiago/sipgo/sip"
	"github.com/prometheus/client_golang/prometheus"
)

// backlog keeps the proxy from accepting more work than it can do.
//
// sipgo starts a goroutine for every message it reads, so when the CPU
// cannot keep up the unprocessed messages pile up as runnable goroutines:
// an unbounded queue inside the process. Once that queue is half a second
// long every caller retransmits (T1), the retransmissions add work, and
// nearly every call fails (measured: 30-76 % failed calls one step past the
// sustainable rate). A proxy built as a fixed set of workers (Kamailio) has
// no such queue: what it cannot take waits in the kernel's socket buffer
// and, when that is full, is dropped and retransmitted, while the calls it
// did take complete.
//
// The gate moves cidproxy toward that behaviour: every backlogCheckEvery
// messages a reader looks at the runtime's run queue and, while more than
// max goroutines wait to run, sleeps instead of reading (at most
// backlogMaxPause at a time), so the backlog stays in the socket buffer
// (sip.udp_buffer). It softens the collapse but does not remove it: sipgo's
// own goroutines for responses and timers still queue (docs/benchmarks.md).
type backlog struct {
	max    uint64
	n      atomic.Uint32
	pauses prometheus.Counter
}

const (
	backlogCheckEvery = 8
	backlogSleep      = 200 * time.Microsecond
	backlogMaxPause   = 50 * time.Millisecond
)

// filter is a sipgo transport read filter: it passes every message on
// unchanged, after waiting while the proxy is behind.
func (b *backlog) filter(_ sip.TransportReadProps, data []byte) ([]byte, error) {
	if b.max == 0 || b.n.Add(1)%backlogCheckEvery != 0 {
		return data, nil
	}
	if runnableGoroutines() <= b.max {
		return data, nil
	}
	b.pauses.Inc()
	// Bounded by the clock, not by the sum of nominal sleeps: on a loaded
	// machine each 200 µs sleep can take milliseconds.
	for start := time.Now(); time.Since(start) < backlogMaxPause; {
		time.Sleep(backlogSleep)
		if runnableGoroutines() <= b.max {
			break
		}
	}
	return data, nil
}

// runnableGoroutines returns how many goroutines wait to run (Go 1.26
// runtime metric; 0 when unavailable, which disables the gate).
func runnableGoroutines() uint64 { return runtimeMetric("/sched/goroutines/runnable:goroutines") }
