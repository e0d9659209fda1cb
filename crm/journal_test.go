package crm

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"cidproxy/crm/crmtest"
)

func TestJournalOutbox(t *testing.T) {
	ctx := context.Background()
	kv := NewMemKV()
	z, it, _ := newZoho(t, kv, nil)
	authorize(t, it, z.Server)
	j := NewJournal(it, kv, testSealer(t))
	now := time.Now()
	j.now = func() time.Time { return now }
	j.backoff = Backoff{Base: time.Minute, Max: time.Minute}

	rec := answeredCall(&Contact{ID: "1", Type: "Contacts"})
	if err := j.Enqueue(ctx, rec); err == nil {
		t.Fatal("record without CallID accepted")
	}
	rec.CallID = "a84b4c76e66710@pc33.example.com"
	if err := j.Enqueue(ctx, rec); err != nil {
		t.Fatal(err)
	}
	keys, _ := kv.List(ctx, "crm/outbox/")
	raw, _ := kv.Get(ctx, keys[0])
	if strings.Contains(string(raw), "49301234567") || strings.Contains(keys[0], "pc33") {
		t.Fatal("outbox entry not sealed")
	}
	// The CRM fails once (500 on a POST is not retried by the client).
	z.Reset()
	z.Server.FailNext(1, crmtest.Fault{Status: 500})
	if n, err := j.Flush(ctx); n != 0 || err != nil {
		t.Fatalf("flush 1: %d %v", n, err)
	}
	if n, _ := j.Flush(ctx); n != 0 {
		t.Fatal("retried before the backoff elapsed")
	}
	now = now.Add(2 * time.Minute)
	if n, err := j.Flush(ctx); n != 1 || err != nil {
		t.Fatalf("flush 3: %d %v", n, err)
	}
	if calls := z.Created("Calls"); len(calls) != 1 {
		t.Fatalf("%d calls journaled", len(calls))
	}
	if p, _ := j.Pending(ctx); p != 0 {
		t.Fatalf("pending %d", p)
	}
	// The same call again (a queue call seen by several workers) is refused.
	if err := j.Enqueue(ctx, rec); !errors.Is(err, ErrDuplicateCall) {
		t.Fatalf("duplicate: %v", err)
	}
	// After the done-marker TTL the CallID is forgotten.
	now = now.Add(journalDoneTTL + time.Hour)
	if _, err := j.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	if keys, _ := kv.List(ctx, "crm/journaled/"); len(keys) != 0 {
		t.Fatalf("done markers not pruned: %v", keys)
	}
}

func TestJournalDropsPermanentFailures(t *testing.T) {
	ctx := context.Background()
	kv := NewMemKV()
	z, it, _ := newZoho(t, kv, nil)
	authorize(t, it, z.Server)
	j := NewJournal(it, kv, testSealer(t))
	rec := answeredCall(nil)
	rec.CallID = "bad-request"
	_ = j.Enqueue(ctx, rec)
	z.Server.FailNext(1, crmtest.Fault{Status: 400, Body: `{"data":[{"code":"MANDATORY_NOT_FOUND"}]}`})
	if n, err := j.Flush(ctx); n != 0 || err != nil {
		t.Fatalf("%d %v", n, err)
	}
	if p, _ := j.Pending(ctx); p != 0 {
		t.Fatal("a 400 is not retried forever")
	}
}
