package main

import (
	"log/slog"

	"cidproxy/config"
	"cidproxy/store"
)

// openStore opens the configured store with the options every command
// shares (number matching, limits), plus extra.
func openStore(cfg *config.Config, log *slog.Logger, extra ...store.Option) (*store.DB, error) {
	opts := append([]store.Option{store.WithLookup(cfg.Lookup), store.WithLimits(cfg.Limits)}, extra...)
	return store.Open(cfg.Store, log, opts...)
}
