package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"cidproxy/lookup"
	"cidproxy/store"
)

const tokenHelp = `The token is printed once; the store keeps only its hash. Use it as
"Authorization: Bearer TOKEN" on /api/v1, or as ?token= / HTTP Basic
password (user name: the extension) on /phonebook/FORMAT.`

// tokenCmd is "cidproxy token create|list|revoke". Its subcommands open the
// store themselves, so they fail with status 1 while the daemon holds it.
func (c *cli) tokenCmd() *cobra.Command {
	cmd := group("token", "Create, list and revoke API tokens")
	cmd.Long = "Create, list and revoke API tokens.\n\n" + tokenHelp
	var v lookup.Viewer
	var label string
	create := &cobra.Command{
		Use:   "create (--ext NUMBER | --admin) [--label TEXT]",
		Short: "Create a token for one extension or an admin token (printed once)",
		Long:  "Create a token for one extension or an admin token.\n\n" + tokenHelp,
		Args: func(_ *cobra.Command, args []string) error {
			if len(args) != 0 {
				return usagef("unexpected arguments %q", args)
			}
			if (v.Extension == "") == !v.Admin {
				return usagef("give exactly one of --ext NUMBER or --admin")
			}
			return nil
		},
		RunE: c.withStore(func(db *store.DB, _ []string) int {
			return createToken(c.ctx, db, v, label, c.stdout, c.stderr)
		}),
	}
	create.Flags().StringVar(&v.Extension, "ext", "", "extension number the token belongs to")
	create.Flags().BoolVar(&v.Admin, "admin", false, "create an admin token")
	create.Flags().StringVar(&label, "label", "", "a note to tell tokens apart")
	create.MarkFlagsMutuallyExclusive("ext", "admin")
	cmd.AddCommand(create, &cobra.Command{
		Use:   "list",
		Short: "List tokens (ids, never the tokens)",
		Args:  cobra.NoArgs,
		RunE: c.withStore(func(db *store.DB, _ []string) int {
			return listTokens(c.ctx, db, c.stdout, c.stderr)
		}),
	}, &cobra.Command{
		Use:   "revoke ID",
		Short: "Revoke a token by its id",
		Args:  cobra.ExactArgs(1),
		RunE: c.withStore(func(db *store.DB, args []string) int {
			if err := db.DeleteToken(c.ctx, args[0]); err != nil {
				return exitErr(c.stderr, "cidproxy token revoke", err)
			}
			fmt.Fprintf(c.stdout, "revoked token %s\n", args[0])
			return 0
		}),
	})
	return cmd
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
