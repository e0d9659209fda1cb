package store

import (
	"context"
	"errors"
	"strings"
	"testing"

	"cidproxy/config"
	"cidproxy/lookup"
)

func smallLimits() Option {
	return WithLimits(config.Limits{Tiers: []config.LimitTier{
		{MinExtensions: 0, CompanyContacts: 3, Phonebooks: 5, PersonalContacts: 2},
		{MinExtensions: 4, CompanyContacts: 5, Phonebooks: 6, PersonalContacts: 3},
	}})
}

func TestLimits(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	f := newFixture(t, dir, smallLimits()) // 3 extensions, 4 phonebooks
	db := f.db
	if _, err := db.PutPhonebook(ctx, lookup.Phonebook{Name: "Fifth"}); err != nil {
		t.Fatal(err)
	}
	_, err := db.PutPhonebook(ctx, lookup.Phonebook{Name: "Sixth"})
	if !errors.Is(err, ErrLimit) || !strings.Contains(err.Error(), "phonebooks limit 5 reached (0 extensions tier)") {
		t.Errorf("sixth phonebook: %v", err)
	}
	// Updating an existing one is not limited.
	if _, err := db.PutPhonebook(ctx, f.sales); err != nil {
		t.Errorf("update at the limit: %v", err)
	}
	f.contact(t, lookup.Contact{Company: "One"})
	// A bulk import over the limit writes nothing (ImportContacts and CSV).
	rev := db.Rev()
	res, err := db.ImportContacts(ctx, []lookup.Contact{{Company: "Two"}, {Company: "Three"}, {Company: "Four"}}, "", "", true)
	if !errors.Is(err, ErrLimit) || res.Imported != 0 {
		t.Errorf("ImportContacts over the limit = %+v %v", res, err)
	}
	if _, err := db.ImportCSV(ctx, strings.NewReader("company\nTwo\nThree\nFour\n"), ""); !errors.Is(err, ErrLimit) {
		t.Errorf("ImportCSV over the limit: %v", err)
	}
	if got, _, _ := db.SearchContacts(ctx, lookup.ContactQuery{Viewer: lookup.Viewer{Admin: true}}); len(got) != 1 || db.Rev() != rev {
		t.Errorf("after rejected imports: %d contacts, rev %d -> %d", len(got), rev, db.Rev())
	}
	f.contact(t, lookup.Contact{Company: "Two"})
	three := f.contact(t, lookup.Contact{Company: "Three"})
	_, err = db.PutContact(ctx, lookup.Contact{Company: "Four"})
	if !errors.Is(err, ErrLimit) || !strings.Contains(err.Error(), "company contacts limit 3 reached") {
		t.Errorf("fourth contact: %v", err)
	}
	if _, err := db.PutContact(ctx, three); err != nil {
		t.Errorf("update at the limit: %v", err)
	}
	// Personal contacts per extension.
	for i := 0; i < 2; i++ {
		if _, err := db.PutPersonal(ctx, "1001", lookup.Contact{FirstName: "P"}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := db.PutPersonal(ctx, "1001", lookup.Contact{FirstName: "P"}); !errors.Is(err, ErrLimit) {
		t.Errorf("third personal contact: %v", err)
	}
	if _, err := db.PutPersonal(ctx, "1002", lookup.Contact{FirstName: "P"}); err != nil {
		t.Errorf("another extension's personal contact: %v", err)
	}
	// Counters survive a restart; a 4th extension moves to the next tier.
	_ = db.Close()
	db2 := openTest(t, dir, smallLimits())
	if _, err := db2.PutContact(ctx, lookup.Contact{Company: "Four"}); !errors.Is(err, ErrLimit) {
		t.Errorf("limit after restart: %v", err)
	}
	if _, err := db2.PutPersonal(ctx, "1001", lookup.Contact{FirstName: "P"}); !errors.Is(err, ErrLimit) {
		t.Errorf("personal limit after restart: %v", err)
	}
	if _, err := db2.PutExtension(ctx, lookup.Extension{Number: "1004"}); err != nil {
		t.Fatal(err)
	}
	if _, err := db2.PutContact(ctx, lookup.Contact{Company: "Four"}); err != nil {
		t.Errorf("next tier: %v", err)
	}
	tier, contacts, pbs := db2.Limits()
	if tier.MinExtensions != 4 || contacts != 4 || pbs != 5 {
		t.Errorf("Limits() = %+v %d %d", tier, contacts, pbs)
	}
}
