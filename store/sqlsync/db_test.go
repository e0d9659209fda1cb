package sqlsync

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"fmt"
	"log/slog"
	"testing"

	"cidproxy/config"
	"cidproxy/store"
)

// testDB is a scratch schema on one of the machine's database servers
// (PostgreSQL 127.0.0.1:5432, MariaDB 127.0.0.1:3306). A server that is
// down fails the test: it is part of the test environment.
type testDB struct {
	driver string // config driver name
	dsn    string
	schema string
	db     *sql.DB
}

var servers = []struct{ driver, dsn string }{
	{"postgres", "postgres://postgres@127.0.0.1:5432/test?sslmode=disable"},
	{"mysql", "root@tcp(127.0.0.1:3306)/test"},
}

// eachServer runs fn as a subtest per database server.
func eachServer(t *testing.T, fn func(t *testing.T, tdb *testDB)) {
	for _, s := range servers {
		t.Run(s.driver, func(t *testing.T) { fn(t, newTestDB(t, s.driver, s.dsn)) })
	}
}

func newTestDB(t *testing.T, driver, dsn string) *testDB {
	t.Helper()
	db, err := sql.Open(dialects[driver].driver, dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	if err := db.PingContext(context.Background()); err != nil {
		t.Fatalf("the %s server the tests use is not reachable (%s): %v", driver, dsn, err)
	}
	b := make([]byte, 4)
	_, _ = rand.Read(b)
	tdb := &testDB{driver: driver, dsn: dsn, schema: "sqlsync_" + hex.EncodeToString(b), db: db}
	if driver == "postgres" {
		tdb.exec(t, "CREATE SCHEMA "+tdb.schema)
		t.Cleanup(func() { _, _ = db.Exec("DROP SCHEMA " + tdb.schema + " CASCADE") })
	} else {
		tdb.exec(t, "CREATE DATABASE "+tdb.schema)
		t.Cleanup(func() { _, _ = db.Exec("DROP DATABASE " + tdb.schema) })
	}
	tdb.exec(t, "CREATE TABLE "+tdb.schema+".contacts (id INT PRIMARY KEY, first VARCHAR(100), last VARCHAR(100), company VARCHAR(100), phone VARCHAR(40), mobile VARCHAR(40), belongto VARCHAR(40))")
	return tdb
}

func (d *testDB) exec(t *testing.T, q string, args ...any) {
	t.Helper()
	if d.driver == "postgres" {
		q = pgParams(q)
	}
	if _, err := d.db.Exec(q, args...); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
}

// pgParams turns ? placeholders into $1, $2, ...
func pgParams(q string) string {
	out, n := []byte{}, 0
	for i := 0; i < len(q); i++ {
		if q[i] == '?' {
			n++
			out = append(out, fmt.Sprintf("$%d", n)...)
			continue
		}
		out = append(out, q[i])
	}
	return string(out)
}

// insert adds a row: id, first, last, company, phone, mobile, belongto.
func (d *testDB) insert(t *testing.T, id int, first, last, company, phone, mobile, belongto string) {
	t.Helper()
	d.exec(t, "INSERT INTO "+d.schema+".contacts VALUES (?, ?, ?, ?, ?, ?, ?)", id, first, last, company, phone, mobile, belongto)
}

// source is a source over the table: id, names, company, phone, mobile.
func (d *testDB) source(name string) config.SQLSource {
	return config.SQLSource{
		Name: name, Driver: d.driver, DSN: d.dsn,
		Map: map[string]string{"id": "id", "first_name": "first", "last_name": "last", "company": "company",
			"business_number": "phone", "mobile_number": "mobile"},
		Filter:    "select ${MAP} from " + d.schema + ".contacts order by id",
		Phonebook: config.SQLPhonebook{Create: "ERP " + name},
	}
}

func openStore(t *testing.T, opts ...store.Option) *store.DB {
	t.Helper()
	db, err := store.Open(config.Store{Dir: t.TempDir(), MemTableSize: 8 << 20}, nil, opts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func newSyncer(t *testing.T, db *store.DB, log *slog.Logger, srcs ...config.SQLSource) *Syncer {
	t.Helper()
	s, err := New(db, config.SQL{Sources: srcs}, log, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Close)
	return s
}

func syncNow(t *testing.T, s *Syncer, name string) Run {
	t.Helper()
	r, err := s.SyncNow(context.Background(), name)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// counts is the comparable part of a run.
type counts struct {
	Outcome, Error                             string
	Added, Updated, Removed, Unchanged, Failed int
}

func countsOf(r Run) counts {
	return counts{r.Outcome, r.Error, r.Added, r.Updated, r.Removed, r.Unchanged, r.Failed}
}

// nameOf resolves number in the store's index ("" when unknown).
func nameOf(db *store.DB, number string) string {
	r, err := db.Index().LookupNumber(number)
	if err != nil {
		return ""
	}
	return r.Name
}
