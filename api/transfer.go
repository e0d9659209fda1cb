package api

import (
	"fmt"
	"io"
	"net/http"
	"os"
	"slices"
	"strings"

	"cidproxy/api/vcard"
	"cidproxy/lookup"
)

// importReport is the answer of an import: lookup.ImportResult plus the
// vCard data that was dropped on purpose.
type importReport struct {
	lookup.ImportResult
	Warnings []lookup.ImportError `json:"warnings,omitempty"`
}

// batch is a parsed import file: the contacts, the row (CSV line or vCard
// card number) of each, and the rows that could not be read.
type batch struct {
	contacts []lookup.Contact
	rows     []int
	rejected []lookup.ImportError
	warnings []lookup.ImportError
}

// importTypes maps the media types an import accepts to csv or vcard.
var importTypes = map[string]string{
	"text/csv": "csv", "application/csv": "csv", "text/comma-separated-values": "csv",
	"text/vcard": "vcard", "text/x-vcard": "vcard", "text/directory": "vcard",
}

// readBatch parses the request body as CSV or vCard by its Content-Type.
// A body of unknown length (chunked) is first copied to a file in
// spoolDir, so one over the size limit is refused (413) at the cost of a
// copy buffer, not of the 2-4 times its size that parsed contacts take.
func readBatch(r *http.Request, spoolDir string) (*batch, error) {
	kind, ok := importTypes[mediaType(r)]
	if !ok {
		return nil, unsupported(r, "text/csv or text/vcard")
	}
	if r.ContentLength < 0 {
		f, err := spoolBody(r.Body, spoolDir)
		if err != nil {
			return nil, err
		}
		defer os.Remove(f.Name())
		defer f.Close()
		r.Body = f
	}
	if kind == "vcard" {
		return readVCards(r)
	}
	cs, lines, rejected, err := parseCSV(r.Body)
	if err != nil {
		return nil, err
	}
	return &batch{contacts: cs, rows: lines, rejected: rejected}, nil
}

func readVCards(r *http.Request) (*batch, error) {
	recs, err := vcard.Decode(r.Body)
	if err != nil {
		if p, ok := toProblem(err); ok && p.Status == http.StatusRequestEntityTooLarge {
			return nil, err
		}
		return nil, invalid("", "%s", err)
	}
	b := &batch{}
	for _, rec := range recs {
		if len(rec.Errors) > 0 {
			b.rejected = append(b.rejected, vcardErrors(rec.Card, rec.Errors)...)
			continue
		}
		b.warnings = append(b.warnings, vcardErrors(rec.Card, rec.Warnings)...)
		ct := rec.Contact
		ct.ID, ct.Owner, ct.Phonebooks, ct.Rev, ct.ReadOnly = "", "", nil, 0, false
		ct.Source = lookup.ContactSourceManual
		b.contacts = append(b.contacts, ct)
		b.rows = append(b.rows, rec.Card)
	}
	return b, nil
}

func vcardErrors(card int, errs []error) []lookup.ImportError {
	out := make([]lookup.ImportError, 0, len(errs))
	for _, e := range errs {
		ie := lookup.ImportError{Row: card, Error: e.Error()}
		if ve, ok := e.(*vcard.Error); ok {
			ie.Field = ve.Property
		}
		out = append(out, ie)
	}
	return out
}

// partial reads ?partial=1.
func partial(r *http.Request) bool {
	switch strings.ToLower(r.URL.Query().Get("partial")) {
	case "1", "true", "yes":
		return true
	}
	return false
}

// spoolBody copies body to a new temporary file in dir and returns it
// rewound; the caller closes and removes it.
func spoolBody(body io.Reader, dir string) (*os.File, error) {
	f, err := os.CreateTemp(dir, "cidproxy-upload-*")
	if err != nil {
		return nil, fmt.Errorf("api: spool request body: %w", err)
	}
	_, err = io.Copy(f, body)
	if err == nil {
		_, err = f.Seek(0, io.SeekStart)
	}
	if err != nil {
		f.Close()
		os.Remove(f.Name())
		return nil, err // a MaxBytesError stays a 413
	}
	return f, nil
}

// runImport imports the request's file into phonebook (company contacts)
// or for owner (personal contacts).
func (s *Server) runImport(w http.ResponseWriter, r *http.Request, owner, phonebook string) error {
	b, err := readBatch(r, s.opts.SpoolDir)
	if err != nil {
		return err
	}
	part := partial(r)
	if len(b.rejected) > 0 && !part { // unreadable rows first, then values
		return importFailed(b.rejected, "nothing was imported")
	}
	b.checkContacts()
	if len(b.rejected) > 0 && !part {
		return importFailed(b.rejected, "nothing was imported")
	}
	res := lookup.ImportResult{}
	if len(b.contacts) > 0 {
		res, err = s.st.ImportContacts(r.Context(), b.contacts, owner, phonebook, part)
		b.mapRows(res.Rejected)
		if err != nil {
			if len(res.Rejected) > 0 {
				return importFailed(res.Rejected, "nothing was imported")
			}
			return err
		}
	}
	res.Rejected = append(b.rejected, res.Rejected...)
	return writeJSON(w, http.StatusOK, importReport{ImportResult: res, Warnings: b.warnings})
}

// checkContacts moves the contacts checkContact refuses to the rejected
// rows, each with its row and field.
func (b *batch) checkContacts() {
	keep := 0
	for i := range b.contacts {
		if err := checkContact(&b.contacts[i]); err != nil {
			p, _ := toProblem(err)
			b.rejected = append(b.rejected, lookup.ImportError{Row: b.rows[i], Field: p.Field, Error: p.Detail})
			continue
		}
		b.contacts[keep], b.rows[keep] = b.contacts[i], b.rows[i]
		keep++
	}
	b.contacts, b.rows = b.contacts[:keep], b.rows[:keep]
	slices.SortStableFunc(b.rejected, func(x, y lookup.ImportError) int { return x.Row - y.Row })
}

// mapRows turns the store's 1-based batch positions into file rows.
func (b *batch) mapRows(errs []lookup.ImportError) {
	for i := range errs {
		if n := errs[i].Row; n >= 1 && n <= len(b.rows) {
			errs[i].Row = b.rows[n-1]
		}
	}
}

func importFailed(errs []lookup.ImportError, what string) *problem {
	first := errs[0]
	where := fmt.Sprintf("row %d", first.Row)
	if first.Field != "" {
		where += ", " + first.Field
	}
	p := problemf(http.StatusUnprocessableEntity, "import-rejected", "%d rows rejected (first: %s: %s); %s; fix them or use ?partial=1",
		len(errs), where, first.Error, what)
	p.Field = first.Field
	p.Errors = errs
	return p
}

func (s *Server) importPhonebook(w http.ResponseWriter, r *http.Request, c *call) error {
	return s.importCompany(w, r, c, r.PathValue("id"))
}

func (s *Server) importContacts(w http.ResponseWriter, r *http.Request, c *call) error {
	return s.importCompany(w, r, c, r.URL.Query().Get("phonebook"))
}

func (s *Server) importCompany(w http.ResponseWriter, r *http.Request, c *call, phonebook string) error {
	if phonebook == "" {
		if !c.viewer.Admin {
			return forbidden("an extension token may only import into a phonebook it manages: add ?phonebook=ID")
		}
	} else {
		sc, err := s.scope(r.Context(), c.viewer)
		if err != nil {
			return err
		}
		if _, err := sc.manageBook(phonebook); err != nil {
			return err
		}
	}
	if wantsMerge(r) {
		return s.runMergedImport(w, r, phonebook)
	}
	return s.runImport(w, r, "", phonebook)
}

func (s *Server) importPersonal(w http.ResponseWriter, r *http.Request, c *call) error {
	owner, err := s.ownerOf(r, c)
	if err != nil {
		return err
	}
	return s.runImport(w, r, owner, "")
}
