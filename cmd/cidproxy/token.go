package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"

	"cidproxy/config"
	"cidproxy/lookup"
	"cidproxy/store"
)

const tokenUsage = `usage:
  cidproxy token create [-config FILE] --ext NUMBER [--label TEXT]   a token for one extension
  cidproxy token create [-config FILE] --admin [--label TEXT]        an admin token

The token is printed once; the store keeps only its hash. Use it as
"Authorization: Bearer TOKEN" on /api/v1, or as ?token= / HTTP Basic
password on /phonebook/FORMAT.
`

// tokenMain runs "cidproxy token ...". It opens the store itself, so it
// fails with status 1 while the daemon holds it.
func tokenMain(ctx context.Context, cfg *config.Config, log *slog.Logger, args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 || args[0] != "create" {
		fmt.Fprint(stderr, tokenUsage)
		return 2
	}
	fs := flag.NewFlagSet("cidproxy token create", flag.ContinueOnError)
	fs.SetOutput(stderr)
	ext := fs.String("ext", "", "extension number the token belongs to")
	admin := fs.Bool("admin", false, "create an admin token")
	label := fs.String("label", "", "a note to tell tokens apart")
	if err := fs.Parse(args[1:]); err != nil {
		return 2
	}
	if fs.NArg() != 0 || (*ext == "") == !*admin {
		fmt.Fprint(stderr, "cidproxy token create: give exactly one of --ext NUMBER or --admin\n\n"+tokenUsage)
		return 2
	}
	db, err := store.Open(cfg.Store, log, store.WithLookup(cfg.Lookup))
	if err != nil {
		return storeOpenFailed(stderr, err)
	}
	defer closeStore(db, stderr)
	v := lookup.Viewer{Admin: *admin, Extension: *ext}
	tok, err := db.CreateToken(ctx, v, *label)
	if err != nil {
		if errors.Is(err, store.ErrNotFound) {
			fmt.Fprintf(stderr, "cidproxy token create: extension %s does not exist\n", *ext)
			return 1
		}
		return exitErr(stderr, "cidproxy token create", err)
	}
	who := "admin"
	if !*admin {
		who = "extension " + *ext
	}
	fmt.Fprintf(stderr, "created a token for %s; it is shown only once:\n", who)
	fmt.Fprintln(stdout, tok)
	return 0
}
