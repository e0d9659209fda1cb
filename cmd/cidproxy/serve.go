package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"runtime/debug"
	"sync"
	"syscall"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/spf13/cobra"

	"cidproxy/api"
	"cidproxy/api/stream"
	"cidproxy/cluster"
	"cidproxy/config"
	"cidproxy/crm/service"
	"cidproxy/lookup"
	"cidproxy/sip"
	"cidproxy/sip/event"
	"cidproxy/store"
	"cidproxy/store/sqlsync"
)

// storeLockWait is how long serve waits for the store's lock: a daemon
// restarted right after kill -9 finds it held while the old process exits.
const storeLockWait = 15 * time.Second

// serveCmd is "cidproxy serve".
func (c *cli) serveCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "serve",
		Short: "Run the proxy (embedded defaults without --config)",
		Long: "Run the proxy until SIGINT or SIGTERM. Without --config it runs on the embedded\n" +
			"default configuration (see \"cidproxy config default\"). SIGHUP (or POST /api/v1/reload)\n" +
			"reloads the configuration and the CRM templates without dropping calls; a bad\n" +
			"file is refused with every problem listed and the running configuration stays.",
		Args: cobra.NoArgs,
		RunE: c.withConfig(func(cfg *config.Config, log *slog.Logger, _ []string) int {
			return serve(c.ctx, cfg, log, &c.level, func() (*config.Config, error) { return loadConfig(c.cfgPath) })
		}),
	}
}

// serve runs the daemon until ctx is cancelled (SIGINT/SIGTERM) or a part
// fails, and returns the exit status. SIGHUP reloads the configuration
// with load (see Main.Reload); a bad file is logged and the running
// configuration stays.
func serve(ctx context.Context, cfg *config.Config, log *slog.Logger, level *slog.LevelVar, load func() (*config.Config, error)) int {
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP) // before anything starts: SIGHUP must never kill the daemon
	defer signal.Stop(hup)
	m := NewMain(cfg, log)
	m.Level, m.load = level, load
	err := m.Run(ctx)
	for err == nil {
		select {
		case <-ctx.Done():
		case err = <-m.Failed():
		case <-hup:
			if _, rerr := m.reloadFrom(ctx, load); rerr != nil {
				log.Error("SIGHUP: configuration not reloaded", "err", rerr)
			}
			continue
		}
		break
	}
	if cerr := m.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		log.Error("cidproxy stopped", "err", err)
		return 1
	}
	log.Info("cidproxy stopped")
	return 0
}

// Main is the running daemon: the parts it is built from, opened and
// started in order by Run and stopped in reverse order by Close (the shape
// of wtf's cmd/wtfd). Whatever the daemon runs is started and stopped here.
//
// Start order: store → metrics → event bus and its consumers → workers
// (CRM, ...) → admin listener → SIP. Stop order: SIP intake and open
// transactions → event bus (consumers drain what is queued) → workers →
// admin listener → store.
type Main struct {
	Config *config.Config
	Log    *slog.Logger

	Registry *prometheus.Registry
	DB       *store.DB
	Bus      *event.Bus
	Proxy    *sip.Proxy
	API      *api.Server
	CRM      *service.Service // nil without crm.integrations
	// Popups feeds the extensions' event streams and the popup page.
	Popups *stream.Hub
	SQL    *sqlsync.Syncer // the SQL contact sync (sql.sources)
	// Cluster is the node's part of a cluster (nil without cluster:).
	Cluster *cluster.Node

	// Level, if set, is the log level a reload changes.
	Level *slog.LevelVar

	admin    *adminServer
	resolver lookup.Source // what names callers: local sources, then CRMs
	ready    readiness
	// reloadMu serialises reloads.
	reloadMu sync.Mutex
	load     func() (*config.Config, error) // for POST /api/v1/reload

	// consumers read the bus until it is closed (they drain on Close).
	consumers sync.WaitGroup
	// workers run until stopWorkers; they are stopped after the bus.
	workers     sync.WaitGroup
	workCtx     context.Context
	stopWorkers context.CancelFunc
	// background runs the admin listener and store maintenance.
	background sync.WaitGroup
	stopBG     context.CancelFunc
	stopSIP    context.CancelFunc
	sipDone    chan error

	failed    chan error
	closeOnce sync.Once
	closeErr  error
}

// NewMain returns a daemon for cfg; nothing is opened before Run.
func NewMain(cfg *config.Config, log *slog.Logger) *Main {
	return &Main{Config: cfg, Log: log, failed: make(chan error, 4)}
}

// Failed reports a part that stopped on its own (a listener error).
func (m *Main) Failed() <-chan error { return m.failed }

func (m *Main) fail(err error) {
	select {
	case m.failed <- err:
	default:
	}
}

// Run opens and starts every part, and returns once the daemon serves (or
// the first error; Close then releases what was opened).
func (m *Main) Run(ctx context.Context) error {
	cfg := m.Config
	if _, set := os.LookupEnv("GOMEMLIMIT"); !set && cfg.MemoryLimit > 0 {
		debug.SetMemoryLimit(int64(cfg.MemoryLimit))
	}
	m.Registry = newRegistry()
	db, err := openStore(cfg, m.Log, store.WithLockWait(storeLockWait))
	if err != nil {
		return err
	}
	m.DB = db
	m.ready.store.Store(true)
	m.Registry.MustRegister(m.ready.collector())
	if err := db.RegisterMetrics(m.Registry); err != nil {
		return fmt.Errorf("metrics: %w", err)
	}
	if err := ensureCLIToken(ctx, db, tokenFile(cfg), m.Log); errors.Is(err, store.ErrDiskFull) {
		m.Log.Warn("admin token file not written: the CLI cannot use the running daemon until space is freed and it restarts", "err", err)
	} else if err != nil {
		return fmt.Errorf("admin token file: %w", err)
	}
	// Building the index from the store leaves tens of MB of garbage
	// (decode buffers, grown maps) that the heap would otherwise keep
	// until the first busy hour; return it to the OS before serving.
	debug.FreeOSMemory()

	m.Bus = event.NewBus()
	m.Registry.MustRegister(busCollector{m.Bus})
	if cfg.Events.Log {
		sub := m.Bus.Subscribe("log", cfg.Events.QueueSize)
		m.consume(func() { event.Log(context.WithoutCancel(ctx), sub, m.Log.With("component", "events")) })
	}
	m.workCtx, m.stopWorkers = context.WithCancel(context.WithoutCancel(ctx))
	if err := m.startCluster(); err != nil {
		return err
	}

	resolver, err := m.startCRM(ctx)
	if err != nil {
		return err
	}
	m.resolver = resolver
	if err := m.startPopups(ctx, m.CRM); err != nil {
		return err
	}
	if err := m.startSQL(); err != nil {
		return err
	}
	m.Proxy, err = sip.New(cfg.SIP, sip.Options{
		Resolver:   resolver,
		Bus:        m.Bus,
		Logger:     m.Log.With("component", "sip"),
		Registerer: m.Registry,
	})
	if err != nil {
		return err
	}
	if err := m.startAdmin(); err != nil {
		return err
	}
	m.startSIP(ctx)
	m.Log.Info("cidproxy starting", "version", Version, "contacts", db.Index().Contacts(), "prefix_rules", db.Index().Rules())
	return nil
}

// consume runs a bus consumer; Close waits for it after closing the bus.
func (m *Main) consume(fn func()) { m.consumers.Go(fn) }

// work runs a worker until Close cancels its context (after the bus has
// drained).
func (m *Main) work(name string, fn func(context.Context) error) {
	m.workers.Go(func() {
		if err := fn(m.workCtx); err != nil && !errors.Is(err, context.Canceled) {
			m.Log.Error("worker stopped", "worker", name, "err", err)
		}
	})
}

// startSQL starts the SQL contact sync's schedules (a worker: stopped
// after the bus, before the store closes; runs in progress are cancelled
// and write nothing).
func (m *Main) startSQL() error {
	sealer, err := loadSealer(m.Config.CRM.KeyFile, m.Config.Store.Dir)
	if err != nil {
		return err
	}
	s, err := sqlsync.New(m.DB, m.Config.SQL, m.Log, m.Registry, sqlsync.WithSealer(sealer))
	if err != nil {
		return err
	}
	m.SQL = s
	if m.Cluster != nil {
		s.SetLeaser(m.Cluster.Leases) // scheduled syncs run on one node
	}
	m.work("sqlsync", s.Run)
	return nil
}

func (m *Main) startAdmin() error {
	cfg := m.Config
	m.API = api.New(m.DB, api.Options{
		Logger:         m.Log.With("component", "api"),
		Registerer:     m.Registry,
		PublicURL:      cfg.Admin.PublicURL,
		MaxBodySize:    int64(cfg.Admin.MaxBodySize),
		ProtectMetrics: cfg.Admin.ProtectMetrics,
		Normalize:      api.KeyFunc(m.DB.Normalizer().Key),
		Resolver:       m.resolver,
		SQL:            m.SQL,
		Explain: func(ctx context.Context, q lookup.Query) ([]string, error) {
			return explainLines(ctx, m.DB, cfg.Lookup.IdentifyFromAllCompanyContacts, q)
		},
		Reload: func(ctx context.Context) (any, error) {
			if m.load == nil {
				return nil, errors.New("no configuration to reload from")
			}
			return m.reloadFrom(ctx, m.load)
		},
		Stream: m.Popups,
	})
	if m.CRM != nil { // a nil *service.Service must not become a non-nil api.CRM
		m.API.SetCRM(m.CRM)
	}
	admin, err := newAdmin(cfg.Admin.Listen, m.API.ProtectMetrics(metricsHandler(m.Registry, m.Log)), &m.ready, m.Log.With("component", "admin"))
	if err != nil {
		return fmt.Errorf("admin: %w", err)
	}
	m.admin = admin
	m.API.Mount(admin.mux)
	if cfg.Admin.Pprof {
		admin.mountPprof()
	}
	bg, stop := context.WithCancel(context.Background())
	m.stopBG = stop
	m.background.Go(func() {
		if err := admin.Serve(bg); err != nil {
			m.Log.Error("admin listener failed; stopping", "err", err)
			m.fail(fmt.Errorf("admin: %w", err))
		}
	})
	m.background.Go(func() {
		if err := m.DB.Run(bg); err != nil && !errors.Is(err, context.Canceled) {
			m.Log.Error("store maintenance", "err", err)
		}
	})
	return nil
}

func (m *Main) startSIP(ctx context.Context) {
	sipCtx, stop := context.WithCancel(ctx)
	m.stopSIP = stop
	m.sipDone = make(chan error, 1)
	go func() {
		select {
		case <-m.Proxy.Ready():
			m.ready.sip.Store(true)
		case <-sipCtx.Done():
		}
	}()
	go func() {
		err := m.Proxy.Serve(sipCtx)
		if errors.Is(err, context.Canceled) {
			err = nil
		}
		if err != nil && sipCtx.Err() == nil {
			m.fail(err) // a listen error, not a shutdown: reported once, by Failed
			err = nil
		}
		m.sipDone <- err
	}()
}

// Close stops every part in reverse order of Run and returns the first
// error. It may be called after a failed Run and more than once.
func (m *Main) Close() error {
	m.closeOnce.Do(func() { m.closeErr = m.close() })
	return m.closeErr
}

func (m *Main) close() error {
	m.ready.closing.Store(true)
	var errs []error
	if m.stopSIP != nil {
		m.stopSIP() // intake stops; open transactions get sip.shutdown_grace
		if err := <-m.sipDone; err != nil {
			errs = append(errs, err)
		}
	}
	if m.Bus != nil {
		m.Bus.Close()
	}
	m.consumers.Wait()
	if m.stopWorkers != nil {
		m.stopWorkers()
	}
	m.workers.Wait()
	if m.Cluster != nil {
		m.Cluster.Close()
	}
	if m.stopBG != nil {
		m.stopBG()
	}
	m.background.Wait()
	if m.DB != nil {
		if err := m.DB.Close(); err != nil {
			m.Log.Error("closing store", "err", err)
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}
