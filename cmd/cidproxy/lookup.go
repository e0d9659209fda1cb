package main

import (
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strings"

	"github.com/spf13/cobra"

	"cidproxy/config"
	"cidproxy/lookup"
)

// lookupCmd is "cidproxy lookup NUMBER [--callee EXT]": it resolves the
// number as an INVITE would (same normalisation and index) and prints
// number, name, source and contact lines; status 1 when nothing matches.
func (c *cli) lookupCmd() *cobra.Command {
	var q lookup.Query
	var explain bool
	cmd := &cobra.Command{
		Use:   "lookup NUMBER",
		Short: "Resolve a caller number exactly as an INVITE would",
		Long: "Resolve a caller number exactly as an INVITE would. With --explain, print each\n" +
			"source consulted (extensions, personal contacts, company contacts and their\n" +
			"phonebooks, prefix rules), what it holds for the number and why it was or was\n" +
			"not used for the callee.",
		Args: func(_ *cobra.Command, args []string) error {
			if len(args) != 1 || strings.TrimSpace(args[0]) == "" {
				return usagef("want one NUMBER")
			}
			return nil
		},
		RunE: c.withConfig(func(cfg *config.Config, log *slog.Logger, args []string) int {
			q.Number = args[0]
			return c.lookup(cfg, log, q, explain)
		}),
	}
	cmd.Flags().StringVar(&q.Callee, "callee", "", "extension called: applies its phonebook visibility")
	cmd.Flags().BoolVar(&explain, "explain", false, "print each source consulted and why it was or was not used")
	return cmd
}

func (c *cli) lookup(cfg *config.Config, log *slog.Logger, q lookup.Query, explain bool) int {
	db, err := openStore(cfg, log)
	if err != nil {
		return c.remote(cfg, err, func(cl *apiClient) int { return c.lookupAPI(cl, q, explain) })
	}
	defer closeStore(db, c.stderr)
	fmt.Fprintf(c.stdout, "number: %s\n", db.Normalizer().Normalize(q.Number))
	if explain {
		if err := explainLookup(c.ctx, db, cfg.Lookup.IdentifyFromAllCompanyContacts, false, c.stdout, q); err != nil {
			return exitErr(c.stderr, "cidproxy lookup", err)
		}
	}
	// The same chain serve gives the proxy: per-callee visibility included.
	r, err := lookup.Chain{db.Resolver()}.Lookup(c.ctx, q)
	return c.printLookup(r, err)
}

// lookupAPI asks the running daemon (GET /api/v1/lookup).
func (c *cli) lookupAPI(cl *apiClient, q lookup.Query, explain bool) int {
	query := url.Values{"number": {q.Number}, "callee": {q.Callee}}.Encode()
	var steps struct {
		Number string
		Steps  []string
	}
	if explain {
		if err := cl.do(c.ctx, http.MethodGet, "/api/v1/lookup/explain?"+query, nil, &steps); err != nil {
			return exitErr(c.stderr, "cidproxy lookup --explain", err)
		}
	}
	var a struct {
		Number, Name, Source, Phonebook string
		ContactID                       string `json:"contact_id"`
	}
	err := cl.do(c.ctx, http.MethodGet, "/api/v1/lookup?"+query, nil, &a)
	var ae *apiError
	if errors.As(err, &ae) {
		switch ae.Status {
		case http.StatusNotFound:
			err = lookup.ErrNotFound
		case http.StatusConflict:
			err = fmt.Errorf("%w: %s", lookup.ErrAmbiguous, strings.TrimPrefix(ae.Detail, "no unique match: "))
		}
	}
	if err == nil || errors.Is(err, lookup.ErrNotFound) || errors.Is(err, lookup.ErrAmbiguous) {
		if a.Number == "" {
			a.Number = steps.Number
		}
		if a.Number != "" {
			fmt.Fprintf(c.stdout, "number: %s\n", a.Number)
		}
		for _, s := range steps.Steps {
			fmt.Fprintln(c.stdout, s)
		}
	}
	return c.printLookup(lookup.Result{Name: a.Name, Source: a.Source, ContactID: a.ContactID, Phonebook: a.Phonebook}, err)
}

// printLookup prints a lookup's result lines or why there is none.
func (c *cli) printLookup(r lookup.Result, err error) int {
	stdout, stderr := c.stdout, c.stderr
	switch {
	case errors.Is(err, lookup.ErrAmbiguous):
		fmt.Fprintf(stderr, "cidproxy lookup: no unique match: %v\n", ambiguity(err))
		return 1
	case errors.Is(err, lookup.ErrNotFound):
		fmt.Fprintln(stderr, "cidproxy lookup: not found (--explain shows each source and why it names nobody for this callee)")
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
