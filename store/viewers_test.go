package store

import (
	"context"
	"slices"
	"testing"

	"cidproxy/lookup"
)

// TestPhonebookChangesNameViewers (issue 15 item 4): every phonebook
// change records who could view the phonebook before or after it ("*":
// everyone), through PutPhonebook, a bulk (sync) write and a deletion, so
// the sync feed can tell exactly those extensions.
func TestPhonebookChangesNameViewers(t *testing.T) {
	ctx := context.Background()
	db := openTest(t, t.TempDir())
	last := func() lookup.Change {
		t.Helper()
		chs, _, err := db.Changes(ctx, db.Rev()-1, 10)
		if err != nil || len(chs) != 1 || chs[0].Kind != lookup.KindPhonebook {
			t.Fatalf("changes: %+v, %v", chs, err)
		}
		return chs[0]
	}
	p, err := db.PutPhonebook(ctx, lookup.Phonebook{Name: "Sales", View: []string{"1001"}, Manage: []string{"1002"}})
	if err != nil {
		t.Fatal(err)
	}
	if v := last().Viewers; !slices.Equal(v, []string{"1001", "1002"}) {
		t.Errorf("create: viewers %v", v)
	}
	p.View, p.Manage = []string{"1003"}, nil
	if _, err := db.PutPhonebook(ctx, p); err != nil {
		t.Fatal(err)
	}
	if v := last().Viewers; !slices.Equal(v, []string{"1001", "1002", "1003"}) {
		t.Errorf("grant change: viewers %v, want before and after", v)
	}
	b, err := db.NewSyncBulk()
	if err != nil {
		t.Fatal(err)
	}
	defer b.Abort()
	if _, err := b.PutPhonebook(lookup.Phonebook{ID: "erp", Name: "ERP", Source: "sql:erp", ViewAll: true}); err != nil {
		t.Fatal(err)
	}
	if _, err := b.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	if v := last().Viewers; !slices.Equal(v, []string{allViewers}) {
		t.Errorf("bulk: viewers %v", v)
	}
	if err := db.DeletePhonebook(ctx, p.ID); err != nil {
		t.Fatal(err)
	}
	chs, _, err := db.Changes(ctx, 0, 100)
	if err != nil {
		t.Fatal(err)
	}
	i := slices.IndexFunc(chs, func(c lookup.Change) bool { return c.Deleted && c.ID == p.ID })
	if i < 0 || !slices.Equal(chs[i].Viewers, []string{"1003"}) {
		t.Errorf("deletion: %+v", chs)
	}
}
