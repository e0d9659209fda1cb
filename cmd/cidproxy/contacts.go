package main

import (
	"context"
	"fmt"
	"io"
	"os"

	"github.com/spf13/cobra"

	"cidproxy/lookup"
	"cidproxy/store"
)

const contactColumns = `contact CSV columns (header row; any subset, any order):
  ` + "first_name,last_name,company,email,business_number,business_number_2,business_fax,\n  mobile_number,mobile_number_2,home_number,home_number_2,home_fax,other_number,\n  zip,street,city,state,country,remark" + `
The caller name shown is "first_name last_name", or company when both are empty.
A company contact names a caller only for extensions that may view one of its
phonebooks (or for everyone with lookup.identify_from_all_company_contacts).`

// contactsCmd is "cidproxy contacts ...". Its subcommands open the store
// themselves and fail with status 1 while the daemon holds it.
func (c *cli) contactsCmd() *cobra.Command {
	cmd := group("contacts", "Import and export company contacts and prefix rules")
	cmd.Long = "Import and export company contacts and prefix rules.\n\n" + contactColumns
	var phonebook string
	imp := &cobra.Command{
		Use:   "import FILE.csv",
		Short: "Import company contacts (all or nothing), optionally into an existing phonebook",
		Long:  "Import company contacts from CSV, all or nothing.\n\n" + contactColumns,
		Args:  cobra.ExactArgs(1),
		RunE: c.withStore(func(db *store.DB, args []string) int {
			return importFile(c.ctx, db, "import", args[0], phonebook, c.stdout, c.stderr)
		}),
	}
	imp.Flags().StringVar(&phonebook, "phonebook", "", "phonebook (name or id) the contacts are added to")
	cmd.AddCommand(imp, &cobra.Command{
		Use:   "export",
		Short: "Write company contacts as CSV to stdout",
		Args:  cobra.NoArgs,
		RunE: c.withStore(func(db *store.DB, _ []string) int {
			_, err := db.ExportCSV(c.ctx, c.stdout)
			return exitErr(c.stderr, "cidproxy contacts export", err)
		}),
	}, &cobra.Command{
		Use:   "import-prefixes FILE.csv",
		Short: "Import prefix rules (header: prefix,name)",
		Args:  cobra.ExactArgs(1),
		RunE: c.withStore(func(db *store.DB, args []string) int {
			return importFile(c.ctx, db, "import-prefixes", args[0], "", c.stdout, c.stderr)
		}),
	}, &cobra.Command{
		Use:   "export-prefixes",
		Short: "Write prefix rules as CSV to stdout",
		Args:  cobra.NoArgs,
		RunE: c.withStore(func(db *store.DB, _ []string) int {
			_, err := db.ExportPrefixCSV(c.ctx, c.stdout)
			return exitErr(c.stderr, "cidproxy contacts export-prefixes", err)
		}),
	})
	return cmd
}

func importFile(ctx context.Context, db *store.DB, cmd, path, phonebook string, stdout, stderr io.Writer) int {
	f, err := os.Open(path)
	if err != nil {
		fmt.Fprintf(stderr, "cidproxy contacts %s: %v\n", cmd, err)
		return 1
	}
	defer f.Close()
	var n int
	what := "contacts"
	if cmd == "import" {
		if phonebook != "" {
			if p, perr := db.PhonebookByName(ctx, phonebook); perr == nil {
				phonebook = p.ID // a name is accepted as well as an id
			}
		}
		n, err = db.ImportCSVInto(ctx, f, lookup.ContactSourceCSV, phonebook)
	} else {
		what = "prefix rules"
		n, err = db.ImportPrefixCSV(ctx, f)
	}
	if err != nil {
		fmt.Fprintf(stderr, "cidproxy contacts %s %s: %v\n", cmd, path, err)
		return 1
	}
	fmt.Fprintf(stdout, "imported %d %s from %s\n", n, what, path)
	return 0
}
