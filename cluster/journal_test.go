package cluster

import (
	"context"
	"fmt"
	"testing"
	"time"

	"cidproxy/config"
	"cidproxy/crm/crmtest"
	"cidproxy/crm/service"
	"cidproxy/lookup"
	"cidproxy/sip/event"
	"cidproxy/store"
)

// journalNode is one node's CRM service over its own store, with the
// cluster's journal outbox.
func journalNode(t *testing.T, ctx context.Context, c *Conn, z *crmtest.Zoho) *service.Service {
	t.Helper()
	db, err := store.Open(config.Store{Dir: t.TempDir()}, nil, store.WithLookup(config.Default().Lookup))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	if _, err := db.PutExtension(ctx, lookup.Extension{Number: "1001", Name: "Alice Agent", Email: "alice@example.com"}); err != nil {
		t.Fatal(err)
	}
	sealer := testSealer(t)
	remote := newOutbox(t, c, OutboxOptions{Sealer: sealer})
	co := NewComposite(c, service.NewKVOutbox(service.StoreKV(db.KV("crm")), sealer), remote)
	go co.Run(ctx, 200*time.Millisecond)
	ic := config.Integration{
		Name: "zoho", Template: "builtin:zoho",
		Fields:  map[string]string{"client_id": "1000.CLIENT", "client_secret": "zoho-secret-0123456789", "refresh_token": "1000.rt"},
		Lookup:  config.IntegrationLookup{Budget: config.Dur(2 * time.Second)},
		Users:   config.IntegrationUsers{AutoByEmail: true},
		Journal: config.Journal{Enabled: true},
	}
	svc, err := service.New(ctx, []config.Integration{ic}, service.Options{
		Store: db, KV: service.StoreKV(db.KV("crm")), Sealer: sealer, Normalize: db.Normalizer().Key,
		HTTP: z.Client(), Outbox: co, Timeout: 5 * time.Second,
	})
	if err != nil {
		t.Fatal(err)
	}
	go svc.Run(ctx)
	if !eventually(t, 10*time.Second, func() bool { return svc.Integrations()[0].Links()["1001"] != "" }) {
		t.Fatal("CRM users never linked")
	}
	return svc
}

// TestJournalTwoNodesOneRecordPerCall: calls that end on node A (and some
// on node B, some reported on both) reach the CRM through the journal
// workers of both nodes sharing the replicated outbox: exactly one Calls
// record per call, the queue empty afterwards.
func TestJournalTwoNodesOneRecordPerCall(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	z := crmtest.NewZoho("1000.CLIENT", "zoho-secret-0123456789")
	defer z.Close()
	z.OAuth.AddRefreshToken("1000.rt")
	z.AddUser(map[string]any{"id": "u-alice", "first_name": "Alice", "last_name": "Agent", "email": "alice@example.com"})
	a := shared(t)
	b := connect(t, a.Prefix, 1, sharedURL)
	sa, sb := journalNode(t, ctx, a, z), journalNode(t, ctx, b, z)
	const calls = 20
	start := time.Now().Add(-time.Minute).Truncate(time.Second)
	for i := range calls {
		ev := event.Event{Kind: event.Ended, CallID: fmt.Sprintf("%s-call-%d", a.Prefix, i), Direction: event.Inbound,
			Caller: event.Party{Number: fmt.Sprintf("+49301000%02d", i)}, Callee: event.Party{Number: "1001"},
			Start: start, Ring: start.Add(time.Second), Answer: start.Add(2 * time.Second), At: start.Add(30 * time.Second),
			End: start.Add(30 * time.Second), Talk: 28 * time.Second}
		switch i % 3 {
		case 0:
			sa.Record(ev)
		case 1:
			sb.Record(ev)
		default: // both nodes report it
			sa.Record(ev)
			sb.Record(ev)
		}
	}
	if !eventually(t, 30*time.Second, func() bool { return len(z.Created("Calls")) >= calls }) {
		t.Fatalf("%d Calls records, want %d", len(z.Created("Calls")), calls)
	}
	time.Sleep(2 * time.Second) // a duplicate would arrive now
	if got := len(z.Created("Calls")); got != calls {
		t.Fatalf("%d Calls records for %d calls", got, calls)
	}
	if !eventually(t, 10*time.Second, func() bool { p, d, err := sa.Outbox().Depth(ctx); return err == nil && p == 0 && d == 0 }) {
		p, d, err := sa.Outbox().Depth(ctx)
		t.Fatalf("outbox pending %d dead %d (%v) after delivery", p, d, err)
	}
}
