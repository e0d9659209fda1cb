// Package sqlsync synchronises contacts from SQL databases (Microsoft SQL
// Server, PostgreSQL, MySQL/MariaDB) into the store: each configured
// source runs its filter on a schedule or on demand (Sync Now), maps the
// columns to contact fields and writes the rows as read-only contacts
// with source sql:NAME into its phonebook(s), all or nothing, through one
// store.Bulk per run. It is the only package that imports the SQL drivers.
//
// A run streams the rows (a read-only transaction with a statement
// timeout), keys each contact by the mapped id column (or a hash of the
// mapped values), skips rows whose values did not change since the last
// run, stages the new and changed ones and, with remove_missing, the
// deletion of contacts absent now, then commits. A run that fails (the
// database is down, the query times out, the contacts limit would be
// exceeded) writes nothing. Results (the last 20 runs per source) are kept
// in the store, logged, counted in metrics and sent by email and webhook.
package sqlsync

import (
	"context"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"runtime/debug"
	"slices"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/robfig/cron/v3"

	// The SQL drivers, registered as pgx, mysql and sqlserver.
	_ "github.com/go-sql-driver/mysql"
	_ "github.com/jackc/pgx/v5/stdlib"
	_ "github.com/microsoft/go-mssqldb"

	"cidproxy/config"
	"cidproxy/store"
)

// ErrNotFound: no source of that name.
var ErrNotFound = errors.New("sqlsync: no such source")

// ErrBusy: the source is running already.
var ErrBusy = errors.New("sqlsync: a run of this source is in progress")

// bigRun is the row count from which a run returns free memory to the OS.
const bigRun = 50_000

// maxRuns is how many runs each source keeps.
const maxRuns = 20

// kvNamespace holds the sync state and run history in the store.
const kvNamespace = "sqlsync"

// Syncer runs the configured sources.
type Syncer struct {
	db   *store.DB
	log  *slog.Logger
	m    *metrics
	smtp config.SMTP
	// smtpRoots verifies the relay's certificate (nil: the system's).
	smtpRoots *x509.CertPool
	http      *http.Client
	sealer    Sealer // seals DSNs of sources managed through the API

	srcMu   sync.RWMutex // guards sources, names, entries and cron's entries
	sources map[string]*source
	names   []string
	entries map[string]cron.EntryID

	base   context.Context // cancelled by Close: stops runs
	cancel context.CancelFunc
	cron   *cron.Cron
	// leaser, when set, runs scheduled syncs on one node of a cluster.
	leaser Leaser
	mu     sync.Mutex // guards closed and wg.Add
	closed bool
	wg     sync.WaitGroup // runs and notifications in flight
}

// track counts work that Close waits for; false once closed.
func (s *Syncer) track() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return false
	}
	s.wg.Add(1)
	return true
}

// Option configures New.
type Option func(*Syncer)

// WithSealer lets sources managed through the API keep a literal DSN,
// sealed at rest; without it such a DSN must be ${env:NAME} or
// ${file:PATH}.
func WithSealer(sl Sealer) Option { return func(s *Syncer) { s.sealer = sl } }

// New compiles the configured sources (an invalid filter is an error
// naming the source), loads the sources managed through the API and the
// run histories. reg may be nil.
func New(db *store.DB, cfg config.SQL, log *slog.Logger, reg prometheus.Registerer, opts ...Option) (*Syncer, error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	base, cancel := context.WithCancel(context.Background())
	s := &Syncer{db: db, log: log.With("component", "sqlsync"), m: newMetrics(reg), smtp: cfg.SMTP,
		http: &http.Client{Timeout: 10 * time.Second}, sources: map[string]*source{}, entries: map[string]cron.EntryID{},
		base: base, cancel: cancel}
	for _, o := range opts {
		o(s)
	}
	for _, c := range cfg.Sources {
		src, err := compile(c)
		if err != nil {
			cancel()
			return nil, err
		}
		src.fromFile = true
		s.add(src)
	}
	if err := s.loadManaged(); err != nil {
		cancel()
		return nil, err
	}
	return s, nil
}

// add registers src (srcMu held or not yet shared) with its history.
func (s *Syncer) add(src *source) {
	src.runs = s.loadRuns(src.cfg.Name)
	if _, ok := s.sources[src.cfg.Name]; !ok {
		s.names = append(s.names, src.cfg.Name)
	}
	s.sources[src.cfg.Name] = src
}

// lookup returns source name.
func (s *Syncer) lookup(name string) (*source, error) {
	s.srcMu.RLock()
	defer s.srcMu.RUnlock()
	src, ok := s.sources[name]
	if !ok {
		return nil, fmt.Errorf("%w: %q", ErrNotFound, name)
	}
	return src, nil
}

// schedule (re)adds src's cron entry while Run runs (srcMu held).
func (s *Syncer) schedule(src *source) error {
	if id, ok := s.entries[src.cfg.Name]; ok {
		s.cron.Remove(id)
		delete(s.entries, src.cfg.Name)
	}
	if s.cron == nil || src.spec == "" {
		return nil
	}
	id, err := s.cron.AddFunc(src.spec, func() { s.scheduled(src) })
	if err != nil {
		return fmt.Errorf("sqlsync: source %s: schedule %q: %w", src.cfg.Name, src.spec, err)
	}
	s.entries[src.cfg.Name] = id
	return nil
}

// Run starts the schedules and blocks until ctx ends; then it stops
// them, cancels runs in progress and waits for them.
func (s *Syncer) Run(ctx context.Context) error {
	c := cron.New()
	s.srcMu.Lock()
	s.cron = c
	for _, name := range s.names {
		if err := s.schedule(s.sources[name]); err != nil {
			s.srcMu.Unlock()
			return err
		}
	}
	s.srcMu.Unlock()
	c.Start()
	<-ctx.Done()
	<-c.Stop().Done()
	s.Close()
	return nil
}

// Close cancels runs in progress and waits for them and for pending
// notifications.
func (s *Syncer) Close() {
	s.mu.Lock()
	s.closed = true
	s.mu.Unlock()
	s.cancel()
	s.wg.Wait()
}

// Leaser runs scheduled work on one node of a cluster at a time.
type Leaser interface {
	// Do runs fn if this node gets lease name (ran false: another node
	// holds it); fn's context ends when the lease is lost.
	Do(ctx context.Context, name string, fn func(context.Context)) (ran bool, err error)
}

// SetLeaser makes scheduled runs take lease "sqlsync.SOURCE" first (call
// before Run). Sync Now is not leased.
func (s *Syncer) SetLeaser(l Leaser) { s.leaser = l }

func (s *Syncer) scheduled(src *source) {
	if s.leaser == nil {
		s.runScheduled(s.base, src)
		return
	}
	ran, err := s.leaser.Do(s.base, "sqlsync."+src.cfg.Name, func(ctx context.Context) { s.runScheduled(ctx, src) })
	switch {
	case err != nil:
		s.log.Warn("scheduled sync skipped: lease unavailable", "source", src.cfg.Name, "err", err)
	case !ran:
		s.log.Info("scheduled sync left to the node holding its lease", "source", src.cfg.Name)
	}
}

func (s *Syncer) runScheduled(ctx context.Context, src *source) {
	if _, err := s.start(ctx, src, "schedule"); errors.Is(err, ErrBusy) {
		s.log.Warn("scheduled sync skipped: the previous run is still going", "source", src.cfg.Name)
	}
}

// SyncNow runs source name now and returns its result; ErrBusy when it
// is running already. The run stops when ctx or the Syncer ends (writing
// nothing).
func (s *Syncer) SyncNow(ctx context.Context, name string) (Run, error) {
	src, err := s.lookup(name)
	if err != nil {
		return Run{}, err
	}
	runCtx, cancel := context.WithCancel(s.base)
	defer cancel()
	stop := context.AfterFunc(ctx, cancel)
	defer stop()
	return s.start(runCtx, src, "manual")
}

func (s *Syncer) start(ctx context.Context, src *source, trigger string) (Run, error) {
	if !src.run.TryLock() {
		return Run{}, ErrBusy
	}
	defer src.run.Unlock()
	if !s.track() {
		return Run{}, context.Canceled
	}
	defer s.wg.Done()
	src.setRunning(true)
	defer src.setRunning(false)
	r := s.run(ctx, src, trigger)
	s.finish(src, r)
	if r.Rows >= bigRun {
		// A big run leaves its garbage (row values, the state map) in
		// the heap; hand it back so the daemon's RSS returns to its
		// index, not to the run's peak.
		debug.FreeOSMemory()
	}
	return r, nil
}

func (src *source) setRunning(on bool) {
	src.mu.Lock()
	src.running = on
	src.mu.Unlock()
}

// finish records, logs, counts and announces a run.
func (s *Syncer) finish(src *source, r Run) {
	src.mu.Lock()
	src.runs = append(src.runs, r)
	if len(src.runs) > maxRuns {
		src.runs = slices.Delete(src.runs, 0, len(src.runs)-maxRuns)
	}
	runs := slices.Clone(src.runs)
	src.mu.Unlock()
	if b, err := json.Marshal(runs); err == nil {
		if err := s.db.KV(kvNamespace).Put(context.Background(), src.cfg.Name+"/runs", b); err != nil {
			s.log.Warn("sync history not saved", "source", src.cfg.Name, "err", err)
		}
	}
	s.m.observe(r)
	lvl := slog.LevelInfo
	if r.Outcome == OutcomeFailed {
		lvl = slog.LevelWarn
	}
	s.log.Log(context.Background(), lvl, "sql sync finished", "source", r.Source, "trigger", r.Trigger, "outcome", r.Outcome,
		"added", r.Added, "updated", r.Updated, "removed", r.Removed, "unchanged", r.Unchanged, "failed", r.Failed,
		"duration", time.Duration(r.Duration*float64(time.Second)).Round(time.Millisecond), "error", r.Error)
	if len(r.Errors) > 0 {
		s.log.Debug("sql sync row errors", "source", r.Source, "errors", r.Errors)
	}
	s.notify(src, r)
}

func (s *Syncer) loadRuns(name string) []Run {
	b, err := s.db.KV(kvNamespace).Get(context.Background(), name+"/runs")
	if err != nil {
		return nil
	}
	var runs []Run
	if err := json.Unmarshal(b, &runs); err != nil {
		s.log.Warn("sync history unreadable, starting afresh", "source", name, "err", err)
		return nil
	}
	return runs
}

// Status is a source as the API shows it: its settings without the DSN,
// and its last runs (oldest first).
type Status struct {
	Name          string              `json:"name"`
	Driver        string              `json:"driver"`
	Map           map[string]string   `json:"map"`
	Filter        string              `json:"filter"`
	Phonebook     config.SQLPhonebook `json:"phonebook"`
	Schedule      string              `json:"schedule,omitempty"`
	TimeZone      string              `json:"time_zone,omitempty"`
	Notify        []string            `json:"notify,omitempty"`
	Webhook       bool                `json:"webhook"`
	RemoveMissing bool                `json:"remove_missing"`
	Timeout       config.Duration     `json:"timeout,omitempty"`
	// Managed: "config" (the file; read-only through the API) or "api".
	Managed string `json:"managed"`
	Running bool   `json:"running"`
	Runs    []Run  `json:"runs"`
}

// Sources returns every source's status, in configuration order.
func (s *Syncer) Sources() []Status {
	s.srcMu.RLock()
	defer s.srcMu.RUnlock()
	out := make([]Status, 0, len(s.names))
	for _, n := range s.names {
		out = append(out, s.sources[n].status())
	}
	return out
}

// Source returns the status of source name (ErrNotFound).
func (s *Syncer) Source(name string) (Status, error) {
	src, err := s.lookup(name)
	if err != nil {
		return Status{}, err
	}
	return src.status(), nil
}

func (src *source) status() Status {
	c := src.cfg
	st := Status{Name: c.Name, Driver: c.Driver, Map: c.Map, Filter: c.Filter, Phonebook: c.Phonebook,
		Schedule: src.spec, TimeZone: c.Schedule.TimeZone, Notify: config.NotifyAddresses(c.Notify),
		Webhook: c.Webhook != "", RemoveMissing: c.RemoveMissing, Timeout: c.Timeout, Managed: "api"}
	if src.fromFile {
		st.Managed = "config"
	}
	src.mu.Lock()
	st.Running, st.Runs = src.running, slices.Clone(src.runs)
	src.mu.Unlock()
	if st.Runs == nil {
		st.Runs = []Run{}
	}
	return st
}
