package store

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"

	"cidproxy/config"
	"cidproxy/lookup"
)

// fixture is a store with extensions 1001 (Alice), 1002 (Bob), 1003
// (Carol) and phonebooks Sales (view 1001), Support (view 1002, manage
// 1003), Everyone (view all) and Hidden (no grants).
type fixture struct {
	db                               *DB
	sales, support, everyone, hidden lookup.Phonebook
}

func newFixture(t *testing.T, dir string, opts ...Option) *fixture {
	t.Helper()
	ctx := context.Background()
	db := openTest(t, dir, opts...)
	if err := db.SeedExtensions(ctx, []config.Extension{
		{Number: "1001", Name: "Alice"}, {Number: "1002", Name: "Bob"}, {Number: "1003", Name: "Carol"},
	}); err != nil {
		t.Fatal(err)
	}
	f := &fixture{db: db}
	for _, p := range []struct {
		dst *lookup.Phonebook
		pb  lookup.Phonebook
	}{
		{&f.sales, lookup.Phonebook{Name: "Sales", View: []string{"1001"}}},
		{&f.support, lookup.Phonebook{Name: "Support", View: []string{"1002"}, Manage: []string{"1003"}}},
		{&f.everyone, lookup.Phonebook{Name: "Everyone", ViewAll: true}},
		{&f.hidden, lookup.Phonebook{Name: "Hidden"}},
	} {
		got, err := db.PutPhonebook(ctx, p.pb)
		if err != nil {
			t.Fatalf("PutPhonebook %s: %v", p.pb.Name, err)
		}
		*p.dst = got
	}
	return f
}

func (f *fixture) contact(t *testing.T, c lookup.Contact) lookup.Contact {
	t.Helper()
	got, err := f.db.PutContact(context.Background(), c)
	if err != nil {
		t.Fatalf("PutContact %+v: %v", c, err)
	}
	return got
}

// resolve asks the per-callee resolver.
func resolve(db *DB, number, callee string) (lookup.Result, error) {
	return db.Resolver().Lookup(context.Background(), lookup.Query{Number: number, Callee: callee})
}

func wantName(t *testing.T, db *DB, number, callee, name, source, phonebook string) {
	t.Helper()
	r, err := resolve(db, number, callee)
	if name == "" {
		if !errors.Is(err, lookup.ErrNotFound) {
			t.Errorf("%s -> %s: got %+v %v, want not found", number, callee, r, err)
		}
		return
	}
	if err != nil || r.Name != name || r.Source != source || r.Phonebook != phonebook {
		t.Errorf("%s -> %s: got %+v %v, want %q/%s/%q", number, callee, r, err, name, source, phonebook)
	}
}

func TestExtensionsCRUDAndSeed(t *testing.T) {
	ctx := context.Background()
	db := openTest(t, t.TempDir())
	e, err := db.PutExtension(ctx, lookup.Extension{Number: " 1001 ", Name: "Alice", Email: "a@example.com"})
	if err != nil || e.Number != "1001" || e.Rev == 0 {
		t.Fatalf("PutExtension = %+v %v", e, err)
	}
	for _, bad := range []string{"", "10a1", "1234567890123456", "+1001"} {
		if _, err := db.PutExtension(ctx, lookup.Extension{Number: bad}); !errors.Is(err, ErrInvalid) {
			t.Errorf("PutExtension(%q) = %v, want ErrInvalid", bad, err)
		}
	}
	if err := db.SeedExtensions(ctx, []config.Extension{{Number: "1001", Name: "Alice Smith"}, {Number: "999", Name: "Reception"}}); err != nil {
		t.Fatal(err)
	}
	got, _ := db.GetExtension(ctx, "1001")
	if got.Name != "Alice Smith" || got.Email != "a@example.com" || got.Rev <= e.Rev {
		t.Errorf("seeded 1001 = %+v", got)
	}
	rev := db.Rev()
	if err := db.SeedExtensions(ctx, []config.Extension{{Number: "1001", Name: "Alice Smith"}}); err != nil || db.Rev() != rev {
		t.Errorf("seeding unchanged extensions wrote (rev %d -> %d, %v)", rev, db.Rev(), err)
	}
	list, _ := db.ListExtensions(ctx)
	if len(list) != 2 || list[0].Number != "999" || list[1].Number != "1001" {
		t.Errorf("ListExtensions = %+v, want 999, 1001 (numeric order)", list)
	}
	if err := db.DeleteExtension(ctx, "999"); err != nil {
		t.Fatal(err)
	}
	if _, err := db.GetExtension(ctx, "999"); !errors.Is(err, ErrNotFound) {
		t.Errorf("deleted extension: %v", err)
	}
	if err := db.DeleteExtension(ctx, "999"); !errors.Is(err, ErrNotFound) {
		t.Errorf("delete twice: %v", err)
	}
}

func TestPhonebookRules(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t, t.TempDir())
	db := f.db
	if _, err := db.PutPhonebook(ctx, lookup.Phonebook{Name: "sales"}); !errors.Is(err, ErrConflict) {
		t.Errorf("duplicate name (other case): %v, want ErrConflict", err)
	}
	if _, err := db.PutPhonebook(ctx, lookup.Phonebook{Name: "x", View: []string{"abc"}}); !errors.Is(err, ErrInvalid) {
		t.Errorf("bad grant: %v", err)
	}
	if _, err := db.PutPhonebook(ctx, lookup.Phonebook{Name: "ERP", Source: "sql:erp"}); !errors.Is(err, ErrInvalid) {
		t.Errorf("API creating a synced phonebook: %v, want ErrInvalid", err)
	}
	erp, err := db.SyncPhonebook(ctx, lookup.Phonebook{Name: "ERP", Source: "sql:erp", Manage: []string{"1001"}})
	if err != nil || !erp.ReadOnly || len(erp.Manage) != 0 {
		t.Fatalf("SyncPhonebook = %+v %v (read-only, no manage grants)", erp, err)
	}
	if _, err := db.PutPhonebook(ctx, lookup.Phonebook{ID: erp.ID, Name: "Renamed"}); !errors.Is(err, ErrReadOnly) {
		t.Errorf("rename synced: %v, want ErrReadOnly", err)
	}
	g, err := db.PutPhonebook(ctx, lookup.Phonebook{ID: erp.ID, Name: "ERP", View: []string{"1002"}})
	if err != nil || !g.ReadOnly || g.Source != "sql:erp" || !slices.Equal(g.View, []string{"1002"}) {
		t.Errorf("granting view on synced = %+v %v", g, err)
	}
	if err := db.DeletePhonebook(ctx, erp.ID); !errors.Is(err, ErrReadOnly) {
		t.Errorf("delete synced: %v", err)
	}
	list, _ := db.ListPhonebooks(ctx)
	var names []string
	for _, p := range list {
		names = append(names, p.Name)
	}
	if !slices.Equal(names, []string{"ERP", "Everyone", "Hidden", "Sales", "Support"}) {
		t.Errorf("ListPhonebooks names = %v", names)
	}
	if p, err := db.PhonebookByName(ctx, "support"); err != nil || p.ID != f.support.ID {
		t.Errorf("PhonebookByName = %+v %v", p, err)
	}
	// CanView/CanManage of the lead's types agree with the grants.
	if !f.support.CanView("1003") || !f.support.CanManage("1003") || f.support.CanManage("1002") || f.hidden.CanView("1001") {
		t.Error("grant semantics")
	}
}

func TestPerCalleeResolution(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t, t.TempDir())
	db := f.db
	f.contact(t, lookup.Contact{Company: "Sales Customer", Business: "+49 30 1111111", Phonebooks: []string{f.sales.ID}})
	f.contact(t, lookup.Contact{Company: "Support Customer", Business: "+49 30 2222222", Phonebooks: []string{f.support.ID}})
	f.contact(t, lookup.Contact{Company: "Public", Business: "+49 30 3333333", Phonebooks: []string{f.everyone.ID}})
	f.contact(t, lookup.Contact{Company: "Secret", Business: "+49 30 4444444", Phonebooks: []string{f.hidden.ID}})
	f.contact(t, lookup.Contact{Company: "Loose", Business: "+49 30 5555555"})
	// The same number in two phonebooks: each callee sees its own.
	f.contact(t, lookup.Contact{Company: "Shared A", Business: "+49 30 6666666", Phonebooks: []string{f.sales.ID}})
	f.contact(t, lookup.Contact{Company: "Shared B", Business: "+49 30 6666666", Phonebooks: []string{f.support.ID}})
	if _, err := db.PutPersonal(ctx, "1001", lookup.Contact{FirstName: "Mum", Mobile: "+49 30 2222222"}); err != nil {
		t.Fatal(err)
	}
	if _, err := db.PutPrefixRule(ctx, lookup.PrefixRule{Prefix: "+4930", Name: "Berlin"}); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct{ number, callee, name, source, pb string }{
		{"1002", "1001", "Bob", lookup.SourceExtension, ""},
		{"030 1111111", "1001", "Sales Customer", lookup.SourceCompany, "Sales"},
		{"030 1111111", "1002", "Berlin", lookup.SourcePrefix, ""},
		{"030 2222222", "1001", "Mum", lookup.SourcePersonal, ""}, // personal beats company
		{"030 2222222", "1002", "Support Customer", lookup.SourceCompany, "Support"},
		{"030 2222222", "1003", "Support Customer", lookup.SourceCompany, "Support"}, // manage implies view
		{"030 3333333", "1002", "Public", lookup.SourceCompany, "Everyone"},
		{"030 3333333", "4711", "Public", lookup.SourceCompany, "Everyone"}, // unknown callee: view-all only
		{"030 1111111", "4711", "Berlin", lookup.SourcePrefix, ""},
		{"030 2222222", "4711", "Berlin", lookup.SourcePrefix, ""}, // no personal for unknown callees
		{"030 4444444", "1001", "Berlin", lookup.SourcePrefix, ""}, // no grants: visible to no one
		{"030 5555555", "1001", "Berlin", lookup.SourcePrefix, ""}, // in no phonebook
		{"030 6666666", "1001", "Shared A", lookup.SourceCompany, "Sales"},
		{"030 6666666", "1002", "Shared B", lookup.SourceCompany, "Support"},
		{"+1 202 555 0143", "1001", "", "", ""},
	} {
		wantName(t, db, c.number, c.callee, c.name, c.source, c.pb)
	}
	// identify_from_all_company_contacts: every contact names the caller.
	allR := db.ix.Resolver(true)
	if r, err := allR.Resolve("030 4444444", "1001"); err != nil || r.Name != "Secret" || r.Phonebook != "" {
		t.Errorf("all contacts: %+v %v", r, err)
	}
	if r, err := allR.Resolve("030 1111111", "1001"); err != nil || r.Phonebook != "Sales" {
		t.Errorf("all contacts keeps the visible phonebook: %+v %v", r, err)
	}
}

func TestResolverFollowsWrites(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	f := newFixture(t, dir)
	db := f.db
	c := f.contact(t, lookup.Contact{Company: "Moving", Business: "+49 30 1111111", Phonebooks: []string{f.hidden.ID}})
	wantName(t, db, "030 1111111", "1001", "", "", "")
	// Membership change.
	c.Phonebooks = []string{f.sales.ID}
	c = f.contact(t, c)
	wantName(t, db, "030 1111111", "1001", "Moving", lookup.SourceCompany, "Sales")
	// Visibility change: grant Hidden to 1002, take Sales from 1001.
	f.sales.View = nil
	if _, err := db.PutPhonebook(ctx, f.sales); err != nil {
		t.Fatal(err)
	}
	wantName(t, db, "030 1111111", "1001", "", "", "")
	f.sales.View = []string{"1002"}
	if _, err := db.PutPhonebook(ctx, f.sales); err != nil {
		t.Fatal(err)
	}
	wantName(t, db, "030 1111111", "1002", "Moving", lookup.SourceCompany, "Sales")
	// Rename and number change.
	c.Company, c.Business = "Moved", "+49 30 9999999"
	c = f.contact(t, c)
	wantName(t, db, "030 1111111", "1002", "", "", "")
	wantName(t, db, "030 9999999", "1002", "Moved", lookup.SourceCompany, "Sales")
	// Rebuilt at open.
	_ = db.Close()
	db2 := openTest(t, dir)
	wantName(t, db2, "030 9999999", "1002", "Moved", lookup.SourceCompany, "Sales")
	wantName(t, db2, "030 9999999", "1001", "", "", "")
	wantName(t, db2, "1003", "1002", "Carol", lookup.SourceExtension, "")
	// Deleting the phonebook drops the membership (store and index).
	if err := db2.DeletePhonebook(ctx, f.sales.ID); err != nil {
		t.Fatal(err)
	}
	wantName(t, db2, "030 9999999", "1002", "", "", "")
	got, _ := db2.GetContact(ctx, c.ID)
	if len(got.Phonebooks) != 0 || got.Rev <= c.Rev {
		t.Errorf("after phonebook deletion: %+v", got)
	}
	// Deleting the contact.
	got.Phonebooks = []string{f.everyone.ID}
	f.db = db2
	f.contact(t, got)
	wantName(t, db2, "030 9999999", "4711", "Moved", lookup.SourceCompany, "Everyone")
	if err := db2.DeleteContact(ctx, c.ID); err != nil {
		t.Fatal(err)
	}
	wantName(t, db2, "030 9999999", "4711", "", "", "")
	// Extension rename and deletion.
	if _, err := db2.PutExtension(ctx, lookup.Extension{Number: "1003", Name: "Caroline"}); err != nil {
		t.Fatal(err)
	}
	wantName(t, db2, "1003", "1001", "Caroline", lookup.SourceExtension, "")
	if err := db2.DeleteExtension(ctx, "1003"); err != nil {
		t.Fatal(err)
	}
	wantName(t, db2, "1003", "1001", "", "", "")
}

func TestReadOnlyContacts(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t, t.TempDir())
	db := f.db
	erp, err := db.SyncPhonebook(ctx, lookup.Phonebook{Name: "ERP", Source: "sql:erp", ViewAll: true})
	if err != nil {
		t.Fatal(err)
	}
	synced, err := db.SyncContact(ctx, lookup.Contact{Company: "Synced", Source: "sql:erp", Business: "+49 30 1234567", Phonebooks: []string{erp.ID}})
	if err != nil || !synced.ReadOnly {
		t.Fatalf("SyncContact = %+v %v", synced, err)
	}
	edit := synced
	edit.Company = "Edited"
	_, err = db.PutContact(ctx, edit)
	if !errors.Is(err, ErrReadOnly) || !strings.Contains(err.Error(), "sql:erp") {
		t.Errorf("editing a synced contact: %v, want ErrReadOnly naming sql:erp", err)
	}
	if err := db.DeleteContact(ctx, synced.ID); !errors.Is(err, ErrReadOnly) {
		t.Errorf("deleting a synced contact: %v", err)
	}
	// A manual contact cannot join or leave a synced phonebook.
	m := f.contact(t, lookup.Contact{Company: "Manual"})
	m.Phonebooks = []string{erp.ID}
	if _, err := db.PutContact(ctx, m); !errors.Is(err, ErrReadOnly) {
		t.Errorf("joining a synced phonebook: %v", err)
	}
	if _, err := db.PutContact(ctx, lookup.Contact{Company: "Fake", Source: "crm:x"}); !errors.Is(err, ErrInvalid) {
		t.Errorf("API writing a crm: contact: %v, want ErrInvalid", err)
	}
	if _, err := db.PutContact(ctx, lookup.Contact{Company: "Ghost", Phonebooks: []string{"nope"}}); !errors.Is(err, ErrInvalid) {
		t.Errorf("unknown phonebook: %v", err)
	}
	if err := db.DeleteSynced(ctx, synced.ID); err != nil {
		t.Errorf("DeleteSynced: %v", err)
	}
	if err := db.DeleteSyncedPhonebook(ctx, erp.ID); err != nil {
		t.Errorf("DeleteSyncedPhonebook: %v", err)
	}
	if _, err := db.GetPhonebook(ctx, erp.ID); !errors.Is(err, ErrNotFound) {
		t.Errorf("synced phonebook after deletion: %v", err)
	}
}

func TestPutWithRevisionIsCompareAndSet(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t, t.TempDir())
	c := f.contact(t, lookup.Contact{Company: "V1"})
	stale := c
	c.Company = "V2"
	c = f.contact(t, c) // c.Rev matches: accepted
	stale.Company = "V3"
	if _, err := f.db.PutContact(ctx, stale); !errors.Is(err, ErrConflict) {
		t.Errorf("stale revision: %v, want ErrConflict", err)
	}
	if _, err := f.db.PutContact(ctx, lookup.Contact{ID: "fresh", Company: "X", Rev: 5}); !errors.Is(err, ErrConflict) {
		t.Errorf("revision for a new contact: %v", err)
	}
	p, _ := f.db.PutPersonal(ctx, "1001", lookup.Contact{FirstName: "P"})
	p2 := p
	p2.FirstName = "Q"
	if _, err := f.db.PutPersonal(ctx, "1001", p2); err != nil {
		t.Fatal(err)
	}
	if _, err := f.db.PutPersonal(ctx, "1001", p); !errors.Is(err, ErrConflict) {
		t.Errorf("stale personal revision: %v", err)
	}
}
