package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"

	"cidproxy/config"
	"cidproxy/lookup"
	"cidproxy/store"
)

const contactsUsage = `usage:
  cidproxy contacts import [-config FILE] [--phonebook NAME|ID] FILE.csv
                                                             import company contacts (all or nothing),
                                                             optionally into an existing phonebook
  cidproxy contacts export [-config FILE]                    write company contacts as CSV to stdout
  cidproxy contacts import-prefixes [-config FILE] FILE.csv  import prefix rules (header: prefix,name)
  cidproxy contacts export-prefixes [-config FILE]           write prefix rules as CSV to stdout

contact CSV columns (header row; any subset, any order):
  ` + "first_name,last_name,company,email,business_number,business_number_2,business_fax,\n  mobile_number,mobile_number_2,home_number,home_number_2,home_fax,other_number,\n  zip,street,city,state,country,remark" + `
The caller name shown is "first_name last_name", or company when both are empty.
A company contact names a caller only for extensions that may view one of its
phonebooks (or for everyone with lookup.identify_from_all_company_contacts).
`

// contactsMain runs "cidproxy contacts ...". It opens the store itself and
// fails with status 1 when the daemon holds it.
func contactsMain(ctx context.Context, cfg *config.Config, log *slog.Logger, args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, contactsUsage)
		return 2
	}
	cmd, rest := args[0], args[1:]
	phonebook := ""
	if cmd == "import" {
		var ok bool
		if phonebook, rest, ok = takeFlag(rest, "phonebook"); !ok {
			fmt.Fprint(stderr, contactsUsage)
			return 2
		}
	}
	wantArgs := map[string]int{"import": 1, "export": 0, "import-prefixes": 1, "export-prefixes": 0}
	n, ok := wantArgs[cmd]
	if !ok || len(rest) != n {
		fmt.Fprint(stderr, contactsUsage)
		return 2
	}
	// One-shot commands need no contact index: faster and smaller.
	db, err := openStore(cfg, log, store.WithoutContactIndex())
	if err != nil {
		return storeOpenFailed(stderr, err)
	}
	defer closeStore(db, stderr)
	switch cmd {
	case "import", "import-prefixes":
		return importFile(ctx, db, cmd, rest[0], phonebook, stdout, stderr)
	case "export":
		_, err = db.ExportCSV(ctx, stdout)
	case "export-prefixes":
		_, err = db.ExportPrefixCSV(ctx, stdout)
	}
	return exitErr(stderr, "cidproxy contacts "+cmd, err)
}

// takeFlag removes "--name VALUE" (or -name, --name=VALUE) from args.
func takeFlag(args []string, name string) (string, []string, bool) {
	var val string
	var rest []string
	for i := 0; i < len(args); i++ {
		a := args[i]
		switch {
		case a == "--"+name || a == "-"+name:
			if i+1 >= len(args) {
				return "", nil, false
			}
			val = args[i+1]
			i++
		case strings.HasPrefix(a, "--"+name+"=") || strings.HasPrefix(a, "-"+name+"="):
			val = a[strings.IndexByte(a, '=')+1:]
		default:
			rest = append(rest, a)
		}
	}
	return val, rest, true
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

const lookupUsage = "usage: cidproxy lookup [-config FILE] NUMBER [--callee EXT]\n"

// lookupMain runs "cidproxy lookup NUMBER [--callee EXT]": it resolves the
// number as an INVITE would (same normalisation and index) and prints
// number, name, source and contact lines; status 1 when nothing matches.
func lookupMain(ctx context.Context, cfg *config.Config, log *slog.Logger, args []string, stdout, stderr io.Writer) int {
	q, ok := parseLookupArgs(args)
	if !ok {
		fmt.Fprint(stderr, lookupUsage)
		return 2
	}
	db, err := openStore(cfg, log)
	if err != nil {
		return storeOpenFailed(stderr, err)
	}
	defer closeStore(db, stderr)
	fmt.Fprintf(stdout, "number: %s\n", db.Normalizer().Normalize(q.Number))
	// The same chain serve gives the proxy: per-callee visibility included.
	r, err := lookup.Chain{db.Resolver()}.Lookup(ctx, q)
	switch {
	case errors.Is(err, lookup.ErrAmbiguous):
		fmt.Fprintf(stderr, "cidproxy lookup: no unique match: %v\n", ambiguity(err))
		return 1
	case errors.Is(err, lookup.ErrNotFound):
		fmt.Fprintln(stderr, "cidproxy lookup: not found")
		return 1
	case err != nil:
		return exitErr(stderr, "cidproxy lookup", err)
	}
	fmt.Fprintf(stdout, "name: %s\nsource: %s\ncontact: %s\n", r.Name, r.Source, r.ContactID)
	if r.Phonebook != "" {
		fmt.Fprintf(stdout, "phonebook: %s\n", r.Phonebook)
	}
	return 0
}

// parseLookupArgs accepts NUMBER with --callee EXT (or -callee, =EXT)
// before or after it.
func parseLookupArgs(args []string) (lookup.Query, bool) {
	var q lookup.Query
	seenNumber := false
	for i := 0; i < len(args); i++ {
		a := args[i]
		switch {
		case a == "--callee" || a == "-callee":
			if i+1 >= len(args) || args[i+1] == "" {
				return q, false
			}
			i++
			q.Callee = args[i]
		case strings.HasPrefix(a, "--callee=") || strings.HasPrefix(a, "-callee="):
			q.Callee = a[strings.IndexByte(a, '=')+1:]
		case strings.HasPrefix(a, "-") && !looksLikeNumber(a):
			return q, false
		case seenNumber:
			return q, false
		default:
			q.Number, seenNumber = a, true
		}
	}
	return q, seenNumber && strings.TrimSpace(q.Number) != ""
}

// looksLikeNumber lets a number such as "-1" style input through; a flag
// starts with "-" and a letter.
func looksLikeNumber(s string) bool {
	return len(s) > 1 && s[1] >= '0' && s[1] <= '9'
}

// storeOpenFailed reports a failed Open; for store.ErrLocked the message
// says the daemon holds the store and what to do.
func storeOpenFailed(stderr io.Writer, err error) int {
	fmt.Fprintf(stderr, "cidproxy: %v\n", err)
	return 1
}

// ambiguity returns the ErrAmbiguous member of a chain's joined error.
func ambiguity(err error) error {
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		for _, e := range j.Unwrap() {
			if errors.Is(e, lookup.ErrAmbiguous) {
				return e
			}
		}
	}
	return err
}

func closeStore(db *store.DB, stderr io.Writer) {
	if err := db.Close(); err != nil {
		fmt.Fprintf(stderr, "cidproxy: %v\n", err)
	}
}
