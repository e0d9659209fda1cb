package store

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"cidproxy/lookup"
)

func ids(cs []lookup.Contact) []string {
	out := make([]string, len(cs))
	for i, c := range cs {
		out[i] = c.LastName + c.Company
	}
	return out
}

func TestSearchContacts(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t, t.TempDir())
	db := f.db
	f.contact(t, lookup.Contact{FirstName: "Jürgen", LastName: "Müller", Business: "+49 30 1234567", Phonebooks: []string{f.sales.ID}})
	f.contact(t, lookup.Contact{FirstName: "Zoë", LastName: "Çelik", Email: "ZOE@Example.com", Mobile: "0171 9876543", Phonebooks: []string{f.support.ID}})
	f.contact(t, lookup.Contact{Company: "Straße AG", Business: "089 555666", Phonebooks: []string{f.everyone.ID}})
	f.contact(t, lookup.Contact{Company: "Nobody Sees", Business: "+49 30 7777777"})
	admin := lookup.Viewer{Admin: true}
	alice, bob := lookup.Viewer{Extension: "1001"}, lookup.Viewer{Extension: "1002"}
	for _, c := range []struct {
		name string
		q    lookup.ContactQuery
		want []string
	}{
		{"admin all", lookup.ContactQuery{Viewer: admin}, []string{"Müller", "Çelik", "Straße AG", "Nobody Sees"}},
		{"alice sees sales and everyone", lookup.ContactQuery{Viewer: alice}, []string{"Müller", "Straße AG"}},
		{"bob sees support and everyone", lookup.ContactQuery{Viewer: bob}, []string{"Çelik", "Straße AG"}},
		{"accent and case", lookup.ContactQuery{Viewer: admin, Text: "MULLER"}, []string{"Müller"}},
		{"accent in query", lookup.ContactQuery{Viewer: admin, Text: "jürg"}, []string{"Müller"}},
		{"cedilla", lookup.ContactQuery{Viewer: admin, Text: "celik"}, []string{"Çelik"}},
		{"sharp s", lookup.ContactQuery{Viewer: admin, Text: "strasse"}, []string{"Straße AG"}},
		{"email", lookup.ContactQuery{Viewer: admin, Text: "zoe@example"}, []string{"Çelik"}},
		{"text outside view", lookup.ContactQuery{Viewer: alice, Text: "celik"}, nil},
		{"number national", lookup.ContactQuery{Viewer: admin, Number: "030 1234567"}, []string{"Müller"}},
		{"number international", lookup.ContactQuery{Viewer: admin, Number: "0049 (171) 98-76-543"}, []string{"Çelik"}},
		{"number digits substring", lookup.ContactQuery{Viewer: admin, Number: "98765"}, []string{"Çelik"}},
		{"number with trunk zero", lookup.ContactQuery{Viewer: admin, Number: "0171 987"}, []string{"Çelik"}},
		{"number outside view", lookup.ContactQuery{Viewer: bob, Number: "030 1234567"}, nil},
		{"phonebook filter", lookup.ContactQuery{Viewer: admin, Phonebook: f.support.ID}, []string{"Çelik"}},
		{"text and number", lookup.ContactQuery{Viewer: admin, Text: "müller", Number: "0171"}, nil},
		{"no digits", lookup.ContactQuery{Viewer: admin, Number: "abc"}, nil},
	} {
		got, next, err := db.SearchContacts(ctx, c.q)
		if err != nil || next != "" || fmt.Sprint(ids(got)) != fmt.Sprint(c.want) {
			t.Errorf("%s: got %v next %q %v, want %v", c.name, ids(got), next, err, c.want)
		}
	}
	if _, _, err := db.SearchContacts(ctx, lookup.ContactQuery{Viewer: alice, Phonebook: f.support.ID}); !errors.Is(err, ErrNotFound) {
		t.Errorf("phonebook alice may not view: %v", err)
	}
	if _, _, err := db.SearchContacts(ctx, lookup.ContactQuery{Viewer: admin, Cursor: "bad/cursor"}); !errors.Is(err, ErrInvalid) {
		t.Errorf("bad cursor: %v", err)
	}
}

func TestSearchPagination(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t, t.TempDir())
	const n = 25
	var want []string
	for i := 0; i < n; i++ {
		c := f.contact(t, lookup.Contact{Company: fmt.Sprintf("Co %02d", i), Phonebooks: []string{f.everyone.ID}})
		want = append(want, c.ID)
	}
	var got []string
	cursor := ""
	for pages := 0; pages < 10; pages++ {
		cs, next, err := f.db.SearchContacts(ctx, lookup.ContactQuery{Viewer: lookup.Viewer{Extension: "1003"}, Cursor: cursor, Limit: 10})
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range cs {
			got = append(got, c.ID)
		}
		if next == "" {
			break
		}
		cursor = next
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("pages = %v, want %v (id order)", got, want)
	}
}

func TestImportContacts(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t, t.TempDir())
	db := f.db
	rows := []lookup.Contact{
		{FirstName: "Good", Business: "030 1111111"},
		{FirstName: "Bad", Mobile: "no number"},
		{}, // no name
		{FirstName: "Good2", Business: "030 2222222", Phonebooks: []string{f.support.ID}},
	}
	rev := db.Rev()
	res, err := db.ImportContacts(ctx, rows, "", f.sales.ID, false)
	if !errors.Is(err, ErrInvalid) || res.Imported != 0 || len(res.Rejected) != 2 {
		t.Fatalf("all-or-nothing = %+v %v", res, err)
	}
	if r := res.Rejected; r[0].Row != 2 || r[0].Field != "mobile_number" || r[1].Row != 3 || r[1].Field != "first_name" {
		t.Errorf("rejected = %+v", r)
	}
	if db.Rev() != rev {
		t.Errorf("rejected import wrote (rev %d -> %d)", rev, db.Rev())
	}
	res, err = db.ImportContacts(ctx, rows, "", f.sales.ID, true)
	if err != nil || res.Imported != 2 || len(res.Rejected) != 2 {
		t.Fatalf("partial = %+v %v", res, err)
	}
	wantName(t, db, "030 1111111", "1001", "Good", lookup.SourceCompany, "Sales")
	wantName(t, db, "030 2222222", "1002", "Good2", lookup.SourceCompany, "Support")
	got, _, _ := db.SearchContacts(ctx, lookup.ContactQuery{Viewer: lookup.Viewer{Admin: true}, Text: "good2"})
	if len(got) != 1 || got[0].Source != "csv" || fmt.Sprint(got[0].Phonebooks) != fmt.Sprint(sorted(f.sales.ID, f.support.ID)) {
		t.Errorf("imported = %+v", got)
	}
	// Personal import.
	res, err = db.ImportContacts(ctx, []lookup.Contact{{FirstName: "Mine", Mobile: "0171 1111111"}}, "1003", "", false)
	if err != nil || res.Imported != 1 {
		t.Fatalf("personal import = %+v %v", res, err)
	}
	wantName(t, db, "0171 1111111", "1003", "Mine", lookup.SourcePersonal, "")
	wantName(t, db, "0171 1111111", "1001", "", "", "")
	if _, err := db.ImportContacts(ctx, rows[:1], "1003", f.sales.ID, false); !errors.Is(err, ErrInvalid) {
		t.Errorf("personal import into a phonebook: %v", err)
	}
	erp, _ := db.SyncPhonebook(ctx, lookup.Phonebook{Name: "ERP", Source: "sql:erp"})
	if _, err := db.ImportContacts(ctx, rows[:1], "", erp.ID, false); !errors.Is(err, ErrReadOnly) {
		t.Errorf("import into a synced phonebook: %v", err)
	}
	if _, err := db.ImportContacts(ctx, rows[:1], "", "nope", false); !errors.Is(err, ErrNotFound) {
		t.Errorf("import into a missing phonebook: %v", err)
	}
}

// FuzzSearchQuery: search text, number and cursor come from API clients;
// they never panic, and an extension never sees a contact outside its
// phonebooks.
func FuzzSearchQuery(f *testing.F) {
	f.Add("müller", "030 12", "")
	dir := f.TempDir()
	db := openTest(f, dir)
	ctx := context.Background()
	if _, err := db.PutExtension(ctx, lookup.Extension{Number: "1001"}); err != nil {
		f.Fatal(err)
	}
	seen, err := db.PutPhonebook(ctx, lookup.Phonebook{Name: "Seen", View: []string{"1001"}})
	if err != nil {
		f.Fatal(err)
	}
	hidden, _ := db.PutPhonebook(ctx, lookup.Phonebook{Name: "Hidden"})
	for i, pb := range []string{seen.ID, hidden.ID, seen.ID, hidden.ID} {
		if _, err := db.PutContact(ctx, lookup.Contact{FirstName: "Jürgen", LastName: fmt.Sprint("Müller ", i), Business: fmt.Sprintf("+49 30 123456%d", i), Phonebooks: []string{pb}}); err != nil {
			f.Fatal(err)
		}
	}
	f.Fuzz(func(t *testing.T, text, number, cursor string) {
		cs, _, err := db.SearchContacts(ctx, lookup.ContactQuery{Viewer: lookup.Viewer{Extension: "1001"}, Text: text, Number: number, Cursor: cursor})
		if err != nil && !errors.Is(err, ErrInvalid) {
			t.Fatalf("search %q %q %q: %v", text, number, cursor, err)
		}
		for _, c := range cs {
			if len(c.Phonebooks) != 1 || c.Phonebooks[0] != seen.ID {
				t.Fatalf("extension saw %+v", c)
			}
		}
	})
}

func TestSearchTextAfterReopen(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	f := newFixture(t, dir)
	f.contact(t, lookup.Contact{FirstName: "Ann", Company: "Ëxotic GmbH", Email: "ann@firma.example", Phonebooks: []string{f.everyone.ID}})
	for i := 0; i < fillChunk+5; i++ { // more than one fill chunk
		f.contact(t, lookup.Contact{Company: fmt.Sprintf("Filler %d", i), Email: fmt.Sprintf("f%d@x.example", i)})
	}
	_ = f.db.Close()
	db := openTest(t, dir, bigLimits())
	<-db.SearchReady()
	admin := lookup.Viewer{Admin: true}
	for _, text := range []string{"firma.example", "exotic", "ann"} {
		got, _, err := db.SearchContacts(ctx, lookup.ContactQuery{Viewer: admin, Text: text})
		if err != nil || len(got) != 1 || got[0].FirstName != "Ann" {
			t.Errorf("after reopen, %q: %v %v", text, ids(got), err)
		}
	}
	if got, _, _ := db.SearchContacts(ctx, lookup.ContactQuery{Viewer: admin, Text: fmt.Sprintf("f%d@", fillChunk+4)}); len(got) != 1 {
		t.Errorf("last chunk not filled: %v", ids(got))
	}
}
