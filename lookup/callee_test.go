package lookup

import (
	"errors"
	"slices"
	"testing"
)

func calleeTestIndex(t *testing.T, lastN int) *Index {
	t.Helper()
	ix := NewIndex(mustNormalizer(t, "DE"), lastN)
	ix.PutExtension("1001", "Alice")
	ix.PutExtension("1002", "Bob")
	ix.PutPhonebook(PhonebookEntry{ID: "pa", Name: "A", View: []string{"1001"}})
	ix.PutPhonebook(PhonebookEntry{ID: "pb", Name: "B", View: []string{"1002"}})
	ix.PutPhonebook(PhonebookEntry{ID: "pall", Name: "All", ViewAll: true})
	return ix
}

func TestResolverSharedNumberPicksVisibleSmallestID(t *testing.T) {
	ix := calleeTestIndex(t, 0)
	ix.PutContact(IndexEntry{ID: "c1", Name: "One", Keys: []string{"+49301111111"}, Phonebooks: []string{"pb"}})
	ix.PutContact(IndexEntry{ID: "c2", Name: "Two", Keys: []string{"+49301111111"}, Phonebooks: []string{"pa"}})
	ix.PutContact(IndexEntry{ID: "c3", Name: "Three", Keys: []string{"+49301111111"}, Phonebooks: []string{"pa", "pall"}})
	r := ix.Resolver(false)
	for _, c := range []struct{ callee, id, pb string }{
		{"1001", "c2", "A"},   // c1 is the overall winner but invisible to 1001
		{"1002", "c1", "B"},   //
		{"9999", "c3", "All"}, // unknown callee: view-all only
	} {
		res, err := r.Resolve("030 1111111", c.callee)
		if err != nil || res.ContactID != c.id || res.Phonebook != c.pb {
			t.Errorf("callee %s: %+v %v, want %s via %s", c.callee, res, err, c.id, c.pb)
		}
	}
	if got := ix.Candidates("+49301111111"); !slices.Equal(got, []string{"c1", "c2", "c3"}) {
		t.Errorf("Candidates = %v", got)
	}
}

func TestResolverTailCountsVisibleOnly(t *testing.T) {
	ix := calleeTestIndex(t, 7)
	ix.PutContact(IndexEntry{ID: "c1", Name: "Seen", Keys: []string{"+49301234567"}, Phonebooks: []string{"pa"}})
	ix.PutContact(IndexEntry{ID: "c2", Name: "Unseen", Keys: []string{"+49401234567"}, Phonebooks: []string{"pb"}})
	r := ix.Resolver(false)
	// "1234567" alone: both share the last 7 digits, only c1 is visible to 1001.
	if res, err := r.Resolve("+43 1234567", "1001"); err != nil || res.ContactID != "c1" {
		t.Errorf("1001: %+v %v", res, err)
	}
	if _, err := ix.Resolver(true).Resolve("+43 1234567", "1001"); !errors.Is(err, ErrAmbiguous) {
		t.Errorf("all contacts: %v, want ErrAmbiguous", err)
	}
	// Personal tail.
	ix.PutPersonal("1002", IndexEntry{ID: "p1", Name: "Mine", Keys: []string{"+49891234567"}})
	if res, err := r.Resolve("+43 1234567", "1002"); err != nil || res.Source != SourcePersonal {
		t.Errorf("personal tail: %+v %v", res, err)
	}
}

func TestDirectoryUpdates(t *testing.T) {
	ix := calleeTestIndex(t, 0)
	ix.PutContact(IndexEntry{ID: "c1", Name: "One", Keys: []string{"+49301111111"}, Phonebooks: []string{"pa", "pb"}})
	r := ix.Resolver(false)
	ix.DeletePhonebook("pa")
	if _, err := r.Resolve("030 1111111", "1001"); !errors.Is(err, ErrNotFound) {
		t.Errorf("after deleting pa: %v", err)
	}
	if res, err := r.Resolve("030 1111111", "1002"); err != nil || res.Phonebook != "B" {
		t.Errorf("pb still there: %+v %v", res, err)
	}
	// A new phonebook reuses pa's index: the contact must not reappear.
	ix.PutPhonebook(PhonebookEntry{ID: "pnew", Name: "New", View: []string{"1001"}})
	if _, err := r.Resolve("030 1111111", "1001"); !errors.Is(err, ErrNotFound) {
		t.Errorf("recycled phonebook index leaks: %v", err)
	}
	if !ix.CanView(Viewer{Extension: "1001"}, "pnew") || ix.CanView(Viewer{Extension: "1002"}, "pnew") || !ix.CanView(Viewer{Admin: true}, "pnew") {
		t.Error("CanView")
	}
	// Search text replaced in place.
	if !ix.SetText("c1", "zzz") {
		t.Fatal("SetText")
	}
	if ids, _ := ix.Search(SearchFilter{Viewer: Viewer{Admin: true}, Text: "zzz"}); !slices.Equal(ids, []string{"c1"}) {
		t.Errorf("Search after SetText = %v", ids)
	}
	if res, err := r.Resolve("030 1111111", "1002"); err != nil || res.Name != "One" {
		t.Errorf("SetText broke the slot: %+v %v", res, err)
	}
	// Personal contacts: replace, shared numbers, delete.
	ix.PutPersonal("1001", IndexEntry{ID: "p2", Name: "Later", Keys: []string{"+49302222222"}})
	ix.PutPersonal("1001", IndexEntry{ID: "p1", Name: "Earlier", Keys: []string{"+49302222222"}})
	if res, _ := r.Resolve("030 2222222", "1001"); res.ContactID != "p1" {
		t.Errorf("shared personal number: %+v", res)
	}
	ix.DeletePersonal("1001", "p1")
	if res, _ := r.Resolve("030 2222222", "1001"); res.ContactID != "p2" {
		t.Errorf("after delete: %+v", res)
	}
	ix.PutPersonal("1001", IndexEntry{ID: "p2", Name: "Renumbered", Keys: []string{"+49303333333"}})
	if _, err := r.Resolve("030 2222222", "1001"); !errors.Is(err, ErrNotFound) {
		t.Errorf("old personal number: %v", err)
	}
	if ix.Personal("1001") != 1 || ix.Extensions() != 2 {
		t.Errorf("counts: %d personal, %d extensions", ix.Personal("1001"), ix.Extensions())
	}
	// An extension with an empty name does not name callers.
	ix.PutExtension("1003", "")
	if _, err := r.Resolve("1003", "1001"); !errors.Is(err, ErrNotFound) {
		t.Errorf("nameless extension: %v", err)
	}
}

func TestResolverHitDoesNotAllocate(t *testing.T) {
	ix := calleeTestIndex(t, 0)
	ix.PutContact(IndexEntry{ID: "c1", Name: "One", Keys: []string{"+49301111111"}, Phonebooks: []string{"pa"}})
	ix.PutPersonal("1001", IndexEntry{ID: "p1", Name: "Mine", Keys: []string{"+49302222222"}})
	r := ix.Resolver(false)
	for _, n := range []string{"030 1111111", "+49302222222", "1002"} {
		if a := testing.AllocsPerRun(100, func() { _, _ = r.Resolve(n, "sip:1001@pbx") }); a != 0 {
			t.Errorf("%s: %v allocations", n, a)
		}
	}
}

func TestGrantBeforeExtensionExists(t *testing.T) {
	ix := calleeTestIndex(t, 0)
	ix.PutPhonebook(PhonebookEntry{ID: "pc", Name: "C", View: []string{"1004"}})
	ix.PutContact(IndexEntry{ID: "c1", Name: "One", Keys: []string{"+49301111111"}, Phonebooks: []string{"pc"}})
	r := ix.Resolver(false)
	if _, err := r.Resolve("030 1111111", "1004"); !errors.Is(err, ErrNotFound) {
		t.Errorf("not yet an extension: %v", err)
	}
	ix.PutExtension("1004", "Dan")
	if res, err := r.Resolve("030 1111111", "1004"); err != nil || res.Phonebook != "C" {
		t.Errorf("after creating 1004: %+v %v", res, err)
	}
	ix.DeleteExtension("1004")
	if _, err := r.Resolve("030 1111111", "1004"); !errors.Is(err, ErrNotFound) {
		t.Errorf("after deleting 1004: %v", err)
	}
}
