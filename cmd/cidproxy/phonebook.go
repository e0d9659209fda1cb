package main

import (
	"fmt"
	"net/http"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"cidproxy/lookup"
	"cidproxy/store"
)

// phonebookCmd is "cidproxy phonebook list|create": enough to give
// imported contacts a phonebook the callees may view. Both work while the
// daemon runs (through its API).
func (c *cli) phonebookCmd() *cobra.Command {
	cmd := group("phonebook", "List and create phonebooks (who sees which company contacts)")
	var p lookup.Phonebook
	create := &cobra.Command{
		Use:   "create NAME [--view-all | --view EXT,...] [--manage EXT,...]",
		Short: "Create a phonebook; its contacts name callers for the extensions that may view it",
		Args:  cobra.ExactArgs(1),
		RunE: c.withStoreOrAPI(func(db *store.DB, args []string) int {
			p.Name = args[0]
			created, err := db.PutPhonebook(c.ctx, p)
			return c.printPhonebook(created, err)
		}, func(cl *apiClient, args []string) int {
			p.Name = args[0]
			var created lookup.Phonebook
			err := cl.do(c.ctx, http.MethodPost, "/api/v1/phonebooks", p, &created)
			return c.printPhonebook(created, err)
		}),
	}
	create.Flags().BoolVar(&p.ViewAll, "view-all", false, "every extension (and every callee) may view it")
	create.Flags().StringSliceVar(&p.View, "view", nil, "extensions that may view it")
	create.Flags().StringSliceVar(&p.Manage, "manage", nil, "extensions that may edit its contacts")
	cmd.AddCommand(create, &cobra.Command{
		Use:   "list",
		Short: "List phonebooks with who may view them",
		Args:  cobra.NoArgs,
		RunE: c.withStoreOrAPI(func(db *store.DB, _ []string) int {
			pbs, err := db.ListPhonebooks(c.ctx)
			return c.printPhonebooks(pbs, err)
		}, func(cl *apiClient, _ []string) int {
			var pg struct{ Items []lookup.Phonebook }
			err := cl.do(c.ctx, http.MethodGet, "/api/v1/phonebooks?limit=1000", nil, &pg)
			return c.printPhonebooks(pg.Items, err)
		}),
	})
	return cmd
}

func (c *cli) printPhonebook(p lookup.Phonebook, err error) int {
	if err != nil {
		return exitErr(c.stderr, "cidproxy phonebook create", err)
	}
	fmt.Fprintf(c.stdout, "created phonebook %q (id %s), viewed by %s\n", p.Name, p.ID, viewers(p))
	return 0
}

func (c *cli) printPhonebooks(pbs []lookup.Phonebook, err error) int {
	if err != nil {
		return exitErr(c.stderr, "cidproxy phonebook list", err)
	}
	tw := tabwriter.NewWriter(c.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tNAME\tVIEWED BY\tSOURCE")
	for _, p := range pbs {
		src := p.Source
		if src == "" {
			src = "-"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", p.ID, p.Name, viewers(p), src)
	}
	tw.Flush()
	return 0
}

func viewers(p lookup.Phonebook) string {
	switch {
	case p.ViewAll || p.ManageAll:
		return "everyone"
	case len(p.View)+len(p.Manage) == 0:
		return "nobody yet (add --view or --view-all)"
	}
	return strings.Join(append(append([]string{}, p.View...), p.Manage...), ",")
}
