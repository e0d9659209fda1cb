package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"text/tabwriter"
	"time"

	"cidproxy/config"
	"cidproxy/lookup"
	"cidproxy/store"
)

const tokenUsage = `usage:
  cidproxy token create [-config FILE] --ext NUMBER [--label TEXT]   a token for one extension
  cidproxy token create [-config FILE] --admin [--label TEXT]        an admin token
  cidproxy token list [-config FILE]                                 list tokens (ids, never the tokens)
  cidproxy token revoke [-config FILE] ID                            revoke a token by its id

The token is printed once; the store keeps only its hash. Use it as
"Authorization: Bearer TOKEN" on /api/v1, or as ?token= / HTTP Basic
password (user name: the extension) on /phonebook/FORMAT.
`

// tokenMain runs "cidproxy token ...". It opens the store itself, so it
// fails with status 1 while the daemon holds it.
func tokenMain(ctx context.Context, cfg *config.Config, log *slog.Logger, args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, tokenUsage)
		return 2
	}
	var run func(*store.DB) int
	switch cmd, rest := args[0], args[1:]; {
	case cmd == "create":
		v, label, ok := parseTokenCreate(rest, stderr)
		if !ok {
			return 2
		}
		run = func(db *store.DB) int { return createToken(ctx, db, v, label, stdout, stderr) }
	case cmd == "list" && len(rest) == 0:
		run = func(db *store.DB) int { return listTokens(ctx, db, stdout, stderr) }
	case cmd == "revoke" && len(rest) == 1:
		run = func(db *store.DB) int {
			if err := db.DeleteToken(ctx, rest[0]); err != nil {
				return exitErr(stderr, "cidproxy token revoke", err)
			}
			fmt.Fprintf(stdout, "revoked token %s\n", rest[0])
			return 0
		}
	default:
		fmt.Fprint(stderr, tokenUsage)
		return 2
	}
	db, err := openStore(cfg, log)
	if err != nil {
		return storeOpenFailed(stderr, err)
	}
	defer closeStore(db, stderr)
	return run(db)
}

// parseTokenCreate reads the flags of "token create".
func parseTokenCreate(args []string, stderr io.Writer) (lookup.Viewer, string, bool) {
	fs := flag.NewFlagSet("cidproxy token create", flag.ContinueOnError)
	fs.SetOutput(stderr)
	ext := fs.String("ext", "", "extension number the token belongs to")
	admin := fs.Bool("admin", false, "create an admin token")
	label := fs.String("label", "", "a note to tell tokens apart")
	if err := fs.Parse(args); err != nil {
		return lookup.Viewer{}, "", false
	}
	if fs.NArg() != 0 || (*ext == "") == !*admin {
		fmt.Fprint(stderr, "cidproxy token create: give exactly one of --ext NUMBER or --admin\n\n"+tokenUsage)
		return lookup.Viewer{}, "", false
	}
	return lookup.Viewer{Admin: *admin, Extension: *ext}, *label, true
}

func createToken(ctx context.Context, db *store.DB, v lookup.Viewer, label string, stdout, stderr io.Writer) int {
	tok, err := db.CreateToken(ctx, v, label)
	if err != nil {
		if errors.Is(err, store.ErrNotFound) {
			fmt.Fprintf(stderr, "cidproxy token create: extension %s does not exist\n", v.Extension)
			return 1
		}
		return exitErr(stderr, "cidproxy token create", err)
	}
	who := "admin"
	if !v.Admin {
		who = "extension " + v.Extension
	}
	fmt.Fprintf(stderr, "created a token for %s; it is shown only once:\n", who)
	fmt.Fprintln(stdout, tok)
	return 0
}

func listTokens(ctx context.Context, db *store.DB, stdout, stderr io.Writer) int {
	infos, err := db.ListTokens(ctx)
	if err != nil {
		return exitErr(stderr, "cidproxy token list", err)
	}
	tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tFOR\tCREATED\tLABEL")
	for _, ti := range infos {
		who := "admin"
		if !ti.Viewer.Admin {
			who = "extension " + ti.Viewer.Extension
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", ti.ID, who, ti.Created.UTC().Format(time.RFC3339), ti.Label)
	}
	tw.Flush()
	return 0
}
