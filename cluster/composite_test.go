package cluster

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"cidproxy/config"
	"cidproxy/crm/service"
	"cidproxy/store"
)

// badgerOutbox is the single-node outbox in a fresh Badger store.
func badgerOutbox(t *testing.T) *service.KVOutbox {
	t.Helper()
	cfg := config.Default().Store
	cfg.Dir = filepath.Join(t.TempDir(), "db")
	db, err := store.Open(cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return service.NewKVOutbox(service.StoreKV(db.KV("crm")), testSealer(t))
}

// TestCompositeWaitsForNATS: Add is a local write that Run forwards at
// once; with the NATS server down, records wait in the local outbox
// (durable, nothing due from NATS); when the server is back (same store)
// they are forwarded, and the journal gets each once.
func TestCompositeWaitsForNATS(t *testing.T) {
	ctx := ctxT(t, 90*time.Second)
	srv := startServers(t, 1)[0]
	c := connect(t, testPrefix(t), 1, srv.url())
	waitJS(t, c, 20*time.Second)
	remote := newOutbox(t, c, OutboxOptions{})
	co := NewComposite(c, badgerOutbox(t), remote)
	rctx, stop := context.WithCancel(ctx)
	defer stop()
	go co.Run(rctx, time.Hour) // forwards only when Add wakes it

	first := entry("crm1", "call-before", time.Now())
	if err := co.Add(ctx, first); err != nil {
		t.Fatal(err)
	}
	if !eventually(t, 5*time.Second, func() bool { p, _, _ := remote.Depth(ctx); return p == 1 }) {
		t.Fatal("the record was not forwarded when Add woke Run")
	}
	stop()
	srv.kill()
	for deadline := time.Now().Add(10 * time.Second); c.Connected() && time.Now().Before(deadline); {
		time.Sleep(50 * time.Millisecond)
	}
	var down []service.Entry
	for i := range 3 {
		e := entry("crm1", fmt.Sprintf("call-down-%d", i), time.Now())
		start := time.Now()
		if err := co.Add(ctx, e); err != nil {
			t.Fatalf("Add while NATS is down: %v", err)
		}
		if d := time.Since(start); d > time.Second {
			t.Errorf("Add waited %s while NATS was down", d)
		}
		down = append(down, e)
	}
	if err := co.Add(ctx, down[0]); !errors.Is(err, service.ErrDuplicate) {
		t.Fatalf("local duplicate: %v", err)
	}
	if p, _, err := co.Depth(ctx); err != nil || p != 3 {
		t.Fatalf("Depth while down = %d, %v; want 3 local", p, err)
	}
	if due, err := co.Due(ctx, time.Now(), 10); err != nil || len(due) != 0 {
		t.Fatalf("Due while down = %v, %v", keys(due), err)
	}
	if n, _ := co.Forward(ctx); n != 0 {
		t.Fatalf("forwarded %d while down", n)
	}
	srv.start()
	for deadline := time.Now().Add(20 * time.Second); !c.Connected(); time.Sleep(50 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("no reconnect")
		}
	}
	waitJS(t, c, 20*time.Second)
	var n int
	var err error
	for deadline := time.Now().Add(20 * time.Second); time.Now().Before(deadline); time.Sleep(200 * time.Millisecond) {
		if n, err = co.Forward(ctx); err == nil {
			break
		}
	}
	if err != nil || n != 3 {
		t.Fatalf("Forward = %d, %v; want 3", n, err)
	}
	if p, _, _ := co.Local.Depth(ctx); p != 0 {
		t.Fatalf("%d records still local", p)
	}
	seen := map[string]int{}
	for deadline := time.Now().Add(10 * time.Second); len(seen) < 4 && time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		due, _ := co.Due(ctx, time.Now(), 10)
		for _, e := range due {
			seen[e.Key]++
			if err := co.Done(ctx, e.Key); err != nil {
				t.Fatal(err)
			}
		}
	}
	for _, e := range append(down, first) {
		if seen[e.Event.CallID] != 0 || seen[e.Key] != 1 {
			t.Errorf("%s delivered %d times; want 1", e.Event.CallID, seen[e.Key])
		}
	}
}

// TestClusterFailoverExactlyOnce: a three-server JetStream cluster, stream
// replicas 3; two nodes consume the journal while one NATS server is
// killed. Every record is delivered; a record is delivered twice only
// when a delivery was not acked within AckWait (its ack failed or was
// slowed by the leader election) - the window the CRM's own duplicate
// check covers.
func TestClusterFailoverExactlyOnce(t *testing.T) {
	const total = 200
	const ackWaitT = 10 * time.Second
	ctx := ctxT(t, 120*time.Second)
	srvs := startServers(t, 3)
	urls := []string{srvs[0].url(), srvs[1].url(), srvs[2].url()}
	prefix := testPrefix(t)
	a := connect(t, prefix, 3, urls...)
	b := connect(t, prefix, 3, urls[1], urls[2], urls[0])
	waitJS(t, a, 30*time.Second)
	var oa, ob *Outbox
	var err error
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(500 * time.Millisecond) {
		if oa, err = NewOutbox(ctx, a, OutboxOptions{Sealer: testSealer(t), AckWait: ackWaitT}); err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("journal stream with 3 replicas: %v", err)
		}
	}
	ob = newOutbox(t, b, OutboxOptions{AckWait: ackWaitT})

	var mu sync.Mutex
	acked, deliveries, slow := map[string]int{}, map[string]int{}, map[string]bool{}
	cctx, stop := context.WithCancel(ctx)
	consume := func(o *Outbox) {
		for cctx.Err() == nil {
			due, err := o.Due(cctx, time.Now(), 20)
			if err != nil || len(due) == 0 {
				time.Sleep(50 * time.Millisecond)
				continue
			}
			fetched := time.Now()
			for _, e := range due {
				err := o.Done(cctx, e.Key)
				mu.Lock()
				deliveries[e.Key]++
				if err == nil {
					acked[e.Key]++
				}
				// Held past AckWait, or its ack lost: the server may
				// deliver it again (the CRM's duplicate check covers it).
				slow[e.Key] = slow[e.Key] || err != nil || time.Since(fetched) >= ackWaitT
				mu.Unlock()
			}
		}
	}
	var wg sync.WaitGroup
	wg.Go(func() { consume(oa) })
	wg.Go(func() { consume(ob) })
	var want []string
	for i := range total {
		if i == total/2 {
			srvs[0].kill()
		}
		e := entry("crm1", fmt.Sprintf("call-%d", i), time.Now())
		want = append(want, e.Key)
		pubCtx, cancel := context.WithTimeout(ctx, 30*time.Second)
		for {
			err := ob.Add(pubCtx, e) // b is connected to the surviving servers first
			if err == nil || errors.Is(err, service.ErrDuplicate) {
				break
			}
			if pubCtx.Err() != nil {
				t.Fatalf("record %d never stored: %v", i, err)
			}
			time.Sleep(250 * time.Millisecond)
		}
		cancel()
	}
	// Wait until the queue is empty and every record was delivered.
	for ctx.Err() == nil {
		p, _, err := oa.Depth(ctx)
		mu.Lock()
		n := len(deliveries)
		mu.Unlock()
		if err == nil && p == 0 && n == total {
			break
		}
		time.Sleep(200 * time.Millisecond)
	}
	stop()
	wg.Wait()
	for _, k := range want {
		switch {
		case deliveries[k] == 0:
			t.Errorf("%s never delivered", k)
		case deliveries[k] > 1 && !slow[k]:
			t.Errorf("%s delivered %d times (acked %d) though every delivery was acked within AckWait", k, deliveries[k], acked[k])
		}
	}
	p, _, err := oa.Depth(ctx)
	for deadline := time.Now().Add(30 * time.Second); err != nil && time.Now().Before(deadline); time.Sleep(500 * time.Millisecond) {
		p, _, err = oa.Depth(ctx) // a request may time out during an election
	}
	if err != nil || p != 0 {
		t.Errorf("stream still holds %d records (%v)", p, err)
	}
}
