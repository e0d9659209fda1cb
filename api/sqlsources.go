package api

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"time"

	"cidproxy/config"
	"cidproxy/store/sqlsync"
)

// SQLSources is what the /api/v1/sql-sources routes need of the SQL
// contact sync (store/sqlsync.Syncer).
type SQLSources interface {
	Sources() []sqlsync.Status
	Source(name string) (sqlsync.Status, error)
	SyncNow(ctx context.Context, name string) (sqlsync.Run, error)
	Put(ctx context.Context, cfg config.SQLSource) (created bool, err error)
	Delete(ctx context.Context, name string) error
}

// SyncWait is how long POST /api/v1/sql-sources/{name}/sync waits for the
// run before it answers 202 (the run goes on; GET the source for its
// result). ?wait=0 answers 202 after 100 ms (409 if the source was
// running already).
const SyncWait = 45 * time.Second

// The SQL source routes are admin-only: extension tokens get 404.

func (s *Server) sqlFor(c *call, path string) (SQLSources, error) {
	if err := requireAdmin(c, "resource", path); err != nil {
		return nil, err
	}
	if s.opts.SQL == nil {
		return nil, notFound("sql source", "")
	}
	return s.opts.SQL, nil
}

func (s *Server) listSQLSources(w http.ResponseWriter, r *http.Request, c *call) error {
	if err := requireAdmin(c, "resource", r.URL.Path); err != nil {
		return err
	}
	items := []sqlsync.Status{}
	if s.opts.SQL != nil {
		items = s.opts.SQL.Sources()
	}
	return writeJSON(w, http.StatusOK, map[string]any{"items": items})
}

func (s *Server) getSQLSource(w http.ResponseWriter, r *http.Request, c *call) error {
	src, err := s.sqlFor(c, r.URL.Path)
	if err != nil {
		return err
	}
	st, err := src.Source(r.PathValue("name"))
	if err != nil {
		return sqlProblem(err, r.PathValue("name"))
	}
	return writeJSON(w, http.StatusOK, st)
}

// syncSQLSource is Sync Now: 200 with the run's result, 202 when it takes
// longer than SyncWait (or ?wait=0), 409 when the source is running.
func (s *Server) syncSQLSource(w http.ResponseWriter, r *http.Request, c *call) error {
	src, err := s.sqlFor(c, r.URL.Path)
	if err != nil {
		return err
	}
	name := r.PathValue("name")
	if _, err := src.Source(name); err != nil {
		return sqlProblem(err, name)
	}
	type result struct {
		run sqlsync.Run
		err error
	}
	done := make(chan result, 1)
	// The run does not end with the request: a client that gives up
	// waiting does not cancel it.
	ctx := context.WithoutCancel(r.Context())
	go func() {
		run, err := src.SyncNow(ctx, name)
		done <- result{run, err}
	}()
	wait := SyncWait
	if r.URL.Query().Get("wait") == "0" {
		wait = 100 * time.Millisecond // long enough to answer 409 for a source already running
	}
	timer := time.NewTimer(wait)
	defer timer.Stop()
	select {
	case res := <-done:
		if res.err != nil {
			return sqlProblem(res.err, name)
		}
		return writeJSON(w, http.StatusOK, res.run)
	case <-timer.C:
		w.Header().Set("Location", "/api/v1/sql-sources/"+name)
		return writeJSON(w, http.StatusAccepted, map[string]string{"status": "running", "source": name})
	}
}

// putSQLSource creates or replaces a source managed through the API (201
// or 200); a DSN left out keeps the stored one. Sources of the
// configuration file are 409.
func (s *Server) putSQLSource(w http.ResponseWriter, r *http.Request, c *call) error {
	src, err := s.sqlFor(c, r.URL.Path)
	if err != nil {
		return err
	}
	var cfg config.SQLSource
	if err := decodeJSON(r, &cfg); err != nil {
		return err
	}
	name := r.PathValue("name")
	if cfg.Name == "" {
		cfg.Name = name
	}
	if cfg.Name != name {
		return invalid("name", "the body names %q, the path %q", cfg.Name, name)
	}
	created, err := src.Put(r.Context(), cfg)
	if err != nil {
		return sqlProblem(err, name)
	}
	st, err := src.Source(name)
	if err != nil {
		return err
	}
	return writePut(w, created, st)
}

// deleteSQLSource removes a source managed through the API and the
// contacts and phonebooks it synced.
func (s *Server) deleteSQLSource(w http.ResponseWriter, r *http.Request, c *call) error {
	src, err := s.sqlFor(c, r.URL.Path)
	if err != nil {
		return err
	}
	if err := src.Delete(r.Context(), r.PathValue("name")); err != nil {
		return sqlProblem(err, r.PathValue("name"))
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func sqlProblem(err error, name string) error {
	switch {
	case errors.Is(err, sqlsync.ErrInvalid):
		return problemf(http.StatusUnprocessableEntity, "invalid", "%s", strings.TrimPrefix(err.Error(), sqlsync.ErrInvalid.Error()+": "))
	case errors.Is(err, sqlsync.ErrConfigured):
		return problemf(http.StatusConflict, "conflict", "sql source %q is configured in the file; change it there", name)
	case errors.Is(err, sqlsync.ErrNotFound):
		return notFound("sql source", name)
	case errors.Is(err, sqlsync.ErrBusy):
		return problemf(http.StatusConflict, "conflict", "sql source %q is syncing already; GET /api/v1/sql-sources/%s for its result", name, name)
	}
	return err
}
