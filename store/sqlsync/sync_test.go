package sqlsync

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"cidproxy/config"
	"cidproxy/lookup"
	"cidproxy/store"
)

// TestSyncLifecycle: rows become read-only contacts; a changed row is
// updated and the others left alone; a deleted row stays without
// remove_missing and goes with it; a bad row is reported, not fatal.
func TestSyncLifecycle(t *testing.T) {
	eachServer(t, func(t *testing.T, d *testDB) {
		db := openStore(t)
		d.insert(t, 1, "Ann", "Alt", "", "+49 30 1111111", "", "")
		d.insert(t, 2, "Bob", "Bau", "", "030 2222222", "0171 2222222", "")
		d.insert(t, 3, "", "", "Cargo GmbH", "+49 30 3333333", "", "")
		s := newSyncer(t, db, nil, d.source("erp"))
		if got := countsOf(syncNow(t, s, "erp")); got != (counts{Outcome: OutcomeSuccess, Added: 3}) {
			t.Fatalf("first sync: %+v", got)
		}
		if n := nameOf(db, "+491712222222"); n != "Bob Bau" {
			t.Errorf("mobile lookup: %q", n)
		}
		pb, err := db.PhonebookByName(context.Background(), "ERP erp")
		if err != nil || !pb.ReadOnly || pb.Source != "sql:erp" {
			t.Fatalf("phonebook %+v %v", pb, err)
		}
		cs, _, _ := db.ListContacts(context.Background(), "", 10)
		for _, c := range cs {
			if !c.ReadOnly || c.Source != "sql:erp" || len(c.Phonebooks) != 1 || c.Phonebooks[0] != pb.ID {
				t.Errorf("synced contact %+v", c)
			}
		}
		rev := db.Rev()
		if got := countsOf(syncNow(t, s, "erp")); got != (counts{Outcome: OutcomeSuccess, Unchanged: 3}) || db.Rev() != rev {
			t.Errorf("unchanged re-sync: %+v, rev %d -> %d", got, rev, db.Rev())
		}
		d.exec(t, "UPDATE "+d.schema+".contacts SET first = 'Anna' WHERE id = 1")
		d.exec(t, "DELETE FROM "+d.schema+".contacts WHERE id = 2")
		d.insert(t, 4, "Dora", "", "", "not a number", "", "")
		got := syncNow(t, s, "erp")
		if countsOf(got) != (counts{Outcome: OutcomePartial, Updated: 1, Unchanged: 1, Failed: 1}) {
			t.Errorf("after changes: %+v", got)
		}
		if len(got.Errors) != 1 || !strings.Contains(got.Errors[0], "row 3 (id 4): field business_number: not a phone number") {
			t.Errorf("row errors %q", got.Errors)
		}
		if n := nameOf(db, "+49301111111"); n != "Anna Alt" {
			t.Errorf("updated name: %q", n)
		}
		if n := nameOf(db, "+49302222222"); n != "Bob Bau" {
			t.Errorf("without remove_missing a deleted row's contact stays: %q", n)
		}
		src := d.source("erp")
		src.RemoveMissing = true
		s2 := newSyncer(t, db, nil, src)
		if got := countsOf(syncNow(t, s2, "erp")); got != (counts{Outcome: OutcomePartial, Removed: 1, Unchanged: 2, Failed: 1}) {
			t.Errorf("remove_missing: %+v", got)
		}
		if n := nameOf(db, "+49302222222"); n != "" {
			t.Errorf("removed row still named %q", n)
		}
		if st, _ := s2.Source("erp"); len(st.Runs) != 4 {
			t.Errorf("history: %d runs, want 4 (kept across Syncers)", len(st.Runs))
		}
	})
}

// TestSyncByColumn: one phonebook per distinct value, the empty value in
// the phonebook named after the source; a row that changes value moves;
// with remove_missing a phonebook no row uses goes.
func TestSyncByColumn(t *testing.T) {
	eachServer(t, func(t *testing.T, d *testDB) {
		ctx := context.Background()
		db := openStore(t)
		d.insert(t, 1, "Ann", "", "", "+49 30 1111111", "", "Sales")
		d.insert(t, 2, "Bob", "", "", "+49 30 2222222", "", "Support")
		d.insert(t, 3, "Cem", "", "", "+49 30 3333333", "", "")
		src := d.source("crm")
		src.Phonebook = config.SQLPhonebook{ByColumn: "belongto"}
		src.RemoveMissing = true
		s := newSyncer(t, db, nil, src)
		if got := countsOf(syncNow(t, s, "crm")); got != (counts{Outcome: OutcomeSuccess, Added: 3}) {
			t.Fatalf("sync: %+v", got)
		}
		member := func(number, pbName string) {
			t.Helper()
			pb, err := db.PhonebookByName(ctx, pbName)
			if err != nil {
				t.Fatalf("phonebook %s: %v", pbName, err)
			}
			r, err := db.Index().LookupNumber(number)
			if err != nil {
				t.Fatal(err)
			}
			c, _ := db.GetContact(ctx, r.ContactID)
			if len(c.Phonebooks) != 1 || c.Phonebooks[0] != pb.ID || pb.Source != "sql:crm" {
				t.Errorf("%s in %v, want phonebook %s (%s)", number, c.Phonebooks, pbName, pb.ID)
			}
		}
		member("+49301111111", "Sales")
		member("+49302222222", "Support")
		member("+49303333333", "crm")
		d.exec(t, "UPDATE "+d.schema+".contacts SET belongto = 'Sales' WHERE id = 2")
		if got := countsOf(syncNow(t, s, "crm")); got != (counts{Outcome: OutcomeSuccess, Updated: 1, Unchanged: 2}) {
			t.Fatalf("move: %+v", got)
		}
		member("+49302222222", "Sales")
		if _, err := db.PhonebookByName(ctx, "Support"); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("unused phonebook Support: %v", err)
		}
	})
}

// TestSyncExistingPhonebook: an empty manual phonebook is taken over
// (read-only from then on, its view grants kept); a non-empty one is
// refused and nothing is written.
func TestSyncExistingPhonebook(t *testing.T) {
	eachServer(t, func(t *testing.T, d *testDB) {
		ctx := context.Background()
		db := openStore(t)
		empty, _ := db.PutPhonebook(ctx, lookup.Phonebook{Name: "Customers", ViewAll: true})
		full, _ := db.PutPhonebook(ctx, lookup.Phonebook{Name: "Mine"})
		if _, err := db.PutContact(ctx, lookup.Contact{Company: "Manual", Phonebooks: []string{full.ID}}); err != nil {
			t.Fatal(err)
		}
		d.insert(t, 1, "Ann", "", "", "+49 30 1111111", "", "")
		a, b := d.source("a"), d.source("b")
		a.Phonebook = config.SQLPhonebook{Existing: "Customers"}
		b.Phonebook = config.SQLPhonebook{Existing: "Mine"}
		s := newSyncer(t, db, nil, a, b)
		if got := countsOf(syncNow(t, s, "a")); got != (counts{Outcome: OutcomeSuccess, Added: 1}) {
			t.Fatalf("empty phonebook: %+v", got)
		}
		pb, _ := db.GetPhonebook(ctx, empty.ID)
		if !pb.ReadOnly || pb.Source != "sql:a" || !pb.ViewAll {
			t.Errorf("taken over phonebook %+v", pb)
		}
		rev := db.Rev()
		got := syncNow(t, s, "b")
		if got.Outcome != OutcomeFailed || !strings.Contains(got.Error, `phonebook "Mine" has 1 contacts; a sync takes over only an empty phonebook`) || db.Rev() != rev {
			t.Errorf("non-empty phonebook: %+v", got)
		}
	})
}

// TestSyncFailuresWriteNothing: a database that is down, a query that
// times out, a filter the database rejects and a sync past the contacts
// limit each fail the run with a clear error and leave the previous
// state as it was.
func TestSyncFailuresWriteNothing(t *testing.T) {
	eachServer(t, func(t *testing.T, d *testDB) {
		db := openStore(t, store.WithLimits(config.Limits{Tiers: []config.LimitTier{{CompanyContacts: 3, Phonebooks: 10, PersonalContacts: 1}}}))
		d.insert(t, 1, "Ann", "", "", "+49 30 1111111", "", "")
		d.insert(t, 2, "Bob", "", "", "+49 30 2222222", "", "")
		ok := d.source("ok")
		down := d.source("down")
		if d.driver == "postgres" {
			down.DSN = "postgres://postgres:Pa55word@127.0.0.1:1/test?sslmode=disable&connect_timeout=2"
		} else {
			down.DSN = "root:Pa55word@tcp(127.0.0.1:1)/test?timeout=2s"
		}
		slow := d.source("slow")
		slow.Timeout = config.Duration(time.Second)
		if d.driver == "postgres" {
			slow.Filter = "select ${MAP} from " + d.schema + ".contacts where pg_sleep(3) is not null"
		} else {
			slow.Filter = "select ${MAP} from " + d.schema + ".contacts where sleep(3) = 0"
		}
		missing := d.source("missing")
		missing.Filter = "select ${MAP} from " + d.schema + ".nosuchtable"
		s := newSyncer(t, db, nil, ok, down, slow, missing)
		if got := countsOf(syncNow(t, s, "ok")); got != (counts{Outcome: OutcomeSuccess, Added: 2}) {
			t.Fatalf("first sync: %+v", got)
		}
		d.insert(t, 3, "Cem", "", "", "+49 30 3333333", "", "")
		d.insert(t, 4, "Dan", "", "", "+49 30 4444444", "", "")
		d.exec(t, "UPDATE "+d.schema+".contacts SET first = 'Anna' WHERE id = 1")
		rev := db.Rev()
		for _, tc := range []struct{ name, want string }{
			{"down", "connect"},
			{"slow", map[string]string{"postgres": "canceling statement due to statement timeout", "mysql": "max_statement_time exceeded"}[d.driver]},
			{"missing", "nosuchtable"},
			{"ok", "company contacts limit 3 reached"},
		} {
			got := syncNow(t, s, tc.name)
			if got.Outcome != OutcomeFailed || !strings.Contains(got.Error, tc.want) || got.Added+got.Updated+got.Removed != 0 {
				t.Errorf("%s: %+v, want failed with %q", tc.name, got, tc.want)
			}
			t.Logf("%s: %s", tc.name, got.Error)
			if strings.Contains(got.Error, "Pa55word") {
				t.Errorf("%s: the error shows the DSN's password: %s", tc.name, got.Error)
			}
			if tc.name == "slow" && got.Duration > 2.5 {
				t.Errorf("slow: the 1s timeout took %.1fs", got.Duration)
			}
			if db.Rev() != rev || nameOf(db, "+49301111111") != "Ann" {
				t.Errorf("%s: the failed run wrote (rev %d -> %d, name %q)", tc.name, rev, db.Rev(), nameOf(db, "+49301111111"))
			}
		}
	})
}

// TestSyncOneRunAtATime: Sync Now while the source runs is ErrBusy; the
// running sync is not disturbed.
func TestSyncOneRunAtATime(t *testing.T) {
	d := newTestDB(t, servers[0].driver, servers[0].dsn)
	db := openStore(t)
	d.insert(t, 1, "Ann", "", "", "+49 30 1111111", "", "")
	src := d.source("slow")
	src.Filter = "select ${MAP} from " + d.schema + ".contacts where pg_sleep(1) is not null"
	s := newSyncer(t, db, nil, src)
	done := make(chan Run)
	go func() { r, _ := s.SyncNow(context.Background(), "slow"); done <- r }()
	deadline := time.Now().Add(5 * time.Second)
	for st, _ := s.Source("slow"); !st.Running && time.Now().Before(deadline); st, _ = s.Source("slow") {
		time.Sleep(10 * time.Millisecond)
	}
	if _, err := s.SyncNow(context.Background(), "slow"); !errors.Is(err, ErrBusy) {
		t.Errorf("second Sync Now: %v, want ErrBusy", err)
	}
	if r := <-done; r.Outcome != OutcomeSuccess || r.Added != 1 {
		t.Errorf("first run: %+v", r)
	}
	if _, err := s.SyncNow(context.Background(), "nope"); !errors.Is(err, ErrNotFound) {
		t.Errorf("unknown source: %v", err)
	}
}
