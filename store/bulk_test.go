package store

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"

	"cidproxy/lookup"
)

// syncRun stages fn in a sync bulk and commits it.
func syncRun(t *testing.T, db *DB, fn func(b *Bulk)) (BulkResult, error) {
	t.Helper()
	b, err := db.NewSyncBulk()
	if err != nil {
		t.Fatal(err)
	}
	defer b.Abort()
	fn(b)
	return b.Commit(context.Background())
}

func must[T any](t *testing.T) func(T, error) T {
	return func(v T, err error) T {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
}

// TestSyncBulk: a sync bulk creates a phonebook and read-only contacts in
// it, updates and deletes them by id, writes its KV state with them, and
// the index, counts, change log and reopened store follow.
func TestSyncBulk(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	db := openTest(t, dir)
	pb := lookup.Phonebook{ID: "sql-erp-pb", Name: "ERP", Source: "sql:erp", ViewAll: true}
	res, err := syncRun(t, db, func(b *Bulk) {
		must[lookup.Phonebook](t)(b.PutPhonebook(pb))
		for _, c := range []lookup.Contact{
			{ID: "sql-erp-1", FirstName: "Ann", Business: "+49 30 1111111", Source: "sql:erp", Phonebooks: []string{pb.ID}},
			{ID: "sql-erp-2", FirstName: "Bob", Business: "+49 30 2222222", Source: "sql:erp", Phonebooks: []string{pb.ID}},
		} {
			must[lookup.Contact](t)(b.PutContact(c))
		}
		if err := b.PutKV("sqlsync", "erp/state", []byte("v1")); err != nil {
			t.Fatal(err)
		}
	})
	if err != nil || res != (BulkResult{Added: 2, Phonebooks: 1}) {
		t.Fatalf("first sync = %+v, %v", res, err)
	}
	rev := db.Rev()
	wantName(t, db, "+49301111111", "1001", "Ann", lookup.SourceCompany, "ERP")
	c, err := db.GetContact(ctx, "sql-erp-1")
	if err != nil || !c.ReadOnly || c.Source != "sql:erp" {
		t.Fatalf("synced contact %+v %v", c, err)
	}
	if _, err := db.PutContact(ctx, c); !errors.Is(err, ErrReadOnly) {
		t.Errorf("API edit of a synced contact: %v", err)
	}
	res, err = syncRun(t, db, func(b *Bulk) {
		must[lookup.Contact](t)(b.PutContact(lookup.Contact{ID: "sql-erp-1", FirstName: "Anna", Business: "+49 30 1111111", Source: "sql:erp", Phonebooks: []string{pb.ID}}))
		if err := b.DeleteContact("sql-erp-2"); err != nil {
			t.Fatal(err)
		}
		_ = b.DeleteContact("sql-erp-missing")
		_ = b.DeleteKV("sqlsync", "erp/state")
	})
	if err != nil || res != (BulkResult{Updated: 1, Deleted: 1}) {
		t.Fatalf("second sync = %+v, %v", res, err)
	}
	wantName(t, db, "+49301111111", "1001", "Anna", lookup.SourceCompany, "ERP")
	mustLookup(t, db, "+49302222222", "")
	changes, _, err := db.Changes(ctx, rev, 10)
	if err != nil || len(changes) != 2 || !changes[1].Deleted || changes[1].ID != "sql-erp-2" || changes[0].Phonebooks[0] != pb.ID {
		t.Errorf("changes of the second sync: %+v %v", changes, err)
	}
	if _, err := db.KV("sqlsync").Get(ctx, "erp/state"); !errors.Is(err, ErrNotFound) {
		t.Errorf("KV deleted with the bulk: %v", err)
	}
	_ = db.Close()
	db = openTest(t, dir)
	if _, n, _ := db.Limits(); n != 1 || db.Index().Contacts() != 1 {
		t.Errorf("after reopening: count %d, index %d", n, db.Index().Contacts())
	}
	wantName(t, db, "+49301111111", "1001", "Anna", lookup.SourceCompany, "ERP")
}

// TestSyncBulkRefusals: a sync cannot take over or delete contacts and
// phonebooks of another source, nor go over a limit; each refusal writes
// nothing.
func TestSyncBulkRefusals(t *testing.T) {
	db := newFixture(t, t.TempDir(), smallLimits()).db // limit: 3 contacts, 5 phonebooks
	manual, err := db.PutContact(context.Background(), lookup.Contact{ID: "mine", Company: "Manual"})
	if err != nil {
		t.Fatal(err)
	}
	rev := db.Rev()
	cases := []struct {
		name string
		fn   func(b *Bulk)
		want error
	}{
		{"overwrite manual", func(b *Bulk) {
			_, _ = b.PutContact(lookup.Contact{ID: manual.ID, Company: "X", Source: "sql:erp"})
		}, ErrConflict},
		{"delete manual", func(b *Bulk) { _ = b.DeleteContact(manual.ID) }, ErrReadOnly},
		{"over the contacts limit", func(b *Bulk) {
			for _, id := range []string{"a", "b", "c"} {
				_, _ = b.PutContact(lookup.Contact{ID: id, Company: id, Source: "sql:erp"})
			}
		}, ErrLimit},
		{"over the phonebooks limit", func(b *Bulk) {
			_, _ = b.PutPhonebook(lookup.Phonebook{Name: "P1", Source: "sql:erp"})
			_, _ = b.PutPhonebook(lookup.Phonebook{Name: "P2", Source: "sql:erp"})
		}, ErrLimit},
		{"phonebook name taken", func(b *Bulk) {
			_, _ = b.PutPhonebook(lookup.Phonebook{Name: "sales", Source: "sql:erp"})
		}, ErrConflict},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := syncRun(t, db, tc.fn); !errors.Is(err, tc.want) {
				t.Errorf("err = %v, want %v", err, tc.want)
			}
			if db.Rev() != rev {
				t.Errorf("revision moved %d -> %d: something was written", rev, db.Rev())
			}
		})
	}
	b, _ := db.NewBulk()
	defer b.Abort()
	if _, err := b.PutContact(lookup.Contact{Company: "X", Source: "sql:erp"}); !errors.Is(err, ErrInvalid) {
		t.Errorf("import of a synced contact: %v", err)
	}
	if err := b.DeleteContact(manual.ID); !errors.Is(err, ErrInvalid) {
		t.Errorf("import deleting: %v", err)
	}
}

// TestBulkFinishedAfterDiskFull: a bulk write that the disk guard stops
// after its commit marker is finished by the next write, before that
// write takes a revision: nothing is lost, every change keeps its own
// revision, and the index and count agree (with the store reopened too).
func TestBulkFinishedAfterDiskFull(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	var free atomic.Uint64
	free.Store(1 << 40)
	statfs := func(o *options) { o.free = func(string) (uint64, error) { return free.Load(), nil } }
	db := openTest(t, dir, statfs)
	calls := 0
	testCrash = func(p string) {
		if p == "applying" {
			if calls++; calls == 2 {
				free.Store(1 << 20) // the disk fills half-way through the write
			}
		}
	}
	defer func() { testCrash = nil }()
	const n = 20_000
	_, err := db.ImportContacts(ctx, crashContacts()[:n], "", "", false)
	if !errors.Is(err, ErrDiskFull) {
		t.Fatalf("import on a filling disk: %v", err)
	}
	testCrash = nil
	free.Store(1 << 40)
	c, err := db.PutContact(ctx, lookup.Contact{Company: "After", Business: "+49 89 1234567"})
	if err != nil {
		t.Fatal(err)
	}
	check := func(db *DB) {
		t.Helper()
		changes, _, err := db.Changes(ctx, 0, MaxChanges)
		if err != nil {
			t.Fatal(err)
		}
		more, _, _ := db.Changes(ctx, changes[len(changes)-1].Rev, MaxChanges)
		changes = append(changes, more...)
		more, _, _ = db.Changes(ctx, changes[len(changes)-1].Rev, MaxChanges)
		changes = append(changes, more...)
		ids := map[string]bool{}
		for i, ch := range changes {
			if i > 0 && ch.Rev != changes[i-1].Rev+1 {
				t.Fatalf("change %d: revision %d after %d", i, ch.Rev, changes[i-1].Rev)
			}
			ids[ch.ID] = true
		}
		_, counted, _ := db.Limits()
		if len(ids) != n+1 || !ids[c.ID] || counted != n+1 || db.Index().Contacts() != n+1 {
			t.Errorf("changes for %d contacts (want %d, the later one included: %v), count %d, index %d",
				len(ids), n+1, ids[c.ID], counted, db.Index().Contacts())
		}
		mustLookup(t, db, "+49891234567", c.ID)
	}
	check(db)
	_ = db.Close()
	check(openTest(t, dir))
}
