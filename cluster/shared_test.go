package cluster

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"cidproxy/api/stream"
	"cidproxy/sip/event"
)

// hubRec records delivered popup stream messages.
type hubRec struct {
	mu  sync.Mutex
	got []stream.Message
}

func (h *hubRec) Deliver(m stream.Message) {
	h.mu.Lock()
	h.got = append(h.got, m)
	h.mu.Unlock()
}

func (h *hubRec) calls() []string {
	h.mu.Lock()
	defer h.mu.Unlock()
	var ids []string
	for _, m := range h.got {
		ids = append(ids, m.Ext+":"+m.Call.CallID)
	}
	return ids
}

func eventually(t *testing.T, d time.Duration, cond func() bool) bool {
	t.Helper()
	for deadline := time.Now().Add(d); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if cond() {
			return true
		}
	}
	return cond()
}

// TestFanoutAcrossNodes: a call message published on node A reaches A's
// hub once (at once) and node B's hub once; a message of another cluster
// (prefix) does not.
func TestFanoutAcrossNodes(t *testing.T) {
	a := shared(t)
	b := connect(t, a.Prefix, 1, sharedURL)
	b.Node = "other"
	other := connect(t, testPrefix(t), 1, sharedURL)
	var ha, hb, ho hubRec
	fa, err := NewFanout(a, &ha)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := NewFanout(b, &hb); err != nil {
		t.Fatal(err)
	}
	if _, err := NewFanout(other, &ho); err != nil {
		t.Fatal(err)
	}
	for _, c := range []*Conn{a, b, other} {
		if err := c.NC.Flush(); err != nil {
			t.Fatal(err)
		}
	}
	m := stream.Message{Ext: "201", Call: &stream.Call{CallID: "c1", Phase: "ringing", At: time.Now()}}
	if err := fa.Publish(context.Background(), m); err != nil {
		t.Fatal(err)
	}
	if got := ha.calls(); len(got) != 1 || got[0] != "201:c1" {
		t.Fatalf("node A hub got %v at once; want [201:c1]", got)
	}
	if !eventually(t, 5*time.Second, func() bool { return len(hb.calls()) == 1 }) || hb.calls()[0] != "201:c1" {
		t.Fatalf("node B hub got %v", hb.calls())
	}
	time.Sleep(200 * time.Millisecond)
	if len(ha.calls()) != 1 || len(hb.calls()) != 1 || len(ho.calls()) != 0 {
		t.Fatalf("deliveries A %v B %v other cluster %v; want 1, 1, 0", ha.calls(), hb.calls(), ho.calls())
	}
	if got := extToken("a.b*"); got == "a.b*" || extToken("201") != "201" {
		t.Errorf("extToken(a.b*) = %q", got)
	}
}

// TestClaimsOnceAcrossNodes: of many concurrent claims of one popup on two
// nodes, exactly one wins.
func TestClaimsOnceAcrossNodes(t *testing.T) {
	ctx := ctxT(t, 30*time.Second)
	a := shared(t)
	b := connect(t, a.Prefix, 1, sharedURL)
	ca, err := NewClaims(ctx, a)
	if err != nil {
		t.Fatal(err)
	}
	cb, err := NewClaims(ctx, b)
	if err != nil {
		t.Fatal(err)
	}
	var wins, errs int
	var mu sync.Mutex
	var wg sync.WaitGroup
	for i := range 20 {
		c := ca
		if i%2 == 1 {
			c = cb
		}
		wg.Go(func() {
			ok, err := c.Claim(ctx, "201/popup-1")
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				errs++
			}
			if ok {
				wins++
			}
		})
	}
	wg.Wait()
	if wins != 1 || errs != 0 {
		t.Fatalf("wins %d errors %d; want 1, 0", wins, errs)
	}
	if ok, err := cb.Claim(ctx, "201/popup-2"); !ok || err != nil {
		t.Fatalf("another popup: %v %v", ok, err)
	}
}

// TestMissesShared: a miss put on node A is known on node B (from memory,
// after the watch delivers it) until it expires; a delete on B clears it
// on A; integrations are separate.
func TestMissesShared(t *testing.T) {
	ctx := ctxT(t, 30*time.Second)
	a := shared(t)
	b := connect(t, a.Prefix, 1, sharedURL)
	ma, err := NewMisses(ctx, a)
	if err != nil {
		t.Fatal(err)
	}
	defer ma.Close()
	ma.For("zoho").Put("+49301", time.Now().Add(time.Hour))
	ma.For("zoho").Put("+49302", time.Now().Add(-time.Second)) // expired
	mb, err := NewMisses(ctx, b)
	if err != nil {
		t.Fatal(err)
	}
	defer mb.Close()
	select {
	case <-mb.Ready():
	case <-ctx.Done():
		t.Fatal("mirror never loaded")
	}
	zb := mb.For("zoho")
	eventually(t, 5*time.Second, func() bool { return zb.Has("+49301", time.Now()) }) // A writes in the background
	if !zb.Has("+49301", time.Now()) || zb.Has("+49302", time.Now()) || mb.For("hubspot").Has("+49301", time.Now()) {
		t.Fatalf("B: has 301 %v, 302 (expired) %v, other integration %v", zb.Has("+49301", time.Now()), zb.Has("+49302", time.Now()), mb.For("hubspot").Has("+49301", time.Now()))
	}
	if zb.Has("+49301", time.Now().Add(2*time.Hour)) {
		t.Fatal("a miss outlived its expiry")
	}
	zb.Put("+49303", time.Now().Add(time.Hour))
	if !eventually(t, 5*time.Second, func() bool { return ma.For("zoho").Has("+49303", time.Now()) }) {
		t.Fatal("B's miss never reached A")
	}
	zb.Del("+49301")
	if !eventually(t, 5*time.Second, func() bool { return !ma.For("zoho").Has("+49301", time.Now()) }) {
		t.Fatal("B's delete never reached A")
	}
	if n := ma.For("zoho").Len(); n != 2 {
		t.Fatalf("A Len = %d; want 2 (302 expired but kept until the bucket drops it, 303)", n)
	}
}

// TestLeaseOneHolderAndTakeover: while node A runs leased work (longer
// than the TTL: it renews), node B does not get the lease; after A
// finishes the lease stays until it expires (one run per schedule); when
// A dies mid-run its work is stopped and B takes over after the TTL.
func TestLeaseOneHolderAndTakeover(t *testing.T) {
	ctx := ctxT(t, 60*time.Second)
	const ttl = 3 * time.Second
	a := shared(t)
	b := connect(t, a.Prefix, 1, sharedURL)
	b.Node = "node-b"
	la, err := NewLeases(ctx, a, ttl)
	if err != nil {
		t.Fatal(err)
	}
	lb, err := NewLeases(ctx, b, ttl)
	if err != nil {
		t.Fatal(err)
	}
	ran, err := la.Do(ctx, "sqlsync.erp", func(wctx context.Context) {
		for range 2 {
			time.Sleep(ttl)
			if ok, err := lb.Do(ctx, "sqlsync.erp", func(context.Context) { t.Error("B ran while A held the lease") }); ok || err != nil {
				t.Errorf("B Do = %v, %v", ok, err)
			}
		}
		if h, _ := lb.Holder(ctx, "sqlsync.erp"); h != a.Node {
			t.Errorf("holder %q; want %q", h, a.Node)
		}
		if wctx.Err() != nil {
			t.Error("A's work stopped while it held the lease")
		}
	})
	if !ran || err != nil {
		t.Fatalf("A Do = %v, %v", ran, err)
	}
	if ok, _ := lb.Do(ctx, "sqlsync.erp", func(context.Context) {}); ok {
		t.Fatal("B ran right after A finished: the same schedule would run twice")
	}
	if !eventually(t, 3*ttl, func() bool { h, _ := lb.Holder(ctx, "sqlsync.erp"); return h == "" }) {
		t.Fatal("lease never expired")
	}

	// A dies mid-run.
	stopped := make(chan struct{})
	go la.Do(ctx, "sqlsync.crm", func(wctx context.Context) {
		<-wctx.Done()
		close(stopped)
	})
	if !eventually(t, 5*time.Second, func() bool { h, _ := lb.Holder(ctx, "sqlsync.crm"); return h == a.Node }) {
		t.Fatal("A never took the lease")
	}
	a.NC.Close()
	select {
	case <-stopped:
	case <-time.After(3*ttl + 10*time.Second): // renewal failures on a loaded CI box take a while to surface
		t.Fatal("A's work went on after its lease was lost")
	}
	took := false
	if !eventually(t, 4*ttl, func() bool {
		ok, _ := lb.Do(ctx, "sqlsync.crm", func(context.Context) { took = true })
		return ok
	}) || !took {
		t.Fatal("B never took over the lease")
	}
}

// TestMissesLocalUntilAttachedAndSwept: before the bucket is set up the
// cache works on this node alone, and expired misses are swept from
// memory (the bucket's own expiry is not seen by the watch).
func TestMissesLocalUntilAttachedAndSwept(t *testing.T) {
	ms := newMisses(shared(t))
	v := ms.For("zoho")
	v.Put("+49301", time.Now().Add(time.Hour))
	if !v.Has("+49301", time.Now()) || ms.For("other").Has("+49301", time.Now()) {
		t.Fatal("local miss cache")
	}
	for i := range sweepEvery {
		v.Put(fmt.Sprintf("+4940%07d", i), time.Now().Add(-time.Second))
	}
	if n := v.Len(); n > 2 || !v.Has("+49301", time.Now()) {
		t.Fatalf("Len after a sweep = %d; want the unexpired miss and at most the one expired put after the sweep", n)
	}
	if err := ms.Close(); err != nil {
		t.Fatal(err)
	}
}

// lateHub lets a Fanout be built before its hub.
type lateHub struct{ h atomic.Pointer[stream.Hub] }

func (l *lateHub) Deliver(m stream.Message) {
	if h := l.h.Load(); h != nil {
		h.Deliver(m)
	}
}

// clusterHub is one node's popup hub on c.
func clusterHub(t *testing.T, c *Conn) *stream.Hub {
	t.Helper()
	var late lateHub
	f, err := NewFanout(c, &late)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	cl, err := NewClaims(ctxT(t, 10*time.Second), c)
	if err != nil {
		t.Fatal(err)
	}
	h := stream.New(stream.Options{Fanout: f, Claims: cl})
	late.h.Store(h)
	return h
}

// TestPopupHubsAcrossNodes: a call handled by node A's hub reaches a
// browser stream on node B (and one on A), once each.
func TestPopupHubsAcrossNodes(t *testing.T) {
	a := shared(t)
	b := connect(t, a.Prefix, 1, sharedURL)
	b.Node = "node-b"
	ha, hb := clusterHub(t, a), clusterHub(t, b)
	ca, _ := ha.Subscribe("1001", "")
	cb, _ := hb.Subscribe("1001", "")
	if err := b.NC.Flush(); err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	ha.HandleEvent(context.Background(), event.Event{Kind: event.Ringing, CallID: "call-x", Direction: event.Inbound,
		Caller: event.Party{Number: "+4930111"}, Callee: event.Party{Number: "1001"}, Start: now, At: now})
	for name, c := range map[string]*stream.Client{"A": ca, "B": cb} {
		select {
		case f := <-c.C():
			if f.Type != stream.TypeCall || !strings.Contains(string(f.Data), `"call_id":"call-x"`) {
				t.Errorf("node %s frame %s %s", name, f.Type, f.Data)
			}
		case <-time.After(5 * time.Second):
			t.Fatalf("node %s's browser got nothing", name)
		}
	}
	select {
	case f := <-cb.C():
		t.Fatalf("node B got a second frame %s %s", f.Type, f.Data)
	case <-time.After(300 * time.Millisecond):
	}
}
