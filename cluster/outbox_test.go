package cluster

import (
	"errors"
	"sort"
	"testing"
	"time"

	"cidproxy/crm"
	"cidproxy/crm/service"
)

func newOutbox(t *testing.T, c *Conn, opts OutboxOptions) *Outbox {
	t.Helper()
	if opts.Sealer == nil {
		opts.Sealer = testSealer(t)
	}
	o, err := NewOutbox(ctxT(t, 30*time.Second), c, opts)
	if err != nil {
		t.Fatal(err)
	}
	return o
}

func keys(es []service.Entry) []string {
	var ks []string
	for _, e := range es {
		ks = append(ks, e.Key)
	}
	sort.Strings(ks)
	return ks
}

// TestOutboxAddIsDeduplicated: a record added twice is stored once
// (Nats-Msg-Id = key), and Depth counts it.
func TestOutboxAddIsDeduplicated(t *testing.T) {
	ctx := ctxT(t, 30*time.Second)
	o := newOutbox(t, shared(t), OutboxOptions{})
	e := entry("crm1", "call-1", time.Now())
	if err := o.Add(ctx, e); err != nil {
		t.Fatal(err)
	}
	if err := o.Add(ctx, e); !errors.Is(err, service.ErrDuplicate) {
		t.Fatalf("second Add: %v, want ErrDuplicate", err)
	}
	if p, d, err := o.Depth(ctx); err != nil || p != 1 || d != 0 {
		t.Fatalf("Depth = %d, %d, %v; want 1, 0", p, d, err)
	}
}

// TestOutboxLifecycle walks one record through every Outbox method as the
// journal uses them: due, back-off (state kept), dead letter, retry, done.
func TestOutboxLifecycle(t *testing.T) {
	ctx := ctxT(t, 60*time.Second)
	o := newOutbox(t, shared(t), OutboxOptions{})
	now := time.Now()
	a, b := entry("crm1", "call-a", now), entry("crm2", "call-b", now)
	later := entry("crm1", "call-later", now)
	later.NextTry = now.Add(time.Hour)
	for _, e := range []service.Entry{a, b, later} {
		if err := o.Add(ctx, e); err != nil {
			t.Fatal(err)
		}
	}
	due, err := o.Due(ctx, time.Now(), 10)
	if err != nil || len(due) != 2 {
		t.Fatalf("Due = %v, %v; want a and b (not the one due in an hour)", keys(due), err)
	}
	// a: sent and done.
	a.Sending, a.Attempts = true, 1
	if err := o.Update(ctx, a); err != nil {
		t.Fatal(err)
	}
	if err := o.Done(ctx, a.Key); err != nil {
		t.Fatal(err)
	}
	// b: failed, back off 1 s; its state survives the redelivery.
	b.Attempts, b.LastError, b.NextTry = 1, "503", time.Now().Add(time.Second)
	if err := o.Update(ctx, b); err != nil {
		t.Fatal(err)
	}
	if due, _ := o.Due(ctx, time.Now(), 10); len(due) != 0 {
		t.Fatalf("Due during back-off = %v", keys(due))
	}
	var got []service.Entry
	for deadline := time.Now().Add(10 * time.Second); len(got) == 0 && time.Now().Before(deadline); time.Sleep(200 * time.Millisecond) {
		got, _ = o.Due(ctx, time.Now(), 10)
	}
	if len(got) != 1 || got[0].Key != b.Key || got[0].Attempts != 1 || got[0].LastError != "503" || got[0].Event.CallID != "call-b" {
		t.Fatalf("redelivered %+v; want b with attempts 1 and its last error", got)
	}
	if err := o.Dead(ctx, got[0]); err != nil {
		t.Fatal(err)
	}
	dl, err := o.DeadLetters(ctx, "crm2")
	if err != nil || len(dl) != 1 || dl[0].Key != b.Key {
		t.Fatalf("DeadLetters(crm2) = %v, %v", keys(dl), err)
	}
	if dl, _ := o.DeadLetters(ctx, "crm1"); len(dl) != 0 {
		t.Fatalf("DeadLetters(crm1) = %v", keys(dl))
	}
	if p, d, err := o.Depth(ctx); err != nil || p != 1 || d != 1 {
		t.Fatalf("Depth = %d, %d, %v; want 1 (later), 1 (b)", p, d, err)
	}
	if err := o.Retry(ctx, b.Key, time.Now()); err != nil {
		t.Fatal(err)
	}
	due, err = o.Due(ctx, time.Now(), 10)
	if err != nil || len(due) != 1 || due[0].Key != b.Key || due[0].Attempts != 0 {
		t.Fatalf("after Retry Due = %+v, %v", due, err)
	}
	if err := o.Done(ctx, b.Key); err != nil {
		t.Fatal(err)
	}
	if err := o.Drop(ctx, b.Key); !errors.Is(err, crm.ErrNotFound) {
		t.Fatalf("Drop of a retried letter: %v, want ErrNotFound", err)
	}
	if p, d, _ := o.Depth(ctx); p != 1 || d != 0 {
		t.Fatalf("Depth = %d, %d; want 1, 0", p, d)
	}
}

// TestOutboxDrop: a dropped dead letter is gone for good.
func TestOutboxDrop(t *testing.T) {
	ctx := ctxT(t, 30*time.Second)
	o := newOutbox(t, shared(t), OutboxOptions{})
	e := entry("crm1", "call-drop", time.Now())
	if err := o.Add(ctx, e); err != nil {
		t.Fatal(err)
	}
	if due, err := o.Due(ctx, time.Now(), 10); err != nil || len(due) != 1 {
		t.Fatalf("Due = %v, %v", keys(due), err)
	}
	if err := o.Dead(ctx, e); err != nil {
		t.Fatal(err)
	}
	if err := o.Drop(ctx, e.Key); err != nil {
		t.Fatal(err)
	}
	if p, d, _ := o.Depth(ctx); p != 0 || d != 0 {
		t.Fatalf("Depth = %d, %d; want 0, 0", p, d)
	}
	if err := o.Update(ctx, e); err == nil {
		t.Fatal("Update of a record not in flight succeeded")
	}
}

// TestOutboxNodeDiesMidDelivery: node A takes a record, marks it sending
// and dies before the ack; node B gets it after AckWait, with the sending
// mark (so the journal counts a possible duplicate), exactly once.
func TestOutboxNodeDiesMidDelivery(t *testing.T) {
	ctx := ctxT(t, 60*time.Second)
	a := shared(t)
	b := connect(t, a.Prefix, 1, sharedURL)
	oa := newOutbox(t, a, OutboxOptions{AckWait: 2 * time.Second})
	ob := newOutbox(t, b, OutboxOptions{AckWait: 2 * time.Second})
	e := entry("crm1", "call-x", time.Now())
	if err := oa.Add(ctx, e); err != nil {
		t.Fatal(err)
	}
	due, err := oa.Due(ctx, time.Now(), 10)
	if err != nil || len(due) != 1 {
		t.Fatalf("A Due = %v, %v", keys(due), err)
	}
	due[0].Sending, due[0].Attempts = true, 1
	if err := oa.Update(ctx, due[0]); err != nil {
		t.Fatal(err)
	}
	a.NC.Close() // node A dies
	if due, _ := ob.Due(ctx, time.Now(), 10); len(due) != 0 {
		t.Fatalf("B got %v before AckWait", keys(due))
	}
	var got []service.Entry
	for deadline := time.Now().Add(15 * time.Second); len(got) == 0 && time.Now().Before(deadline); time.Sleep(200 * time.Millisecond) {
		got, _ = ob.Due(ctx, time.Now(), 10)
	}
	if len(got) != 1 || !got[0].Sending || got[0].Attempts != 1 {
		t.Fatalf("B got %+v; want the record marked sending, attempt 1", got)
	}
	if err := ob.Done(ctx, got[0].Key); err != nil {
		t.Fatal(err)
	}
	time.Sleep(2500 * time.Millisecond)
	if due, _ := ob.Due(ctx, time.Now(), 10); len(due) != 0 {
		t.Fatalf("record delivered again after Done: %v", keys(due))
	}
}
