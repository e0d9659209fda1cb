package service

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"cidproxy/config"
	"cidproxy/crm"
	"cidproxy/crm/crmtest"
	"cidproxy/lookup"
	"cidproxy/sip/event"
	"cidproxy/store"
)

const (
	zid     = "1000.CLIENT"
	zsecret = "zoho-secret-0123456789"
	zrt     = "1000.refresh-token-abcdef"
)

// env is a store, a fake Zoho behind a front that can fail or hang the
// Calls endpoint, and a Service with one integration "zoho".
type env struct {
	db       *store.DB
	z        *crmtest.Zoho
	svc      *Service
	reg      *prometheus.Registry
	searches atomic.Int64
	calls    atomic.Int64
	failCall atomic.Int64 // >0: POST .../Calls answers this status
	delay    atomic.Int64 // search delay, ns
	hang     chan struct{}
	logs     *bytes.Buffer
}

func newEnv(t *testing.T, mod func(*config.Integration)) *env {
	t.Helper()
	e := &env{hang: make(chan struct{}), logs: &bytes.Buffer{}}
	e.db = newStore(t, e.logs)
	e.z = crmtest.NewZoho(zid, zsecret)
	t.Cleanup(e.z.Close)
	e.z.OAuth.AddRefreshToken(zrt)
	e.z.AddUser(map[string]any{"id": "u-alice", "first_name": "Alice", "last_name": "Agent", "email": "alice@example.com"})
	front := crmtest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasSuffix(r.URL.Path, "/search") {
			e.searches.Add(1)
			if d := time.Duration(e.delay.Load()); d > 0 {
				select {
				case <-time.After(d):
				case <-e.hang:
				case <-r.Context().Done():
					return
				}
			}
		}
		if r.Method == http.MethodPost && strings.HasSuffix(r.URL.Path, "/Calls") {
			e.calls.Add(1)
			if code := e.failCall.Load(); code > 0 {
				http.Error(w, `{"code":"INTERNAL_ERROR"}`, int(code))
				return
			}
		}
		e.z.Recorder.ServeHTTP(w, r)
	}))
	t.Cleanup(front.Close)
	t.Cleanup(func() { close(e.hang) })
	ic := config.Integration{
		Name: "zoho", Template: "builtin:zoho",
		Fields:  map[string]string{"client_id": zid, "client_secret": zsecret, "refresh_token": zrt},
		Lookup:  config.IntegrationLookup{Budget: config.Dur(2 * time.Second)},
		Users:   config.IntegrationUsers{AutoByEmail: true},
		Journal: config.Journal{Enabled: true},
	}
	if mod != nil {
		mod(&ic)
	}
	e.reg = prometheus.NewRegistry()
	e.svc = newService(t, e.db, e.logs, e.reg, front.Client(), ic)
	return e
}

// newStore opens a store in a temporary directory with extensions 1001
// (Alice, alice@example.com) and 1002 (Bob).
func newStore(t *testing.T, logs *bytes.Buffer) *store.DB { return newStoreTB(t, logs) }

func newStoreTB(t testing.TB, logs *bytes.Buffer) *store.DB {
	t.Helper()
	log := slog.New(slog.NewTextHandler(&lockedWriter{w: logs}, &slog.HandlerOptions{Level: slog.LevelInfo}))
	db, err := store.Open(config.Store{Dir: t.TempDir()}, log, store.WithLookup(config.Default().Lookup))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	for _, x := range []lookup.Extension{{Number: "1001", Name: "Alice Agent", Email: "alice@example.com"}, {Number: "1002", Name: "Bob Agent", Email: "bob@example.com"}} {
		if _, err := db.PutExtension(context.Background(), x); err != nil {
			t.Fatal(err)
		}
	}
	return db
}

// newService builds a Service with one integration over db.
func newService(t *testing.T, db *store.DB, logs *bytes.Buffer, reg *prometheus.Registry, client *http.Client, ic config.Integration) *Service {
	return newServiceTB(t, db, logs, reg, client, ic)
}

func newServiceTB(t testing.TB, db *store.DB, logs *bytes.Buffer, reg *prometheus.Registry, client *http.Client, ic config.Integration) *Service {
	t.Helper()
	sealer, err := crm.NewSealer(bytes.Repeat([]byte{9}, crm.KeySize))
	if err != nil {
		t.Fatal(err)
	}
	log := slog.New(slog.NewTextHandler(&lockedWriter{w: logs}, &slog.HandlerOptions{Level: slog.LevelInfo}))
	svc, err := New(context.Background(), []config.Integration{ic}, Options{
		Store: db, KV: StoreKV(db.KV("crm")), Sealer: sealer, Normalize: db.Normalizer().Key,
		HTTP: client, Logger: log, Registerer: reg, Timeout: 5 * time.Second, BreakerCooldown: 20 * time.Millisecond,
	})
	if err != nil {
		t.Fatal(err)
	}
	return svc
}

type lockedWriter struct {
	mu sync.Mutex
	w  *bytes.Buffer
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

func (e *env) resolver() *Resolver { return e.svc.Resolver(e.db.Resolver()) }

func (e *env) lookups(outcome string) float64 {
	return testutil.ToFloat64(e.svc.m.lookups.WithLabelValues("zoho", outcome))
}

func addZohoContact(z *crmtest.Zoho, id, first, last, phone string) {
	z.AddRecord("Contacts", map[string]any{"id": id, "First_Name": first, "Last_Name": last, "Phone": phone, "Email": strings.ToLower(first) + "@acme.example"})
}

func TestLookupNamesFromCRMAndStoresTheContact(t *testing.T) {
	e := newEnv(t, nil)
	addZohoContact(e.z, "c-77", "Clara", "Customer", "+49 30 5550177")
	r := e.resolver()
	ctx := context.Background()
	res, err := r.Lookup(ctx, lookup.Query{Number: "+49305550177", Callee: "1001"})
	if err != nil {
		t.Fatal(err)
	}
	if res.Name != "Clara Customer" || res.Source != lookup.SourceCRM || res.Integration != "zoho" {
		t.Fatalf("result %+v", res)
	}
	if !strings.Contains(res.URL, "c-77") {
		t.Fatalf("contact URL %q does not name the record", res.URL)
	}
	// The contact is in the integration's read-only phonebook ...
	pb, err := e.db.PhonebookByName(ctx, "zoho CRM")
	if err != nil || !pb.ReadOnly || pb.Source != "crm:zoho" || !pb.ViewAll {
		t.Fatalf("phonebook %+v, %v", pb, err)
	}
	c, err := e.db.GetContact(ctx, res.ContactID)
	if err != nil || c.Source != "crm:zoho" || !c.ReadOnly || c.FirstName != "Clara" {
		t.Fatalf("stored contact %+v, %v", c, err)
	}
	// ... so the next call is named locally, with no CRM request.
	before := e.searches.Load()
	res2, err := r.Lookup(ctx, lookup.Query{Number: "030 5550177", Callee: "1002"})
	if err != nil || res2.Name != "Clara Customer" || res2.Source != lookup.SourceCompany {
		t.Fatalf("second lookup %+v, %v", res2, err)
	}
	if res2.Integration != "zoho" || res2.URL != res.URL {
		t.Fatalf("local hit lost the CRM record: %+v", res2)
	}
	if n := e.searches.Load() - before; n != 0 {
		t.Fatalf("second call asked the CRM %d times", n)
	}
}

func TestMissIsCachedAndConcurrentCallsShareOneSearch(t *testing.T) {
	e := newEnv(t, nil)
	e.delay.Store(int64(200 * time.Millisecond))
	r := e.resolver()
	var wg sync.WaitGroup
	for range 10 {
		wg.Go(func() {
			if _, err := r.Lookup(context.Background(), lookup.Query{Number: "+4940123456", Callee: "1001"}); err == nil {
				t.Error("unknown number named")
			}
		})
	}
	wg.Wait()
	// The Zoho template searches contacts and leads: one search per type.
	// The Zoho template searches Contacts, Leads and Accounts: one request each.
	if n := e.searches.Load(); n != 3 {
		t.Fatalf("10 concurrent calls made %d searches, want 3 (one per contact type)", n)
	}
	if _, err := r.Lookup(context.Background(), lookup.Query{Number: "+4940123456"}); err == nil {
		t.Fatal("named")
	}
	if n := e.searches.Load(); n != 3 {
		t.Fatalf("a cached miss searched again (%d)", n)
	}
	if e.lookups(outcomeMiss) != 10 || e.lookups(outcomeCached) != 1 {
		t.Fatalf("miss=%v cached=%v", e.lookups(outcomeMiss), e.lookups(outcomeCached))
	}
}

func TestHangingCRMCostsAtMostTheBudget(t *testing.T) {
	e := newEnv(t, func(c *config.Integration) { c.Lookup.Budget = config.Dur(150 * time.Millisecond) })
	addZohoContact(e.z, "c-9", "Late", "Larry", "+49 89 1234567")
	e.delay.Store(int64(time.Hour))
	r := e.resolver()
	start := time.Now()
	_, err := r.Lookup(context.Background(), lookup.Query{Number: "+49891234567"})
	if el := time.Since(start); el > 600*time.Millisecond {
		t.Fatalf("lookup took %v with a 150ms budget", el)
	}
	if err == nil {
		t.Fatal("hanging CRM named the caller")
	}
	if e.lookups(outcomeBudgetExceeded) != 1 {
		t.Fatalf("budget_exceeded = %v", e.lookups(outcomeBudgetExceeded))
	}
}

func TestLateAnswerLandsInThePhonebook(t *testing.T) {
	e := newEnv(t, func(c *config.Integration) { c.Lookup.Budget = config.Dur(50 * time.Millisecond) })
	addZohoContact(e.z, "c-5", "Slow", "Sam", "+49 89 7654321")
	e.delay.Store(int64(400 * time.Millisecond))
	r := e.resolver()
	if _, err := r.Lookup(context.Background(), lookup.Query{Number: "+49897654321"}); err == nil {
		t.Fatal("named within 50ms by a 400ms CRM")
	}
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		if res, err := e.db.Resolver().Lookup(context.Background(), lookup.Query{Number: "+49897654321", Callee: "1001"}); err == nil {
			if res.Name != "Slow Sam" {
				t.Fatalf("late answer stored as %q", res.Name)
			}
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatal("the late CRM answer never reached the phonebook")
}

func TestPhonebookOfAnotherSourceIsRefused(t *testing.T) {
	e := newEnv(t, func(c *config.Integration) { c.Sync.Phonebook = "Sales" })
	if _, err := e.db.PutPhonebook(context.Background(), lookup.Phonebook{Name: "Sales", ViewAll: true}); err != nil {
		t.Fatal(err)
	}
	addZohoContact(e.z, "c-1", "Ann", "Other", "+49 30 1111111")
	res, err := e.resolver().Lookup(context.Background(), lookup.Query{Number: "+49301111111"})
	if err != nil || res.Name != "Ann Other" {
		t.Fatalf("the call must still get the CRM name: %+v %v", res, err)
	}
	if res.ContactID != "" {
		t.Fatalf("contact written into a manual phonebook: %s", res.ContactID)
	}
	if !strings.Contains(e.logs.String(), "another source") {
		t.Fatalf("no clear error logged: %s", e.logs.String())
	}
}

// ev is a finished call for the journal tests.
func ev(kind event.Kind, id, caller, callee string, dir event.Direction, start time.Time, talk time.Duration) event.Event {
	e := event.Event{Kind: kind, CallID: id, Direction: dir, Caller: event.Party{Number: caller}, Callee: event.Party{Number: callee},
		Start: start, Ring: start.Add(time.Second), At: start.Add(2*time.Second + talk), End: start.Add(2*time.Second + talk)}
	if kind == event.Ended {
		e.Answer = start.Add(2 * time.Second)
		e.Talk = talk
	}
	return e
}

func (e *env) flushUntil(t *testing.T, n int) {
	t.Helper()
	e.svc.Integrations()[0].loadUsers(context.Background())
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		e.svc.Flush(context.Background())
		if len(e.z.Created("Calls")) >= n {
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("journal: %d records, want %d; logs:\n%s", len(e.z.Created("Calls")), n, e.logs.String())
}

func TestJournalOneRecordPerCall(t *testing.T) {
	e := newEnv(t, nil)
	e.svc.opts.Now = func() time.Time { return time.Now().Add(time.Minute) } // past the missed-call settle time
	start := time.Now().Add(-time.Hour).Truncate(time.Second)
	calls := []event.Event{
		ev(event.Ended, "a1", "+4930111", "1001", event.Inbound, start, 75*time.Minute+3*time.Second),
		ev(event.Ended, "a2", "1001", "+4930222", event.Outbound, start, 30*time.Second),
		ev(event.Cancelled, "m1", "+4930333", "1001", event.Inbound, start, 0),
		ev(event.Busy, "m2", "+4930444", "1001", event.Inbound, start, 0),
		ev(event.Ended, "x1", "+4930555", "1002", event.Inbound, start, time.Second), // 1002 is not linked
		ev(event.Ended, "i1", "1001", "1002", event.Internal, start, time.Second),    // internal: never
	}
	for _, c := range calls {
		e.svc.Record(ev(event.Ringing, c.CallID, c.Caller.Number, c.Callee.Number, c.Direction, start, 0)) // not terminal: ignored
		e.svc.Record(c)
		e.svc.Record(c) // a repeated end event adds nothing
	}
	e.flushUntil(t, 4)
	time.Sleep(100 * time.Millisecond)
	e.svc.Flush(context.Background())
	got := e.z.Created("Calls")
	if len(got) != 4 {
		t.Fatalf("%d Calls records, want 4 (2 answered + 2 missed): %v", len(got), got)
	}
	results := map[string]int{}
	for _, r := range got {
		results[fmt.Sprint(r["Call_Result"])]++
		if o, _ := r["Owner"].(map[string]any); o == nil || o["id"] != "u-alice" {
			t.Errorf("record without the linked owner: %v", r)
		}
	}
	if results[crm.DispositionAnswered] != 2 || results[crm.DispositionMissed]+results[crm.DispositionBusy] != 2 {
		t.Fatalf("Call_Result counts %v", results)
	}
	if p, d, _ := e.svc.Outbox().Depth(context.Background()); p != 0 || d != 0 {
		t.Fatalf("outbox pending=%d dead=%d after delivery", p, d)
	}
}

func TestJournalRingGroupOneMissedRecord(t *testing.T) {
	e := newEnv(t, func(c *config.Integration) { c.Users.Map = map[string]string{"1002": "u-bob"} })
	e.svc.opts.Now = func() time.Time { return time.Now().Add(time.Minute) }
	start := time.Now().Add(-time.Hour)
	// Group 1: two phones ring, nobody answers: one missed record.
	e.svc.Record(ev(event.Cancelled, "g1-a", "+4930999", "1001", event.Inbound, start, 0))
	e.svc.Record(ev(event.Cancelled, "g1-b", "+4930999", "1002", event.Inbound, start.Add(10*time.Millisecond), 0))
	// Group 2: two phones ring, 1002 answers: only the answered leg.
	s2 := start.Add(10 * time.Minute)
	cancelled := ev(event.Cancelled, "g2-a", "+4930888", "1001", event.Inbound, s2, 0)
	e.svc.Record(ev(event.Ended, "g2-b", "+4930888", "1002", event.Inbound, s2, time.Minute))
	e.svc.Record(cancelled)
	e.flushUntil(t, 2)
	time.Sleep(100 * time.Millisecond)
	e.svc.Flush(context.Background())
	got := e.z.Created("Calls")
	if len(got) != 2 {
		t.Fatalf("%d records, want 2: %v", len(got), got)
	}
}

func TestJournalSurvivesCRMOutageAndDeadLetters(t *testing.T) {
	e := newEnv(t, nil)
	e.failCall.Store(500)
	start := time.Now().Add(-time.Hour)
	e.svc.Record(ev(event.Ended, "o1", "+4930123", "1001", event.Inbound, start, time.Minute))
	e.svc.Integrations()[0].loadUsers(context.Background())
	for i := range journalAttempts {
		// Each attempt fails; the clock passes the backoff before the next.
		at := time.Now().Add(time.Duration(i+1) * 2 * time.Hour)
		e.svc.opts.Now = func() time.Time { return at }
		time.Sleep(30 * time.Millisecond) // past the breaker's cooldown
		e.svc.Flush(context.Background())
	}
	if n := len(e.z.Created("Calls")); n != 0 {
		t.Fatalf("%d records created while the CRM failed", n)
	}
	dead, err := e.svc.Outbox().DeadLetters(context.Background(), "zoho")
	if err != nil || len(dead) != 1 || !strings.Contains(dead[0].LastError, "500") {
		t.Fatalf("dead letters %+v, %v", dead, err)
	}
	// The CRM recovers; an operator retries the dead letter: one record.
	e.failCall.Store(0)
	e.svc.opts.Now = time.Now
	if err := e.svc.Outbox().Retry(context.Background(), dead[0].Key, time.Now()); err != nil {
		t.Fatal(err)
	}
	e.flushUntil(t, 1)
	e.svc.Flush(context.Background())
	if n := len(e.z.Created("Calls")); n != 1 {
		t.Fatalf("%d records after retry, want 1", n)
	}
	if e.calls.Load() != journalAttempts+1 {
		t.Fatalf("%d POSTs, want %d", e.calls.Load(), journalAttempts+1)
	}
}

func TestOutboxAddIsIdempotentAcrossRestart(t *testing.T) {
	e := newEnv(t, nil)
	ob := e.svc.Outbox()
	en := Entry{Key: EntryKey("zoho", "c1"), Integration: "zoho", Event: event.Event{CallID: "c1", Kind: event.Ended}}
	if err := ob.Add(context.Background(), en); err != nil {
		t.Fatal(err)
	}
	if err := ob.Done(context.Background(), en.Key); err != nil {
		t.Fatal(err)
	}
	// A second outbox over the same KV (a restart) refuses the done key.
	ob2 := NewKVOutbox(e.svc.opts.KV, e.svc.opts.Sealer)
	if err := ob2.Add(context.Background(), en); err != ErrDuplicate {
		t.Fatalf("re-adding a delivered record: %v", err)
	}
	b, _ := json.Marshal(en)
	if bytes.Contains(mustGet(t, e, "journal/done/"+en.Key), b) {
		t.Fatal("done marker keeps the record")
	}
}

func mustGet(t *testing.T, e *env, key string) []byte {
	v, err := e.svc.opts.KV.Get(context.Background(), key)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func TestWithheldCallersNeverReachTheCRM(t *testing.T) {
	e := newEnv(t, nil)
	addZohoContact(e.z, "c-1", "Secret", "Caller", "+49 30 4440001")
	if _, err := e.resolver().LookupLocal(context.Background(), lookup.Query{Number: "+49304440001"}); err == nil {
		t.Fatal("LookupLocal named a caller only the CRM knows")
	}
	if n := e.searches.Load(); n != 0 {
		t.Fatalf("LookupLocal sent %d searches to the CRM", n)
	}
}

func TestAlwaysQueryPrefersTheCRMName(t *testing.T) {
	e := newEnv(t, func(c *config.Integration) { c.Lookup.AlwaysQuery = true })
	ctx := context.Background()
	pb, err := e.db.PutPhonebook(ctx, lookup.Phonebook{Name: "Old", ViewAll: true})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.db.PutContact(ctx, lookup.Contact{FirstName: "Stale", LastName: "Name", Business: "+49 30 4440002", Phonebooks: []string{pb.ID}}); err != nil {
		t.Fatal(err)
	}
	addZohoContact(e.z, "c-2", "Fresh", "Name", "+49 30 4440002")
	res, err := e.resolver().Lookup(ctx, lookup.Query{Number: "+49304440002", Callee: "1001"})
	if err != nil || res.Name != "Fresh Name" || res.Source != lookup.SourceCRM {
		t.Fatalf("always_query: %+v %v", res, err)
	}
	// A dead CRM leaves the local name.
	e.delay.Store(int64(time.Hour))
	e.svc.Get("zoho").misses.Del("+49304440003")
	if _, err := e.db.PutContact(ctx, lookup.Contact{FirstName: "Local", LastName: "Only", Business: "+49 30 4440003", Phonebooks: []string{pb.ID}}); err != nil {
		t.Fatal(err)
	}
	e.svc.Get("zoho").cfg.Lookup.Budget = config.Dur(50 * time.Millisecond)
	res, err = e.resolver().Lookup(ctx, lookup.Query{Number: "+49304440003", Callee: "1001"})
	if err != nil || res.Name != "Local Only" {
		t.Fatalf("always_query with a hung CRM: %+v %v", res, err)
	}
}

// A hung CRM: searches beyond 4×MaxConcurrentRequest are shed at once
// instead of queueing, and the breaker opens within seconds (the
// call-path search timeout), after which calls cost nothing.
func TestHungCRMShedsSearchesAndOpensTheBreaker(t *testing.T) {
	e := newEnv(t, func(c *config.Integration) { c.Lookup.Budget = config.Dur(50 * time.Millisecond) })
	e.delay.Store(int64(time.Hour))
	r := e.resolver()
	limit := maxPendingPer * e.svc.Get("zoho").it.Template().MaxConcurrent(crm.DefaultMaxConcurrent)
	var wg sync.WaitGroup
	for i := range limit + 10 {
		wg.Go(func() {
			_, _ = r.Lookup(context.Background(), lookup.Query{Number: fmt.Sprintf("+49 30 77%06d", i)})
		})
	}
	wg.Wait()
	if got := e.lookups(outcomeOverloaded); got != 10 {
		t.Fatalf("overloaded = %v, want 10 (searches beyond %d shed)", got, limit)
	}
	if got := e.lookups(outcomeBudgetExceeded); got != float64(limit) {
		t.Fatalf("budget_exceeded = %v, want %d", got, limit)
	}
	deadline := time.Now().Add(searchTimeout + 5*time.Second)
	for i := 0; time.Now().Before(deadline); i++ {
		start := time.Now()
		_, _ = r.Lookup(context.Background(), lookup.Query{Number: fmt.Sprintf("+49 40 88%06d", i)})
		if e.lookups(outcomeBreakerOpen) > 0 {
			if d := time.Since(start); d > 40*time.Millisecond {
				t.Fatalf("a lookup with the breaker open took %v", d)
			}
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatal("the breaker did not open while the CRM hung")
}

func TestOutboundJournalNamesACRMOnlyContact(t *testing.T) {
	e := newEnv(t, func(c *config.Integration) {
		c.Users = config.IntegrationUsers{Map: map[string]string{"1001": "u-alice"}}
	})
	e.svc.Resolver(e.db.Resolver())
	addZohoContact(e.z, "c-out", "Olga", "Outbound", "+49 30 6660001")
	start := time.Now().Add(-time.Hour)
	e.svc.Record(ev(event.Ended, "out-crm", "1001", "+49306660001", event.Outbound, start, time.Minute))
	e.flushUntil(t, 1)
	got := e.z.Created("Calls")
	if len(got) != 1 {
		t.Fatalf("%d records", len(got))
	}
	if who, _ := got[0]["Who_Id"].(map[string]any); who == nil || who["id"] != "c-out" {
		t.Fatalf("outbound record without the CRM contact: %v", got[0])
	}
}
