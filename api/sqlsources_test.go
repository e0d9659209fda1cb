package api

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"cidproxy/store/sqlsync"
)

// fakeSQL is a SQL sync with one source "erp" whose runs wait for release.
type fakeSQL struct {
	release chan struct{}
	running chan struct{}
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
