package service

import (
	"bytes"
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"cidproxy/config"
	"cidproxy/sip/event"
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
