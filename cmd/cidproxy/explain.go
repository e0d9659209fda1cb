package main

import (
	"context"
	"fmt"
	"io"
	"slices"
	"strings"

	"cidproxy/lookup"
	"cidproxy/store"
)

// explainer prints, for "lookup --explain", each source the resolver
// consults in its order, what it holds for the number and why that was or
// was not used for the callee. The result line that follows comes from
// the resolver itself.
type explainer struct {
	ctx        context.Context
	db         *store.DB
	allCompany bool // lookup.identify_from_all_company_contacts
	w          io.Writer
	key        string // the number's lookup key
	callee     string
	isExt      bool
}

// explainLookup writes the explanation of q to w; daemon says whether the
// result that follows comes from the daemon (CRMs asked) or the CLI.
func explainLookup(ctx context.Context, db *store.DB, allCompany, daemon bool, w io.Writer, q lookup.Query) error {
	x := &explainer{ctx: ctx, db: db, allCompany: allCompany, w: w, key: db.Normalizer().Normalize(q.Number), callee: strings.TrimSpace(q.Callee)}
	steps := []func() error{x.calleeLine, x.extensions, x.personal, x.company, x.prefixes}
	for _, step := range steps {
		if err := step(); err != nil {
			return err
		}
	}
	if daemon {
		fmt.Fprintln(w, "5. CRM integrations: asked by the daemon when the sources above name nobody (or always_query); the result includes them")
	} else {
		fmt.Fprintln(w, "5. CRM integrations: not asked by the command line (the daemon asks them during a call, after the sources above)")
	}
	return nil
}

// explainLines is explainLookup for the API: one string per line.
func explainLines(ctx context.Context, db *store.DB, allCompany bool, q lookup.Query) ([]string, error) {
	var b strings.Builder
	err := explainLookup(ctx, db, allCompany, true, &b, q)
	return strings.Split(strings.TrimSuffix(b.String(), "\n"), "\n"), err
}

func (x *explainer) calleeLine() error {
	switch {
	case x.callee == "":
		fmt.Fprintln(x.w, "callee: none given (--callee EXT): only phonebooks visible to everyone count")
		return nil
	}
	e, err := x.db.GetExtension(x.ctx, x.callee)
	if err == nil {
		x.isExt = true
		fmt.Fprintf(x.w, "callee: extension %s (%s)\n", x.callee, e.Name)
		return nil
	}
	fmt.Fprintf(x.w, "callee: %s is not an extension: it has no personal contacts and sees only phonebooks visible to everyone\n", x.callee)
	return nil
}

func (x *explainer) extensions() error {
	exts, err := x.db.ListExtensions(x.ctx)
	if err != nil {
		return err
	}
	for _, e := range exts {
		if x.db.Normalizer().Normalize(e.Number) == x.key {
			fmt.Fprintf(x.w, "1. extensions: %s is extension %s (%q): used first\n", x.key, e.Number, e.Name)
			return nil
		}
	}
	fmt.Fprintln(x.w, "1. extensions: no extension has this number")
	return nil
}

func (x *explainer) personal() error {
	if !x.isExt {
		fmt.Fprintln(x.w, "2. personal contacts: none (the callee is not an extension)")
		return nil
	}
	cs, _, err := x.db.SearchPersonal(x.ctx, x.callee, lookup.ContactQuery{Viewer: lookup.Viewer{Extension: x.callee}, Number: x.key, Limit: 100})
	if err != nil {
		return err
	}
	cs = x.withNumber(cs)
	if len(cs) == 0 {
		fmt.Fprintf(x.w, "2. personal contacts of %s: none with this number\n", x.callee)
		return nil
	}
	for _, c := range cs {
		fmt.Fprintf(x.w, "2. personal contacts of %s: %q (contact %s): used before company contacts\n", x.callee, c.DisplayName(), c.ID)
	}
	return nil
}

// withNumber keeps the contacts that have the number exactly.
func (x *explainer) withNumber(cs []lookup.Contact) []lookup.Contact {
	return slices.DeleteFunc(cs, func(c lookup.Contact) bool {
		for _, p := range c.NumberFields() {
			if *p != "" && x.db.Normalizer().Normalize(*p) == x.key {
				return false
			}
		}
		return true
	})
}

func (x *explainer) company() error {
	cs, _, err := x.db.SearchContacts(x.ctx, lookup.ContactQuery{Viewer: lookup.Viewer{Admin: true}, Number: x.key, Limit: 100})
	if err != nil {
		return err
	}
	cs = x.withNumber(cs)
	if len(cs) == 0 {
		fmt.Fprintln(x.w, "3. company contacts: none with this number")
		return nil
	}
	pbs, err := x.db.ListPhonebooks(x.ctx)
	if err != nil {
		return err
	}
	byID := map[string]lookup.Phonebook{}
	for _, p := range pbs {
		byID[p.ID] = p
	}
	for _, c := range cs {
		fmt.Fprintf(x.w, "3. company contact %q (contact %s): %s\n", c.DisplayName(), c.ID, x.why(c, byID))
	}
	return nil
}

// why says whether the callee may see company contact c, and through what.
func (x *explainer) why(c lookup.Contact, byID map[string]lookup.Phonebook) string {
	var hidden []string
	for _, id := range c.Phonebooks {
		p := byID[id]
		if (x.isExt && p.CanView(x.callee)) || p.ViewAll || p.ManageAll {
			return fmt.Sprintf("in phonebook %q, which the callee may view: names the caller", p.Name)
		}
		hidden = append(hidden, fmt.Sprintf("%q", p.Name))
	}
	switch {
	case x.allCompany:
		return "lookup.identify_from_all_company_contacts is on: names the caller for every callee"
	case len(hidden) == 0:
		return "in no phonebook, so it names nobody: import it with --phonebook, add it to a phonebook, or set lookup.identify_from_all_company_contacts"
	}
	return "only in phonebook " + strings.Join(hidden, ", ") + ", which the callee may not view: not used (grant the extension view on the phonebook)"
}

func (x *explainer) prefixes() error {
	rules, err := x.db.ListPrefixRules(x.ctx)
	if err != nil {
		return err
	}
	var best *lookup.PrefixRule
	bestLen := 0
	for i, r := range rules {
		p, err := x.db.Normalizer().NormalizePrefix(r.Prefix)
		if err == nil && strings.HasPrefix(x.key, p) && len(p) > bestLen {
			best, bestLen = &rules[i], len(p)
		}
	}
	if best == nil {
		fmt.Fprintln(x.w, "4. prefix rules: none matches")
		return nil
	}
	fmt.Fprintf(x.w, "4. prefix rules: %s %q is the longest match: used when the sources above name nobody\n", best.Prefix, best.Name)
	return nil
}
