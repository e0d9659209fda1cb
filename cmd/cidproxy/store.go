package main

import (
	"fmt"
	"io"
	"log/slog"

	"github.com/spf13/cobra"

	"cidproxy/config"
	"cidproxy/store"
)

// openStore opens the configured store with the options every command
// shares (number matching, limits), plus extra.
func openStore(cfg *config.Config, log *slog.Logger, extra ...store.Option) (*store.DB, error) {
	opts := append([]store.Option{store.WithLookup(cfg.Lookup), store.WithLimits(cfg.Limits)}, extra...)
	return store.Open(cfg.Store, log, opts...)
}

// withStore opens the store without the contact index (one-shot commands
// need none: faster and smaller) and closes it after fn.
func (c *cli) withStore(fn func(db *store.DB, args []string) int) func(*cobra.Command, []string) error {
	return c.withConfig(func(cfg *config.Config, log *slog.Logger, args []string) int {
		db, err := openStore(cfg, log, store.WithoutContactIndex())
		if err != nil {
			return storeOpenFailed(c.stderr, err)
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
