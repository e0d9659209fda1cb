package api

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"cidproxy/config"
	"cidproxy/store/sqlsync"
)

// fakeSQL is a SQL sync with one source "erp" whose runs wait for release.
type fakeSQL struct {
	release chan struct{}
	running chan struct{}
	put     []config.SQLSource
}

var _ SQLSources = (*sqlsync.Syncer)(nil)

func (f *fakeSQL) Sources() []sqlsync.Status { st, _ := f.Source("erp"); return []sqlsync.Status{st} }

func (f *fakeSQL) Source(name string) (sqlsync.Status, error) {
	if name != "erp" {
		return sqlsync.Status{}, fmt.Errorf("%w: %q", sqlsync.ErrNotFound, name)
	}
	return sqlsync.Status{Name: "erp", Driver: "postgres", Runs: []sqlsync.Run{}}, nil
}

func (f *fakeSQL) SyncNow(ctx context.Context, name string) (sqlsync.Run, error) {
	select {
	case f.running <- struct{}{}:
	default:
		return sqlsync.Run{}, sqlsync.ErrBusy
	}
	defer func() { <-f.running }()
	<-f.release
	return sqlsync.Run{Source: name, Outcome: sqlsync.OutcomeSuccess, Added: 3}, ctx.Err()
}

func (f *fakeSQL) Put(_ context.Context, c config.SQLSource) (bool, error) {
	switch {
	case c.Name == "erp":
		return false, fmt.Errorf("%w: %q", sqlsync.ErrConfigured, c.Name)
	case c.Driver != "postgres":
		return false, fmt.Errorf("%w: driver: %q is not one of sqlserver, postgres, mysql", sqlsync.ErrInvalid, c.Driver)
	}
	f.put = append(f.put, c)
	return true, nil
}

func (f *fakeSQL) Delete(_ context.Context, name string) error {
	if name == "erp" {
		return fmt.Errorf("%w: %q", sqlsync.ErrConfigured, name)
	}
	return fmt.Errorf("%w: %q", sqlsync.ErrNotFound, name)
}

// TestSQLSourcesManagedAPI: PUT passes the settings on (the DSN included,
// never returned), maps refusals to 422 and 409; DELETE of a file source
// is 409; extension tokens get 404.
func TestSQLSourcesManagedAPI(t *testing.T) {
	f := &fakeSQL{running: make(chan struct{}, 1)}
	e := newEnv(t, func(o *Options, _ *[]storeOption) { o.SQL = f })
	body := `{"driver":"postgres","dsn":"postgres://u:pw@db/x","map":{"id":"id","company":"c"},"filter":"select ${MAP} from a.b",` +
		`"phonebook":{"by_column":"team"},"schedule":{"every":"15m","time_zone":"Europe/Berlin"},"remove_missing":true,"timeout":"2m"}`
	// The fake's Source knows only erp, so the answer is 500-free only for it; check what Put got.
	e.do(req{method: "PUT", path: "/api/v1/sql-sources/crm2", token: e.admin, body: body})
	if len(f.put) != 1 {
		t.Fatalf("Put calls: %+v", f.put)
	}
	got := f.put[0]
	if got.Name != "crm2" || got.DSN != "postgres://u:pw@db/x" || got.Phonebook.ByColumn != "team" || got.Schedule.Every.D() != 15*time.Minute ||
		got.Schedule.TimeZone != "Europe/Berlin" || !got.RemoveMissing || got.Timeout.D() != 2*time.Minute || got.Map["company"] != "c" {
		t.Errorf("Put got %+v", got)
	}
	p := e.expect(req{method: "PUT", path: "/api/v1/sql-sources/crm2", token: e.admin, body: `{"driver":"oracle"}`}, http.StatusUnprocessableEntity).problem(t)
	if !strings.Contains(p.Detail, `driver: "oracle" is not one of`) {
		t.Errorf("422: %+v", p)
	}
	e.expect(req{method: "PUT", path: "/api/v1/sql-sources/erp", token: e.admin, body: `{"driver":"postgres"}`}, http.StatusConflict)
	e.expect(req{method: "PUT", path: "/api/v1/sql-sources/crm2", token: e.admin, body: `{"name":"other"}`}, http.StatusUnprocessableEntity)
	e.expect(req{method: "DELETE", path: "/api/v1/sql-sources/erp", token: e.admin}, http.StatusConflict)
	e.expect(req{method: "DELETE", path: "/api/v1/sql-sources/nope", token: e.admin}, http.StatusNotFound)
	e.expect(req{method: "PUT", path: "/api/v1/sql-sources/crm2", token: e.tok["1001"], body: body}, http.StatusNotFound)
	e.expect(req{method: "DELETE", path: "/api/v1/sql-sources/erp", token: e.tok["1001"]}, http.StatusNotFound)
}

// TestSQLSourcesAPI: admins list and read sources and Sync Now answers the
// run's result, 202 when asked not to wait, 409 while a run is going and
// 404 for unknown sources; extension tokens see none of it.
func TestSQLSourcesAPI(t *testing.T) {
	f := &fakeSQL{release: make(chan struct{}), running: make(chan struct{}, 1)}
	e := newEnv(t, func(o *Options, _ *[]storeOption) { o.SQL = f })
	r := e.expect(req{method: "GET", path: "/api/v1/sql-sources", token: e.admin}, http.StatusOK)
	if !strings.Contains(string(r.Body), `"name":"erp"`) || strings.Contains(string(r.Body), "dsn") {
		t.Errorf("list: %s", r.Body)
	}
	e.expect(req{method: "GET", path: "/api/v1/sql-sources/erp", token: e.admin}, http.StatusOK)
	e.expect(req{method: "GET", path: "/api/v1/sql-sources/nope", token: e.admin}, http.StatusNotFound)
	e.expect(req{method: "POST", path: "/api/v1/sql-sources/nope/sync", token: e.admin}, http.StatusNotFound)
	for _, path := range []string{"/api/v1/sql-sources", "/api/v1/sql-sources/erp"} {
		e.expect(req{method: "GET", path: path, token: e.tok["1001"]}, http.StatusNotFound)
	}
	e.expect(req{method: "POST", path: "/api/v1/sql-sources/erp/sync", token: e.tok["1001"]}, http.StatusNotFound)

	r = e.expect(req{method: "POST", path: "/api/v1/sql-sources/erp/sync?wait=0", token: e.admin}, http.StatusAccepted)
	if r.Header.Get("Location") != "/api/v1/sql-sources/erp" {
		t.Errorf("202 Location %q", r.Header.Get("Location"))
	}
	p := e.expect(req{method: "POST", path: "/api/v1/sql-sources/erp/sync", token: e.admin}, http.StatusConflict).problem(t)
	if !strings.Contains(p.Detail, `"erp" is syncing already`) {
		t.Errorf("409: %+v", p)
	}
	f.release <- struct{}{} // the first run ends although its request did
	for len(f.running) > 0 {
		time.Sleep(time.Millisecond)
	}
	go func() { f.release <- struct{}{} }()
	r = e.expect(req{method: "POST", path: "/api/v1/sql-sources/erp/sync", token: e.admin}, http.StatusOK)
	if !strings.Contains(string(r.Body), `"outcome":"success"`) || !strings.Contains(string(r.Body), `"added":3`) {
		t.Errorf("sync result %s", r.Body)
	}
}
