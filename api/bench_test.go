package api

import (
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"

	"cidproxy/config"
	"cidproxy/lookup"
	"cidproxy/store"
)

// benchStore opens a store with n company contacts in a phonebook that
// extension 1001 may view, and returns it with a token of 1001.
func benchStore(b *testing.B, n int) (*store.DB, *Server, string, string) {
	b.Helper()
	log := slog.New(slog.DiscardHandler)
	db, err := store.Open(config.Store{Dir: b.TempDir()}, log, store.WithLookup(config.Default().Lookup))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { db.Close() })
	ctx := b.Context()
	if _, err := db.PutExtension(ctx, lookup.Extension{Number: "1001", Name: "A"}); err != nil {
		b.Fatal(err)
	}
	pb, err := db.PutPhonebook(ctx, lookup.Phonebook{Name: "all", View: []string{"1001"}})
	if err != nil {
		b.Fatal(err)
	}
	cs := make([]lookup.Contact, n)
	for i := range cs {
		cs[i] = lookup.Contact{FirstName: fmt.Sprintf("First%d", i), LastName: "Bench", Mobile: fmt.Sprintf("+49151%08d", i)}
	}
	if _, err := db.ImportContacts(ctx, cs, "", pb.ID, false); err != nil {
		b.Fatal(err)
	}
	tok, err := db.CreateToken(ctx, lookup.Viewer{Extension: "1001"}, "bench")
	if err != nil {
		b.Fatal(err)
	}
	return db, New(db, Options{}), tok, pb.ID
}

func serve(b *testing.B, s *Server, path, tok string) {
	r := httptest.NewRequest("GET", path, nil)
	r.Header.Set("Authorization", "Bearer "+tok)
	w := httptest.NewRecorder()
	s.Handler().ServeHTTP(w, r)
	if w.Code != http.StatusOK {
		b.Fatalf("%s: %d %s", path, w.Code, w.Body)
	}
}

// BenchmarkSyncSince: GET /api/v1/sync?since= with 1,000 changes after
// since among 20,000 contacts, as an extension (visibility filtered).
func BenchmarkSyncSince(b *testing.B) {
	db, s, tok, _ := benchStore(b, 20_000)
	since := db.Rev()
	cs, _, err := db.SearchContacts(b.Context(), lookup.ContactQuery{Viewer: lookup.Viewer{Admin: true}, Limit: 1000})
	if err != nil || len(cs) != 1000 {
		b.Fatalf("%d contacts, %v", len(cs), err)
	}
	for i := range cs {
		cs[i].Remark = "changed"
		if _, err := db.PutContact(b.Context(), cs[i]); err != nil {
			b.Fatal(err)
		}
	}
	path := fmt.Sprintf("/api/v1/sync?since=%d&limit=1000", since)
	b.ReportAllocs()
	for b.Loop() {
		serve(b, s, path, tok)
	}
}

// BenchmarkPhoneDirectory: a Yealink directory of 2,000 contacts.
func BenchmarkPhoneDirectory(b *testing.B) {
	_, s, tok, _ := benchStore(b, 2_000)
	b.ReportAllocs()
	for b.Loop() {
		serve(b, s, "/phonebook/yealink", tok)
	}
}

// BenchmarkListContacts: one page of 100 contacts with a name search.
func BenchmarkListContacts(b *testing.B) {
	_, s, tok, _ := benchStore(b, 20_000)
	b.ReportAllocs()
	for b.Loop() {
		serve(b, s, "/api/v1/contacts?q=first1&limit=100", tok)
	}
}
