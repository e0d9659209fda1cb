package sip

import (
	"context"
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/emiago/sipgo/sip"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
)

// busy keeps n goroutines runnable until ctx is done.
func busy(ctx context.Context, n int) *sync.WaitGroup {
	var wg sync.WaitGroup
	for range n {
		wg.Go(func() {
			for ctx.Err() == nil {
				runtime.Gosched()
			}
		})
	}
	return &wg
}

func TestBacklogGate(t *testing.T) {
	data := []byte("OPTIONS sip:a@b SIP/2.0\r\n\r\n")
	run := func(max uint64, load int) (paused float64, took time.Duration) {
		c := prometheus.NewCounter(prometheus.CounterOpts{Name: "p"})
		b := &backlog{max: max, pauses: c}
		ctx, cancel := context.WithCancel(context.Background())
		wg := busy(ctx, load)
		time.Sleep(20 * time.Millisecond)
		start := time.Now()
		for range 4 * backlogCheckEvery {
			out, err := b.filter(sip.TransportReadProps{}, data)
			if err != nil || string(out) != string(data) {
				t.Fatalf("filter changed the message: %q, %v", out, err)
			}
		}
		took = time.Since(start)
		cancel()
		wg.Wait()
		return testutil.ToFloat64(c), took
	}
	load := 8 * runtime.GOMAXPROCS(0)
	if p, _ := run(0, load); p != 0 {
		t.Errorf("max 0 (off) paused %v times", p)
	}
	if p, _ := run(1<<20, load); p != 0 {
		t.Errorf("a backlog under the limit paused %v times", p)
	}
	p, took := run(1, load)
	if p == 0 {
		t.Fatalf("%d busy goroutines over a limit of 1 never paused the reader", load)
	}
	// Each check pauses at most backlogMaxPause (plus scheduling slack).
	if limit := 4*backlogMaxPause + time.Second; took > limit {
		t.Errorf("4 checks took %v, want under %v", took, limit)
	}
}
