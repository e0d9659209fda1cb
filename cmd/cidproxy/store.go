package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"

	"github.com/spf13/cobra"

	"cidproxy/config"
	"cidproxy/store"
)

// openStore opens the configured store with the options every command
// shares (number matching, limits), plus extra.
// The extensions listed in the configuration exist from the first command
// on, not only after the first serve.
func openStore(cfg *config.Config, log *slog.Logger, extra ...store.Option) (*store.DB, error) {
	opts := append([]store.Option{store.WithLookup(cfg.Lookup), store.WithLimits(cfg.Limits)}, extra...)
	db, err := store.Open(cfg.Store, log, opts...)
	if err != nil {
		return nil, err
	}
	err = db.SeedExtensions(context.Background(), cfg.Extensions)
	if errors.Is(err, store.ErrDiskFull) {
		// Start anyway: lookups and calls work from memory (issue 15).
		if log != nil {
			log.Warn("configured extensions not written to the store", "err", err)
		}
	} else if err != nil {
		db.Close()
		return nil, fmt.Errorf("extensions: %w", err)
	}
	return db, nil
}

// withStore opens the store without the contact index (one-shot commands
// need none: faster and smaller) and closes it after fn.
func (c *cli) withStore(fn func(db *store.DB, args []string) int) func(*cobra.Command, []string) error {
	return c.withStoreOrAPI(fn, nil)
}

// withStoreOrAPI is withStore, but while the daemon holds the store it
// runs remote against the daemon's API instead (when remote is not nil).
func (c *cli) withStoreOrAPI(fn func(db *store.DB, args []string) int, remote func(cl *apiClient, args []string) int) func(*cobra.Command, []string) error {
	return c.withConfig(func(cfg *config.Config, log *slog.Logger, args []string) int {
		db, err := openStore(cfg, log, store.WithoutContactIndex())
		if err != nil {
			if remote == nil {
				return storeOpenFailed(c.stderr, err)
			}
			return c.remote(cfg, err, func(cl *apiClient) int { return remote(cl, args) })
		}
		defer closeStore(db, c.stderr)
		return fn(db, args)
	})
}

// storeOpenFailed reports a failed Open; for store.ErrLocked the message
// says the daemon holds the store and what to do.
func storeOpenFailed(stderr io.Writer, err error) int {
	fmt.Fprintf(stderr, "cidproxy: %v\n", err)
	return 1
}

func closeStore(db *store.DB, stderr io.Writer) {
	if err := db.Close(); err != nil {
		fmt.Fprintf(stderr, "cidproxy: %v\n", err)
	}
}
