package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"slices"
	"strings"

	"github.com/spf13/cobra"

	"cidproxy/contactfile"
	"cidproxy/lookup"
	"cidproxy/store"
)

const contactColumns = `contact CSV columns (header row; any subset, any order):
  ` + "first_name,last_name,company,email,business_number,business_number_2,business_fax,\n  mobile_number,mobile_number_2,home_number,home_number_2,home_fax,other_number,\n  zip,street,city,state,country,remark,phonebooks (names, separated by |)" + `
The caller name shown is "first_name last_name", or company when both are empty.
A company contact names a caller only for extensions that may view one of its
phonebooks (or for everyone with lookup.identify_from_all_company_contacts).`

const importHelp = `Formats (--format, detected by default): cidproxy's CSV (the columns above),
Google Contacts CSV, Outlook CSV (English or German headers), vCard 2.1/3.0/4.0.
CSV may be comma-, semicolon- or tab-separated and start with a UTF-8 BOM.

Re-importing a file does not duplicate contacts (--mode merge, the default):
a row updates the stored contact with the same e-mail address or, without
one, the same first name, last name, company and first number. --mode
replace also deletes the contacts the file no longer has (the phonebook's
members with --phonebook, else every company contact that is not synced).`

// contactsCmd is "cidproxy contacts ...". Its subcommands open the store
// themselves and fail with status 1 while the daemon holds it.
func (c *cli) contactsCmd() *cobra.Command {
	cmd := group("contacts", "Import and export company contacts and prefix rules")
	cmd.Long = "Import and export company contacts and prefix rules.\n\n" + contactColumns
	var o importOpts
	imp := &cobra.Command{
		Use:   "import FILE",
		Short: "Import company contacts (CSV, Google or Outlook CSV, vCard; all or nothing)",
		Long:  "Import company contacts, all or nothing.\n\n" + contactColumns + "\n\n" + importHelp,
		Args:  cobra.ExactArgs(1),
		PreRunE: func(*cobra.Command, []string) error {
			if !slices.Contains(contactfile.Formats, o.format) {
				return usagef("--format %q: use %s", o.format, strings.Join(contactfile.Formats, ", "))
			}
			if !slices.Contains([]string{"add", "merge", "replace"}, o.mode) {
				return usagef("--mode %q: use merge, replace or add", o.mode)
			}
			return nil
		},
		RunE: c.withStoreOrAPI(func(db *store.DB, args []string) int {
			return c.importContacts(db, args[0], o)
		}, func(cl *apiClient, args []string) int {
			return c.importContactsAPI(cl, args[0], o)
		}),
	}
	imp.Flags().StringVar(&o.phonebook, "phonebook", "", "phonebook (name or id) the contacts are added to")
	imp.Flags().StringVar(&o.format, "format", contactfile.Auto, "file format: "+strings.Join(contactfile.Formats, ", "))
	imp.Flags().StringVar(&o.mode, "mode", "merge", "merge: update contacts imported before; replace: also delete those the file no longer has; add: always add")
	_ = imp.RegisterFlagCompletionFunc("format", cobra.FixedCompletions(contactfile.Formats, cobra.ShellCompDirectiveNoFileComp))
	_ = imp.RegisterFlagCompletionFunc("mode", cobra.FixedCompletions([]string{"merge", "replace", "add"}, cobra.ShellCompDirectiveNoFileComp))
	cmd.AddCommand(imp, &cobra.Command{
		Use:   "export",
		Short: "Write company contacts as CSV to stdout (with their phonebooks; import reads it back unchanged)",
		Args:  cobra.NoArgs,
		RunE: c.withStore(func(db *store.DB, _ []string) int {
			return c.exportContacts(db)
		}),
	}, &cobra.Command{
		Use:   "import-prefixes FILE.csv",
		Short: "Import prefix rules (header: prefix,name)",
		Args:  cobra.ExactArgs(1),
		RunE: c.withStore(func(db *store.DB, args []string) int {
			return importFile(c.ctx, db, "import-prefixes", args[0], c.stdout, c.stderr)
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

func importFile(ctx context.Context, db *store.DB, cmd, path string, stdout, stderr io.Writer) int {
	f, err := os.Open(path)
	if err != nil {
		fmt.Fprintf(stderr, "cidproxy contacts %s: %v\n", cmd, err)
		return 1
	}
	defer f.Close()
	n, err := db.ImportPrefixCSV(ctx, f)
	if err != nil {
		fmt.Fprintf(stderr, "cidproxy contacts %s %s: %v\n", cmd, path, err)
		return 1
	}
	fmt.Fprintf(stdout, "imported %d prefix rules from %s\n", n, path)
	return 0
}

// importOpts are the flags of "contacts import".
type importOpts struct {
	phonebook, format, mode string
}

// importContacts reads a contact file in any supported format and imports
// it all or nothing; merge and replace recognise contacts imported before.
func (c *cli) importContacts(db *store.DB, path string, o importOpts) int {
	fail := func(format string, a ...any) int {
		fmt.Fprintf(c.stderr, "cidproxy contacts import %s: %s\n", path, fmt.Sprintf(format, a...))
		return 1
	}
	f, err := os.Open(path)
	if err != nil {
		return fail("%v", err)
	}
	defer f.Close()
	file, err := contactfile.Read(f, o.format)
	if err != nil {
		return fail("%v; nothing written", err)
	}
	if len(file.Errors) > 0 {
		for _, e := range file.Errors {
			fmt.Fprintf(c.stderr, "  %v\n", e)
		}
		return fail("%d rows cannot be read (first: %v); nothing written", len(file.Errors), file.Errors[0])
	}
	pb := o.phonebook
	if pb != "" {
		if p, perr := db.PhonebookByName(c.ctx, pb); perr == nil {
			pb = p.ID // a name is accepted as well as an id
		}
	}
	rows := make([]store.MergeRow, len(file.Rows))
	for i, r := range file.Rows {
		rows[i] = store.MergeRow{Row: r.Line, Contact: r.Contact, Phonebooks: r.Phonebooks}
	}
	res, err := db.ImportMerged(c.ctx, rows, pb, store.ImportMode(o.mode))
	if err != nil {
		for _, r := range res.Rejected {
			fmt.Fprintf(c.stderr, "  line %d: %s: %s\n", r.Row, r.Field, r.Error)
		}
		if len(res.Rejected) > 0 {
			r := res.Rejected[0]
			return fail("%d rows rejected (first: line %d: %s: %s); nothing written", len(res.Rejected), r.Row, r.Field, r.Error)
		}
		return fail("%v", err)
	}
	fmt.Fprintf(c.stdout, "imported %d contacts from %s (%s, %s): %d added, %d updated, %d unchanged, %d deleted\n",
		len(rows), path, file.Format, o.mode, res.Added, res.Updated, res.Unchanged, res.Deleted)
	if len(rows) > 0 && o.phonebook == "" && !c.cfg.Lookup.IdentifyFromAllCompanyContacts && !anyPhonebook(rows) {
		fmt.Fprintln(c.stderr, "note: these contacts are in no phonebook, so they name no caller yet: import with --phonebook NAME\n"+
			"(a phonebook visible to the callees) or set lookup.identify_from_all_company_contacts")
	}
	return 0
}

// importContactsAPI sends the file to the running daemon's import
// (format and mode as given; the daemon reads and merges it the same way).
func (c *cli) importContactsAPI(cl *apiClient, path string, o importOpts) int {
	f, err := os.Open(path)
	if err != nil {
		fmt.Fprintf(c.stderr, "cidproxy contacts import %s: %v\n", path, err)
		return 1
	}
	defer f.Close()
	q := url.Values{"format": {o.format}, "mode": {o.mode}}
	endpoint := "/api/v1/contacts/import?"
	if o.phonebook != "" {
		var pbs struct{ Items []lookup.Phonebook }
		if err := cl.do(c.ctx, http.MethodGet, "/api/v1/phonebooks?limit=1000", nil, &pbs); err != nil {
			return exitErr(c.stderr, "cidproxy contacts import", err)
		}
		id := o.phonebook
		for _, p := range pbs.Items {
			if strings.EqualFold(p.Name, o.phonebook) {
				id = p.ID
			}
		}
		endpoint = "/api/v1/phonebooks/" + url.PathEscape(id) + "/import?"
	}
	ctype := "text/csv"
	if o.format == contactfile.VCard || strings.HasSuffix(strings.ToLower(path), ".vcf") {
		ctype = "text/vcard"
	}
	var rep struct {
		Format, Mode                                 string
		Imported, Added, Updated, Unchanged, Deleted int
	}
	err = cl.send(c.ctx, http.MethodPost, endpoint+q.Encode(), ctype, f, &rep)
	var ae *apiError
	if errors.As(err, &ae) {
		for _, e := range ae.Errors {
			fmt.Fprintf(c.stderr, "  line %d: %s: %s\n", e.Row, e.Field, e.Error)
		}
	}
	if err != nil {
		return exitErr(c.stderr, "cidproxy contacts import "+path, err)
	}
	fmt.Fprintf(c.stdout, "imported %d contacts from %s (%s, %s, through the daemon): %d added, %d updated, %d unchanged, %d deleted\n",
		rep.Imported, path, rep.Format, rep.Mode, rep.Added, rep.Updated, rep.Unchanged, rep.Deleted)
	return 0
}

func anyPhonebook(rows []store.MergeRow) bool {
	for _, r := range rows {
		if len(r.Phonebooks) > 0 {
			return true
		}
	}
	return false
}

// exportContacts writes every company contact with its phonebooks' names.
func (c *cli) exportContacts(db *store.DB) int {
	pbs, err := db.ListPhonebooks(c.ctx)
	if err != nil {
		return exitErr(c.stderr, "cidproxy contacts export", err)
	}
	names := map[string]string{}
	for _, p := range pbs {
		names[p.ID] = p.Name
	}
	w, err := contactfile.NewWriter(c.stdout)
	if err == nil {
		err = db.EachContact(c.ctx, func(ct lookup.Contact) (bool, error) {
			in := make([]string, 0, len(ct.Phonebooks))
			for _, id := range ct.Phonebooks {
				in = append(in, names[id])
			}
			return true, w.Write(&ct, in)
		})
	}
	if ferr := w.Flush(); err == nil {
		err = ferr
	}
	return exitErr(c.stderr, "cidproxy contacts export", err)
}
