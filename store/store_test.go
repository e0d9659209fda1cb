package store

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/dgraph-io/badger/v4"

	"cidproxy/config"
	"cidproxy/lookup"
)

func testConfig(dir string) config.Store {
	return config.Store{Dir: dir, MemTableSize: 8 << 20, BlockCacheSize: 16 << 20, IndexCacheSize: 8 << 20}
}

func openTest(t testing.TB, dir string, opts ...Option) *DB {
	t.Helper()
	db, err := Open(testConfig(dir), slog.New(slog.DiscardHandler), opts...)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { _ = db.Close() })
	return db
}

func mustLookup(t *testing.T, db *DB, number, wantID string) {
	t.Helper()
	r, err := db.Index().LookupNumber(number)
	if wantID == "" {
		if !errors.Is(err, lookup.ErrNotFound) {
			t.Errorf("lookup %q: got %+v %v, want not found", number, r, err)
		}
		return
	}
	if err != nil || r.ContactID != wantID {
		t.Errorf("lookup %q: got %+v %v, want %s", number, r, err, wantID)
	}
}

func TestContactCRUD(t *testing.T) {
	ctx := context.Background()
	db := openTest(t, t.TempDir())
	c, err := db.PutContact(ctx, lookup.Contact{FirstName: "Anna", LastName: "Alt", Business: "+49 30 1234567", Mobile: "0171 1111111"})
	if err != nil {
		t.Fatal(err)
	}
	if c.ID == "" || c.Source != lookup.ContactSourceManual {
		t.Fatalf("stored contact %+v", c)
	}
	got, err := db.GetContact(ctx, c.ID)
	if err != nil || !reflect.DeepEqual(got, c) {
		t.Fatalf("GetContact = %+v, %v; want %+v", got, err, c)
	}
	mustLookup(t, db, "030 1234567", c.ID)
	mustLookup(t, db, "+491711111111", c.ID)

	c.Business = "+49 30 7654321"
	c.Mobile = ""
	if _, err := db.PutContact(ctx, c); err != nil {
		t.Fatal(err)
	}
	mustLookup(t, db, "030 1234567", "")
	mustLookup(t, db, "+491711111111", "")
	mustLookup(t, db, "030 7654321", c.ID)
	if n := db.Index().Contacts(); n != 1 {
		t.Errorf("index holds %d contacts after update", n)
	}

	if err := db.DeleteContact(ctx, c.ID); err != nil {
		t.Fatal(err)
	}
	mustLookup(t, db, "030 7654321", "")
	if _, err := db.GetContact(ctx, c.ID); !errors.Is(err, ErrNotFound) {
		t.Errorf("Get after delete: %v", err)
	}
	if err := db.DeleteContact(ctx, c.ID); !errors.Is(err, ErrNotFound) {
		t.Errorf("second delete: %v", err)
	}
}

func TestContactValidation(t *testing.T) {
	db := openTest(t, t.TempDir())
	tests := []struct {
		name  string
		c     lookup.Contact
		field string
	}{
		{"no name", lookup.Contact{Business: "+49301234567"}, "first_name"},
		{"bad number", lookup.Contact{FirstName: "A", Mobile: "not a number"}, "mobile_number"},
		{"too many digits", lookup.Contact{FirstName: "A", HomeFax: "123456789012345678901"}, "home_fax"},
		{"bad id", lookup.Contact{ID: "a/b", FirstName: "A"}, "id"},
		{"too long", lookup.Contact{FirstName: "A", Remark: strings.Repeat("x", 2000)}, "remark"},
		{"bad utf8", lookup.Contact{FirstName: "A", City: "\xff"}, "city"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := db.PutContact(context.Background(), tt.c)
			var fe *FieldError
			if !errors.As(err, &fe) || fe.Field != tt.field || !errors.Is(err, ErrInvalid) {
				t.Fatalf("err = %v, want field %s", err, tt.field)
			}
		})
	}
	if n := db.Index().Contacts(); n != 0 {
		t.Errorf("%d contacts indexed", n)
	}
}

func TestListContactsPagination(t *testing.T) {
	ctx := context.Background()
	db := openTest(t, t.TempDir())
	want := map[string]bool{}
	for i := 0; i < 25; i++ {
		c, err := db.PutContact(ctx, lookup.Contact{Company: "C", Other: "10" + string(rune('0'+i%10))})
		if err != nil {
			t.Fatal(err)
		}
		want[c.ID] = true
	}
	seen := map[string]bool{}
	cursor, pages, last := "", 0, ""
	for {
		page, next, err := db.ListContacts(ctx, cursor, 10)
		if err != nil {
			t.Fatal(err)
		}
		pages++
		for _, c := range page {
			if c.ID <= last || seen[c.ID] {
				t.Fatalf("out of order or repeated: %s after %s", c.ID, last)
			}
			seen[c.ID], last = true, c.ID
		}
		if next == "" {
			break
		}
		cursor = next
	}
	if pages != 3 || len(seen) != len(want) {
		t.Errorf("pages %d, contacts %d, want 3 and %d", pages, len(seen), len(want))
	}
}

func TestRestartRebuildsIndex(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	db, err := Open(testConfig(dir), nil)
	if err != nil {
		t.Fatal(err)
	}
	a, _ := db.PutContact(ctx, lookup.Contact{FirstName: "Anna", Business: "+49 30 1234567"})
	b, _ := db.PutContact(ctx, lookup.Contact{Company: "Gone", Business: "+49 30 2222222"})
	r, err := db.PutPrefixRule(ctx, lookup.PrefixRule{Prefix: "+4930123*", Name: "ACME"})
	if err != nil {
		t.Fatal(err)
	}
	if err := db.DeleteContact(ctx, b.ID); err != nil {
		t.Fatal(err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	db2 := openTest(t, dir)
	if db2.Index().Contacts() != 1 || db2.Index().Rules() != 1 {
		t.Fatalf("after restart: %d contacts, %d rules", db2.Index().Contacts(), db2.Index().Rules())
	}
	mustLookup(t, db2, "004930 1234567", a.ID)
	mustLookup(t, db2, "+49302222222", "")
	got, err := db2.Index().LookupNumber("+49301239999")
	if err != nil || got.Source != lookup.SourcePrefix || got.ContactID != r.ID || got.Name != "ACME" {
		t.Errorf("prefix after restart: %+v %v", got, err)
	}
}

func TestRegionChangeRecomputesKeys(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	db, err := Open(testConfig(dir), nil)
	if err != nil {
		t.Fatal(err)
	}
	c, _ := db.PutContact(ctx, lookup.Contact{FirstName: "Bob", Business: "(202) 555-0143"})
	mustLookup(t, db, "+12025550143", "") // read as a German number under DE
	_ = db.Close()
	us := config.Default().Lookup
	us.DefaultRegion = "US"
	db2 := openTest(t, dir, WithLookup(us))
	mustLookup(t, db2, "+12025550143", c.ID)
	mustLookup(t, db2, "202 555 0143", c.ID)
}

func TestContactCountHint(t *testing.T) {
	ctx := context.Background()
	db := openTest(t, t.TempDir())
	a, _ := db.PutContact(ctx, lookup.Contact{FirstName: "Anna"})
	_, _ = db.PutContact(ctx, lookup.Contact{FirstName: "Bert"})
	_, _ = db.PutContact(ctx, a) // an update does not count
	_ = db.DeleteContact(ctx, a.ID)
	if _, err := db.ImportCSV(ctx, strings.NewReader("company\nX\nY\n"), ""); err != nil {
		t.Fatal(err)
	}
	var n uint64
	_ = db.bdb.View(func(txn *badger.Txn) (err error) { n, err = readCount(txn); return })
	if n != 3 {
		t.Errorf("count hint %d, want 3", n)
	}
}

func TestOpenWithoutCaches(t *testing.T) {
	cfg := config.Store{Dir: t.TempDir()} // zero sizes: defaults or no cache, never a panic
	db, err := Open(cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.PutContact(context.Background(), lookup.Contact{Company: "X", Business: "+49301234567"}); err != nil {
		t.Fatal(err)
	}
}

func TestOpenTwiceIsLocked(t *testing.T) {
	dir := t.TempDir()
	openTest(t, dir)
	_, err := Open(testConfig(dir), nil)
	if !errors.Is(err, ErrLocked) {
		t.Fatalf("second Open: %v, want ErrLocked", err)
	}
	for _, want := range []string{dir, "is in use by another cidproxy process", "stop it or use its API"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("message %q lacks %q", err, want)
		}
	}
	if !isLockError(errors.New(`Cannot acquire directory lock on "x".  Another process is using this Badger database. err: resource temporarily unavailable`)) {
		t.Error("Badger's lock message not recognised")
	}
}

func TestRunStopsWithContext(t *testing.T) {
	db := openTest(t, t.TempDir(), WithGCInterval(10*time.Millisecond))
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- db.Run(ctx) }()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("Run: %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Run did not stop")
	}
}

func TestBadgerLogsGoToSlog(t *testing.T) {
	var buf bytes.Buffer
	log := slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug}))
	db, err := Open(testConfig(t.TempDir()), log)
	if err != nil {
		t.Fatal(err)
	}
	_ = db.Close()
	if !strings.Contains(buf.String(), "lib=badger") {
		t.Errorf("no badger log lines in slog output: %q", buf.String())
	}
}

func TestKeyLayoutDocumented(t *testing.T) {
	src, err := os.ReadFile(filepath.Join(".", "doc.go")) // the package comment holds the layout
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{prefixContact, prefixProj, prefixRule, prefixKV, keySchema, keyNorm, keyCount,
		keyRev, keyRevFloor, keyProjFmt, prefixRev, prefixPhonebook, prefixExt, prefixPersonal, prefixToken} {
		if !bytes.Contains(src, []byte("//\t"+k)) {
			t.Errorf("key %q is not in the key layout of the package comment (doc.go)", k)
		}
	}
}

func TestIDsAscendAcrossRestart(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	db, err := Open(testConfig(dir), nil)
	if err != nil {
		t.Fatal(err)
	}
	var last string
	for i := 0; i < 100; i++ {
		c, err := db.PutContact(ctx, lookup.Contact{Company: "C"})
		if err != nil {
			t.Fatal(err)
		}
		if len(c.ID) != 13 || c.ID <= last {
			t.Fatalf("id %q after %q", c.ID, last)
		}
		last = c.ID
	}
	// Pretend the clock went back: ids must still ascend after a restart.
	db.ids.observe("vvvvvvvvvvvv0")
	c, _ := db.PutContact(ctx, lookup.Contact{Company: "C"})
	last = c.ID
	_ = db.Close()
	db2 := openTest(t, dir)
	c2, _ := db2.PutContact(ctx, lookup.Contact{Company: "C"})
	if c2.ID <= last {
		t.Errorf("id %q after restart is not above %q", c2.ID, last)
	}
}

func TestBadgerLogLevels(t *testing.T) {
	for _, tc := range []struct {
		name string
		emit func(badgerLogger)
		want string // level in the text output, "" = not logged at warn
	}{
		{"error", func(l badgerLogger) { l.Errorf("disk %s", "gone") }, "level=WARN"},
		{"warning", func(l badgerLogger) { l.Warningf("slow %d", 1) }, "level=WARN"},
		{"cache statistics", func(l badgerLogger) { l.Warningf("Cache life expectancy (in seconds): %+v\n", 1) }, ""},
		{"info", func(l badgerLogger) { l.Infof("compaction") }, ""},
	} {
		var buf bytes.Buffer
		tc.emit(badgerLogger{slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: slog.LevelWarn}))})
		got := buf.String()
		if tc.want == "" && got != "" || tc.want != "" && !strings.Contains(got, tc.want) {
			t.Errorf("%s: logged %q, want %q", tc.name, got, tc.want)
		}
	}
}
