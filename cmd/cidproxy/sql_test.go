package main

import (
	"database/sql"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib"
)

// TestSQLSyncCommand: without a daemon, "cidproxy sql sync NAME" runs the
// source on the store itself and prints the counts; "sql list" shows the
// run; an unknown source and a failed run are status 1.
func TestSQLSyncCommand(t *testing.T) {
	const dsn = "postgres://postgres@127.0.0.1:5432/test?sslmode=disable"
	db, err := sql.Open("pgx", dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() }) // after the schema is dropped (cleanups run last first)
	schema := fmt.Sprintf("cli_sql_%d", time.Now().UnixNano()%1e9)
	for _, q := range []string{"CREATE SCHEMA " + schema, "CREATE TABLE " + schema + ".t (id int, name text, tel text)",
		"INSERT INTO " + schema + ".t VALUES (1, 'Ann', '030 1234567'), (2, 'Bob', '030 7654321')"} {
		if _, err := db.Exec(q); err != nil {
			t.Fatalf("PostgreSQL on 127.0.0.1:5432 (part of the test environment): %s: %v", q, err)
		}
	}
	t.Cleanup(func() { _, _ = db.Exec("DROP SCHEMA " + schema + " CASCADE") })
	dir := t.TempDir()
	cfg := filepath.Join(dir, "c.yaml")
	yaml := fmt.Sprintf(`store: {dir: %q}
sql:
  sources:
    - {name: t, driver: postgres, dsn: %q, map: {id: id, company: name, business_number: tel}, filter: "select ${MAP} from %s.t", phonebook: {create: T}}
    - {name: gone, driver: postgres, dsn: "postgres://postgres@127.0.0.1:1/test?connect_timeout=2", map: {company: name}, filter: "select ${MAP} from %s.t", phonebook: {create: G}}
`, filepath.Join(dir, "data"), dsn, schema, schema)
	if err := os.WriteFile(cfg, []byte(yaml), 0o600); err != nil {
		t.Fatal(err)
	}
	r := runArgs("sql", "sync", "t", "--config", cfg)
	if r.code != 0 || !strings.Contains(r.stdout, "sql:t success") || !strings.Contains(r.stdout, "2 rows, 2 added, 0 updated, 0 removed, 0 unchanged, 0 failed") {
		t.Fatalf("sql sync: %+v", r)
	}
	r = runArgs("sql", "list", "--config", cfg)
	if r.code != 0 || !strings.Contains(r.stdout, "t     postgres  manual") || !strings.Contains(r.stdout, "success") {
		t.Errorf("sql list: %+v", r)
	}
	if r = runArgs("sql", "sync", "nope", "--config", cfg); r.code != 1 || !strings.Contains(r.stderr, `no such source: "nope"`) {
		t.Errorf("unknown source: %+v", r)
	}
	if r = runArgs("sql", "sync", "gone", "--config", cfg); r.code != 1 || !strings.Contains(r.stderr, "nothing was written") {
		t.Errorf("database down: %+v", r)
	}
}
