package service

import (
	"bytes"
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"cidproxy/config"
	"cidproxy/lookup"
	"cidproxy/sip/event"
	"cidproxy/store"
)

// BenchmarkRecord is the journal's cost on the SIP goroutine at a call's
// end: one sealed outbox write to Badger (no fsync unless
// store.sync_writes).
func BenchmarkRecord(b *testing.B) {
	svc := benchService(b)
	start := time.Now()
	b.ReportAllocs()
	b.ResetTimer()
	for i := range b.N {
		svc.Record(ev(event.Ended, fmt.Sprint("bench-", i), "+4930123456", "1001", event.Inbound, start, time.Minute))
	}
}

// BenchmarkOutboxDueWithBacklog is one worker tick with 20,000 records
// waiting for a CRM that is down (none due): it must not unseal the
// backlog every second.
func BenchmarkOutboxDueWithBacklog(b *testing.B) {
	svc := benchService(b)
	later := time.Now().Add(time.Hour)
	ctx := context.Background()
	for i := range 20_000 {
		e := Entry{Key: EntryKey("zoho", fmt.Sprint("c", i)), Integration: "zoho", NextTry: later,
			Event: event.Event{CallID: fmt.Sprint("c", i), Kind: event.Ended}}
		if err := svc.Outbox().Add(ctx, e); err != nil {
			b.Fatal(err)
		}
	}
	b.ResetTimer()
	for range b.N {
		if due, err := svc.Outbox().Due(ctx, time.Now(), journalBatch); err != nil || len(due) != 0 {
			b.Fatal(len(due), err)
		}
	}
}

func benchService(b *testing.B) *Service {
	b.Helper()
	logs := &bytes.Buffer{}
	db := newStoreTB(b, logs)
	return newServiceTB(b, db, logs, prometheus.NewRegistry(), nil, config.Integration{
		Name: "zoho", Template: "builtin:zoho", Fields: map[string]string{"client_id": zid, "client_secret": zsecret},
		Journal: config.Journal{Enabled: true}})
}

// BenchmarkResolverLocalHit is the INVITE path's lookup through the
// service's Resolver when a local source knows the caller: the store's
// resolver plus the synced-contact annotation; it must stay 0 allocs.
func BenchmarkResolverLocalHit(b *testing.B) {
	svc := benchService(b)
	db := svc.opts.Store.(*store.DB)
	ctx := context.Background()
	pb, err := db.PutPhonebook(ctx, lookup.Phonebook{Name: "All", ViewAll: true})
	if err != nil {
		b.Fatal(err)
	}
	if _, err := db.PutContact(ctx, lookup.Contact{FirstName: "Ann", Business: "+49 30 1234567", Phonebooks: []string{pb.ID}}); err != nil {
		b.Fatal(err)
	}
	r := svc.Resolver(db.Resolver())
	q := lookup.Query{Number: "+49301234567", Callee: "1001"}
	if res, err := r.Lookup(ctx, q); err != nil || res.Name != "Ann" {
		b.Fatal(res, err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		if _, err := r.Lookup(ctx, q); err != nil {
			b.Fatal(err)
		}
	}
}
