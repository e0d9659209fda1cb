package e2e

import (
	"database/sql"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib"
)

// TestSQLSyncNamesCalls: a PostgreSQL table synced by the running daemon
// names the caller (cidproxy sql sync talks to the daemon); after the
// row's name changes and Sync Now runs (the API), the next call shows the
// new name. The DSN comes from a file and never reaches the log.
func TestSQLSyncNamesCalls(t *testing.T) {
	const dsn = "postgres://postgres:e2e-S3cret@127.0.0.1:5432/test?sslmode=disable"
	db, err := sql.Open("pgx", dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() }) // after the schema is dropped (cleanups run last first)
	if err := db.Ping(); err != nil {
		t.Fatalf("PostgreSQL on 127.0.0.1:5432 (part of the test environment): %v", err)
	}
	schema := fmt.Sprintf("e2e_sql_%d", time.Now().UnixNano()%1e9)
	mustExec(t, db, "CREATE SCHEMA "+schema)
	t.Cleanup(func() { _, _ = db.Exec("DROP SCHEMA " + schema + " CASCADE") })
	mustExec(t, db, "CREATE TABLE "+schema+".people (id int primary key, vorname text, nachname text, telefon text)")
	mustExec(t, db, "INSERT INTO "+schema+".people VALUES (1, 'Ann', 'Alt', '030 5551001'), (2, 'Bert', 'Bau', '+49 30 5551002')")

	dsnFile := filepath.Join(t.TempDir(), "dsn")
	if err := os.WriteFile(dsnFile, []byte(dsn+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	uas := freePort(t)
	d := startDaemon(t, daemonOpts{tr: transports[0], upstream: uas, extra: fmt.Sprintf(`sql:
  sources:
    - name: people
      driver: postgres
      dsn: "${file:%s}"
      map: {id: id, first_name: vorname, last_name: nachname, business_number: telefon}
      filter: select ${MAP} from %s.people order by id
      phonebook: {create: People DB}
`, dsnFile, schema)})
	e := &crmEnv{d: d, uasPort: uas}
	ann := plainCaller("+49305551001")

	out, err := cli(t, "sql", "sync", "people", "-config", d.cfgPath)
	if err != nil || !strings.Contains(out, "sql:people success") || !strings.Contains(out, "2 added") {
		t.Fatalf("cidproxy sql sync: %v\n%s", err, out)
	}
	e.placeCalls(t, "answer", named(`"Ann Alt"`), uacOpts{}, ann).checkSource(t, 1, "company")

	mustExec(t, db, "UPDATE "+schema+".people SET vorname = 'Anna', nachname = 'Neu' WHERE id = 1")
	body := adminPOST(t, d, "/api/v1/sql-sources/people/sync")
	if !strings.Contains(body, `"outcome":"success"`) || !strings.Contains(body, `"updated":1`) || !strings.Contains(body, `"unchanged":1`) {
		t.Fatalf("Sync Now: %s", body)
	}
	e.placeCalls(t, "answer", named(`"Anna Neu"`), uacOpts{}, ann).checkSource(t, 1, "company")

	if n := e.crmMetric(t, "cidproxy_sql_sync_runs_total", `outcome="success"`, `source="people"`); n != 2 {
		t.Errorf("cidproxy_sql_sync_runs_total{success} = %v, want 2", n)
	}
	if log := d.logTail(1000); strings.Contains(log, "e2e-S3cret") {
		t.Error("the DSN's password is in the daemon log")
	}
}

func mustExec(t *testing.T, db *sql.DB, q string) {
	t.Helper()
	if _, err := db.Exec(q); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
}

// adminPOST posts to the daemon's API with its admin token file and
// returns the body of a 200 answer.
func adminPOST(t *testing.T, d *daemon, path string) string {
	t.Helper()
	tok, err := os.ReadFile(filepath.Join(filepath.Dir(d.cfgPath), "data", "admin.token"))
	if err != nil {
		t.Fatal(err)
	}
	req, _ := http.NewRequest(http.MethodPost, d.admin+path, nil)
	req.Header.Set("Authorization", "Bearer "+strings.TrimSpace(string(tok)))
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("POST %s: %v", path, err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(io.LimitReader(res.Body, 1<<20))
	if res.StatusCode != http.StatusOK {
		t.Fatalf("POST %s: %d %s", path, res.StatusCode, b)
	}
	return string(b)
}
