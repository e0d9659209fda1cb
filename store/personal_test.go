package store

import (
	"context"
	"errors"
	"testing"

	"cidproxy/lookup"
)

func TestPersonalContactsArePrivate(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	f := newFixture(t, dir)
	db := f.db
	a, err := db.PutPersonal(ctx, "1001", lookup.Contact{FirstName: "Jürgen", LastName: "Private", Mobile: "0171 1234567"})
	if err != nil || a.Owner != "1001" || a.Rev == 0 {
		t.Fatalf("PutPersonal = %+v %v", a, err)
	}
	if _, err := db.PutPersonal(ctx, "4711", lookup.Contact{FirstName: "X"}); !errors.Is(err, ErrNotFound) {
		t.Errorf("personal contact of a missing extension: %v", err)
	}
	check := func(db *DB) {
		t.Helper()
		if _, err := db.GetPersonal(ctx, "1002", a.ID); !errors.Is(err, ErrNotFound) {
			t.Errorf("B reads A's contact: %v", err)
		}
		if got, err := db.GetPersonal(ctx, "1001", a.ID); err != nil || got.FirstName != "Jürgen" {
			t.Errorf("A reads own: %+v %v", got, err)
		}
		if _, err := db.GetContact(ctx, a.ID); !errors.Is(err, ErrNotFound) {
			t.Errorf("personal contact readable as company contact: %v", err)
		}
		wantName(t, db, "+49 171 1234567", "1001", "Jürgen Private", lookup.SourcePersonal, "")
		wantName(t, db, "+49 171 1234567", "1002", "", "", "")
		for _, q := range []lookup.ContactQuery{
			{Viewer: lookup.Viewer{Extension: "1002"}, Text: "jurgen"},
			{Viewer: lookup.Viewer{Extension: "1002"}, Number: "0171 1234567"},
		} {
			if got, _, err := db.SearchPersonal(ctx, "1001", q); !errors.Is(err, ErrNotFound) || len(got) != 0 {
				t.Errorf("B searches A's contacts: %v %v", got, err)
			}
			if got, _, _ := db.SearchPersonal(ctx, "1002", lookup.ContactQuery{Viewer: q.Viewer, Text: q.Text, Number: q.Number}); len(got) != 0 {
				t.Errorf("B's own search finds A's contact: %v", got)
			}
			if got, _, _ := db.SearchContacts(ctx, q); len(got) != 0 {
				t.Errorf("company search finds a personal contact: %v", got)
			}
			if got, _, _ := db.SearchContacts(ctx, lookup.ContactQuery{Viewer: lookup.Viewer{Admin: true}, Text: q.Text, Number: q.Number}); len(got) != 0 {
				t.Errorf("admin company search finds a personal contact: %v", got)
			}
		}
		got, _, err := db.SearchPersonal(ctx, "1001", lookup.ContactQuery{Viewer: lookup.Viewer{Extension: "1001"}, Text: "JURG"})
		if err != nil || len(got) != 1 || got[0].ID != a.ID {
			t.Errorf("A searches own: %v %v", got, err)
		}
	}
	check(db)
	_ = db.Close()
	db2 := openTest(t, dir)
	check(db2)
	if err := db2.DeletePersonal(ctx, "1002", a.ID); !errors.Is(err, ErrNotFound) {
		t.Errorf("B deletes A's contact: %v", err)
	}
	if err := db2.DeletePersonal(ctx, "1001", a.ID); err != nil {
		t.Fatal(err)
	}
	wantName(t, db2, "+49 171 1234567", "1001", "", "", "")
	// Changes carry the owner so the API can filter them.
	chs, _, err := db2.Changes(ctx, 0, MaxChanges)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, ch := range chs {
		if ch.Kind == lookup.KindPersonal {
			n++
			if ch.Owner != "1001" || ch.ID != a.ID {
				t.Errorf("personal change %+v", ch)
			}
		}
	}
	if n != 2 {
		t.Errorf("%d personal changes, want 2 (put, delete)", n)
	}
}

func TestDeleteExtensionCascades(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t, t.TempDir())
	db := f.db
	if _, err := db.PutPersonal(ctx, "1002", lookup.Contact{FirstName: "Pal", Mobile: "0171 7654321"}); err != nil {
		t.Fatal(err)
	}
	tok, err := db.CreateToken(ctx, lookup.Viewer{Extension: "1002"}, "phone")
	if err != nil {
		t.Fatal(err)
	}
	if err := db.DeleteExtension(ctx, "1002"); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Authenticate(ctx, tok); !errors.Is(err, ErrUnauthorized) {
		t.Errorf("token of a deleted extension: %v", err)
	}
	p, _ := db.GetPhonebook(ctx, f.support.ID)
	if len(p.View) != 0 {
		t.Errorf("grant of a deleted extension kept: %+v", p)
	}
	// Re-created, it starts empty.
	if _, err := db.PutExtension(ctx, lookup.Extension{Number: "1002", Name: "New Bob"}); err != nil {
		t.Fatal(err)
	}
	if got, _, err := db.SearchPersonal(ctx, "1002", lookup.ContactQuery{Viewer: lookup.Viewer{Extension: "1002"}}); err != nil || len(got) != 0 {
		t.Errorf("re-created extension sees old contacts: %v %v", got, err)
	}
	wantName(t, db, "0171 7654321", "1002", "", "", "")
}
