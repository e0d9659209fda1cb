package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"runtime/debug"
	"sync"

	"cidproxy/api"
	"cidproxy/config"
	"cidproxy/lookup"
	"cidproxy/sip"
	"cidproxy/sip/event"
)

// serve runs the daemon until ctx is cancelled (SIGINT/SIGTERM) and returns
// the exit status. Shutdown order: SIP intake and open transactions, then
// the event bus and its workers, then the admin listener, then the store.
func serve(ctx context.Context, cfg *config.Config, log *slog.Logger) int {
	if err := runDaemon(ctx, cfg, log); err != nil {
		log.Error("cidproxy stopped", "err", err)
		return 1
	}
	log.Info("cidproxy stopped")
	return 0
}

func runDaemon(ctx context.Context, cfg *config.Config, log *slog.Logger) error {
	if _, set := os.LookupEnv("GOMEMLIMIT"); !set && cfg.MemoryLimit > 0 {
		debug.SetMemoryLimit(int64(cfg.MemoryLimit))
	}
	reg := newRegistry()
	db, err := openStore(cfg, log)
	if err != nil {
		return err
	}
	defer func() {
		if err := db.Close(); err != nil {
			log.Error("closing store", "err", err)
		}
	}()
	if err := db.RegisterMetrics(reg); err != nil {
		return fmt.Errorf("metrics: %w", err)
	}
	if err := db.SeedExtensions(ctx, cfg.Extensions); err != nil {
		return fmt.Errorf("extensions: %w", err)
	}
	// Building the index from the store leaves tens of MB of garbage
	// (decode buffers, grown maps) that the heap would otherwise keep
	// until the first busy hour; return it to the OS before serving.
	debug.FreeOSMemory()

	bus := event.NewBus()
	reg.MustRegister(busCollector{bus})
	var workers sync.WaitGroup
	if cfg.Events.Log {
		sub := bus.Subscribe("log", cfg.Events.QueueSize)
		workers.Go(func() { event.Log(context.WithoutCancel(ctx), sub, log.With("component", "events")) })
	}

	proxy, err := sip.New(cfg.SIP, sip.Options{
		Resolver:   lookup.Chain{db.Resolver()},
		Bus:        bus,
		Logger:     log.With("component", "sip"),
		Registerer: reg,
	})
	if err != nil {
		return err
	}
	apiSrv := api.New(db, api.Options{
		Logger:         log.With("component", "api"),
		Registerer:     reg,
		PublicURL:      cfg.Admin.PublicURL,
		MaxBodySize:    int64(cfg.Admin.MaxBodySize),
		ProtectMetrics: cfg.Admin.ProtectMetrics,
		Normalize:      api.KeyFunc(db.Normalizer().Key),
	})
	admin, err := newAdmin(cfg.Admin.Listen, apiSrv.ProtectMetrics(metricsHandler(reg, log)), log.With("component", "admin"))
	if err != nil {
		return fmt.Errorf("admin: %w", err)
	}
	apiSrv.Mount(admin.mux)
	if cfg.Admin.Pprof {
		admin.mountPprof()
	}

	bg, stopBG := context.WithCancel(context.WithoutCancel(ctx))
	var bgWG sync.WaitGroup
	adminErr := make(chan error, 1)
	bgWG.Go(func() { adminErr <- admin.Serve(bg) })
	bgWG.Go(func() {
		if err := db.Run(bg); err != nil && !errors.Is(err, context.Canceled) {
			log.Error("store maintenance", "err", err)
		}
	})
	log.Info("cidproxy starting", "version", Version, "contacts", db.Index().Contacts(), "prefix_rules", db.Index().Rules())

	sipCtx, stopSIP := context.WithCancel(ctx)
	defer stopSIP()
	sipErr := make(chan error, 1)
	go func() { sipErr <- proxy.Serve(sipCtx) }()
	var runErr error
	select {
	case runErr = <-sipErr: // after ctx is done and transactions drained, or on a listen error
	case err := <-adminErr:
		runErr = fmt.Errorf("admin: %w", err)
		log.Error("admin listener failed; stopping", "err", err)
		stopSIP()
		<-sipErr
	}
	if errors.Is(runErr, context.Canceled) {
		runErr = nil
	}
	bus.Close()
	workers.Wait()
	stopBG()
	bgWG.Wait()
	return runErr
}
