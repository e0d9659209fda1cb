package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
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
		RunE: c.withStoreOrAPI(func(db *store.DB, _ []string) int {
			return createToken(c.ctx, db, v, label, c.stdout, c.stderr)
		}, func(cl *apiClient, _ []string) int {
			return c.createTokenAPI(cl, v, label)
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
		RunE: c.withStoreOrAPI(func(db *store.DB, _ []string) int {
			infos, err := db.ListTokens(c.ctx)
			return c.printTokens(infos, err)
		}, func(cl *apiClient, _ []string) int {
			var pg struct{ Items []store.TokenInfo }
			err := cl.do(c.ctx, http.MethodGet, "/api/v1/tokens?limit=1000", nil, &pg)
			return c.printTokens(pg.Items, err)
		}),
	}, &cobra.Command{
		Use:   "revoke ID",
		Short: "Revoke a token by its id",
		Args:  cobra.ExactArgs(1),
		RunE: c.withStoreOrAPI(func(db *store.DB, args []string) int {
			return c.revoked(args[0], db.DeleteToken(c.ctx, args[0]))
		}, func(cl *apiClient, args []string) int {
			return c.revoked(args[0], cl.do(c.ctx, http.MethodDelete, "/api/v1/tokens/"+url.PathEscape(args[0]), nil, nil))
		}),
	})
	return cmd
}

func (c *cli) revoked(id string, err error) int {
	if err != nil {
		return exitErr(c.stderr, "cidproxy token revoke", err)
	}
	fmt.Fprintf(c.stdout, "revoked token %s\n", id)
	return 0
}

func createToken(ctx context.Context, db *store.DB, v lookup.Viewer, label string, stdout, stderr io.Writer) int {
	tok, err := db.CreateToken(ctx, v, label)
	if errors.Is(err, store.ErrNotFound) {
		fmt.Fprintf(stderr, "cidproxy token create: extension %s does not exist\n", v.Extension)
		return 1
	}
	return printCreated(v, tok, err, stdout, stderr)
}

// createTokenAPI creates the token through the daemon's API.
func (c *cli) createTokenAPI(cl *apiClient, v lookup.Viewer, label string) int {
	var out struct{ Token string }
	err := cl.do(c.ctx, http.MethodPost, "/api/v1/tokens", map[string]any{"extension": v.Extension, "admin": v.Admin, "label": label}, &out)
	return printCreated(v, out.Token, err, c.stdout, c.stderr)
}

func printCreated(v lookup.Viewer, tok string, err error, stdout, stderr io.Writer) int {
	if err != nil {
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

func (c *cli) printTokens(infos []store.TokenInfo, err error) int {
	if err != nil {
		return exitErr(c.stderr, "cidproxy token list", err)
	}
	tw := tabwriter.NewWriter(c.stdout, 0, 4, 2, ' ', 0)
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
