package store

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"cidproxy/lookup"
)

func TestRevisionsAndChanges(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	f := newFixture(t, dir)
	db := f.db
	start := db.Rev()
	if start != 7 { // 3 extensions + 4 phonebooks
		t.Errorf("rev after fixture = %d, want 7", start)
	}
	c := f.contact(t, lookup.Contact{Company: "A", Phonebooks: []string{f.sales.ID}})
	if c.Rev != start+1 || db.Rev() != c.Rev {
		t.Errorf("contact rev %d, store rev %d, want %d", c.Rev, db.Rev(), start+1)
	}
	c.Phonebooks = []string{f.support.ID}
	c = f.contact(t, c)
	r, err := db.PutPrefixRule(ctx, lookup.PrefixRule{Prefix: "+4989", Name: "Munich"})
	if err != nil {
		t.Fatal(err)
	}
	if err := db.DeletePrefixRule(ctx, r.ID); err != nil {
		t.Fatal(err)
	}
	if err := db.DeleteContact(ctx, c.ID); err != nil {
		t.Fatal(err)
	}
	got, cur, err := db.Changes(ctx, start, 100)
	if err != nil || cur != start+5 {
		t.Fatalf("Changes = %v cur %d %v", got, cur, err)
	}
	want := []lookup.Change{
		{Rev: start + 1, Kind: lookup.KindContact, ID: c.ID, Phonebooks: []string{f.sales.ID}},
		{Rev: start + 2, Kind: lookup.KindContact, ID: c.ID, Phonebooks: sorted(f.sales.ID, f.support.ID)}, // before and after
		{Rev: start + 3, Kind: lookup.KindPrefix, ID: r.ID},
		{Rev: start + 4, Kind: lookup.KindPrefix, ID: r.ID, Deleted: true},
		{Rev: start + 5, Kind: lookup.KindContact, ID: c.ID, Deleted: true, Phonebooks: []string{f.support.ID}},
	}
	if !slices.EqualFunc(got, want, changeEqual) {
		t.Errorf("Changes =\n%+v\nwant\n%+v", got, want)
	}
	// Paging.
	page, _, _ := db.Changes(ctx, start, 2)
	if len(page) != 2 || page[1].Rev != start+2 {
		t.Errorf("page = %+v", page)
	}
	// Persisted across reopen, still monotonic.
	_ = db.Close()
	db2 := openTest(t, dir)
	if db2.Rev() != start+5 {
		t.Errorf("rev after reopen = %d", db2.Rev())
	}
	e, _ := db2.PutExtension(ctx, lookup.Extension{Number: "1004", Name: "Dan"})
	if e.Rev != start+6 {
		t.Errorf("rev after reopen write = %d", e.Rev)
	}
	if _, _, err := db2.Changes(ctx, e.Rev+1, 10); !errors.Is(err, ErrRevisionGone) {
		t.Errorf("since in the future: %v", err)
	}
	// Compaction: keep 3, then since=0 is gone, the last 3 remain.
	n, err := db2.CompactChanges(ctx, 3, 0)
	if err != nil || n != int(e.Rev-3) {
		t.Fatalf("CompactChanges = %d %v", n, err)
	}
	if _, _, err := db2.Changes(ctx, 0, 10); !errors.Is(err, ErrRevisionGone) || !strings.Contains(err.Error(), "resync") {
		t.Errorf("since 0 after compaction: %v", err)
	}
	rest, _, err := db2.Changes(ctx, e.Rev-3, 10)
	if err != nil || len(rest) != 3 {
		t.Errorf("retained = %+v %v", rest, err)
	}
	_ = db2.Close()
	db3 := openTest(t, dir)
	if _, _, err := db3.Changes(ctx, 1, 10); !errors.Is(err, ErrRevisionGone) {
		t.Errorf("floor not persisted: %v", err)
	}
	// Age-based compaction drops nothing recent.
	if n, err := db3.CompactChanges(ctx, 1000, time.Hour); err != nil || n != 0 {
		t.Errorf("age compaction of fresh changes = %d %v", n, err)
	}
}

func TestImportWritesOneChangePerContact(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t, t.TempDir())
	db := f.db
	rev := db.Rev()
	n, err := db.ImportCSVInto(ctx, strings.NewReader("first_name,business_number\nA,030 1111111\nB,030 2222222\n"), "", f.sales.ID)
	if err != nil || n != 2 {
		t.Fatalf("ImportCSVInto = %d %v", n, err)
	}
	chs, cur, _ := db.Changes(ctx, rev, 100)
	if cur != rev+2 || len(chs) != 2 || chs[0].Kind != lookup.KindContact || !slices.Equal(chs[1].Phonebooks, []string{f.sales.ID}) {
		t.Errorf("changes = %+v (cur %d)", chs, cur)
	}
	c, _ := db.GetContact(ctx, chs[1].ID)
	if c.Rev != chs[1].Rev || !slices.Equal(c.Phonebooks, []string{f.sales.ID}) {
		t.Errorf("imported contact = %+v", c)
	}
	wantName(t, db, "+49 30 2222222", "1001", "B", lookup.SourceCompany, "Sales")
	wantName(t, db, "+49 30 2222222", "1002", "", "", "")
}

func sorted(s ...string) []string { slices.Sort(s); return s }

func changeEqual(a, b lookup.Change) bool {
	return a.Rev == b.Rev && a.Kind == b.Kind && a.ID == b.ID && a.Deleted == b.Deleted && a.Owner == b.Owner && slices.Equal(a.Phonebooks, b.Phonebooks)
}

func TestChangeBlocks(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t, t.TempDir())
	db := f.db
	rows := make([]lookup.Contact, 600) // blocks of 256, 256, 88
	for i := range rows {
		rows[i] = lookup.Contact{Company: fmt.Sprintf("Co %d", i)}
	}
	rev := db.Rev()
	if res, err := db.ImportContacts(ctx, rows, "", f.everyone.ID, false); err != nil || res.Imported != 600 {
		t.Fatalf("import = %+v %v", res, err)
	}
	for _, since := range []uint64{rev, rev + 1, rev + 255, rev + 256, rev + 300, rev + 599} {
		chs, cur, err := db.Changes(ctx, since, 10)
		want := min(10, int(rev+600-since))
		if err != nil || cur != rev+600 || len(chs) != want || chs[0].Rev != since+1 || chs[len(chs)-1].Rev != since+uint64(want) {
			t.Errorf("Changes(%d) = %d changes from %v, cur %d, %v", since-rev, len(chs), chs[:min(1, len(chs))], cur, err)
		}
	}
	all, _, _ := db.Changes(ctx, rev, MaxChanges)
	for i, ch := range all {
		if ch.Rev != rev+uint64(i)+1 || ch.Kind != lookup.KindContact {
			t.Fatalf("change %d = %+v", i, ch)
		}
	}
	// Keeping 300 drops the fixture's 7 changes (their own blocks) and the
	// first import block (256 changes); the second block holds newer ones.
	if n, err := db.CompactChanges(ctx, 300, 0); err != nil || n != int(rev)+256 {
		t.Fatalf("CompactChanges = %d %v", n, err)
	}
	if _, _, err := db.Changes(ctx, rev+255, 1); !errors.Is(err, ErrRevisionGone) {
		t.Errorf("inside the dropped block: %v", err)
	}
	if chs, _, err := db.Changes(ctx, rev+256, 1); err != nil || chs[0].Rev != rev+257 {
		t.Errorf("at the floor: %v %v", chs, err)
	}
}
