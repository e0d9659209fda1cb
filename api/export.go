package api

import (
	"context"
	"net/http"
	"strings"

	"cidproxy/api/vcard"
	"cidproxy/contactfile"
	"cidproxy/lookup"
)

// exportFormat picks csv or vcard from ?format= or the Accept header, and
// the vCard version from ?version= (3.0 by default).
func exportFormat(r *http.Request) (format, version string, err error) {
	q := r.URL.Query()
	format = strings.ToLower(q.Get("format"))
	if format == "" {
		format = "csv"
		if strings.Contains(r.Header.Get("Accept"), "vcard") {
			format = "vcard"
		}
	}
	if format != "csv" && format != "vcard" && format != "cidproxy" {
		p := badRequest("format must be csv, vcard or cidproxy")
		p.Field = "format"
		return "", "", p
	}
	version = q.Get("version")
	switch version {
	case "":
		version = vcard.Version30
	case vcard.Version30, vcard.Version40:
	default:
		p := badRequest("version must be %s or %s", vcard.Version30, vcard.Version40)
		p.Field = "version"
		return "", "", p
	}
	return format, version, nil
}

// exportPage bounds each store read of an export.
const exportPage = 1000

// writeExport streams contacts from next (called until it returns an
// empty cursor) as CSV or vCard.
//
// Format cidproxy is the command line's CSV: the csv columns plus the
// names of the contacts' phonebooks (books: id -> name, those the caller
// may view), which an import with ?format= reads back unchanged.
func writeExport(w http.ResponseWriter, r *http.Request, name string, books map[string]string, next func(cursor string) ([]lookup.Contact, string, error)) error {
	format, version, err := exportFormat(r)
	if err != nil {
		return err
	}
	// Read the first page before answering, so an error still gets a problem reply.
	cs, cursor, err := next("")
	if err != nil {
		return err
	}
	if format != "vcard" {
		w.Header().Set("Content-Type", "text/csv; charset=utf-8")
		w.Header().Set("Content-Disposition", `attachment; filename="`+name+`.csv"`)
	} else {
		w.Header().Set("Content-Type", "text/vcard; charset=utf-8")
		w.Header().Set("Content-Disposition", `attachment; filename="`+name+`.vcf"`)
	}
	var cw *contactfile.Writer
	if format == "cidproxy" {
		if cw, err = contactfile.NewWriter(w); err != nil {
			return err
		}
	}
	for first := true; ; first = false {
		switch format {
		case "csv":
			err = writeCSV(w, cs, first)
		case "cidproxy":
			if err = writeBooks(cw, cs, books); err == nil && cursor == "" {
				err = cw.Flush()
			}
		default:
			err = vcard.Encode(w, cs, version)
		}
		if err != nil || cursor == "" {
			return err
		}
		if cs, cursor, err = next(cursor); err != nil {
			return err
		}
	}
}

func (s *Server) exportContacts(w http.ResponseWriter, r *http.Request, c *call) error {
	return s.exportCompany(w, r, c, r.URL.Query().Get("phonebook"))
}

func (s *Server) exportPhonebook(w http.ResponseWriter, r *http.Request, c *call) error {
	return s.exportCompany(w, r, c, r.PathValue("id"))
}

func (s *Server) exportCompany(w http.ResponseWriter, r *http.Request, c *call, phonebook string) error {
	sc, err := s.scope(r.Context(), c.viewer)
	if err != nil {
		return err
	}
	name := "contacts"
	if phonebook != "" {
		if _, err := sc.book(phonebook); err != nil {
			return err
		}
		name = "phonebook-" + safeName(phonebook)
	}
	books, err := s.viewableBooks(r.Context(), sc)
	if err != nil {
		return err
	}
	return writeExport(w, r, name, books, func(cursor string) ([]lookup.Contact, string, error) {
		cs, next, err := s.st.SearchContacts(r.Context(), lookup.ContactQuery{Viewer: c.viewer, Phonebook: phonebook, Cursor: cursor, Limit: exportPage})
		out := cs[:0]
		for i := range cs {
			if sc.canView(&cs[i]) {
				out = append(out, sc.redact(cs[i]))
			}
		}
		return out, next, err
	})
}

func (s *Server) exportPersonal(w http.ResponseWriter, r *http.Request, c *call) error {
	owner, err := s.ownerOf(r, c)
	if err != nil {
		return err
	}
	return writeExport(w, r, "personal-"+safeName(owner), nil, func(cursor string) ([]lookup.Contact, string, error) {
		return s.st.SearchPersonal(r.Context(), owner, lookup.ContactQuery{Viewer: c.viewer, Cursor: cursor, Limit: exportPage})
	})
}

// safeName keeps file-name-safe characters for Content-Disposition.
func safeName(s string) string {
	return strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_' || r == '.' {
			return r
		}
		return '_'
	}, s)
}

// writeBooks writes contacts with the names of their phonebooks in books.
func writeBooks(cw *contactfile.Writer, cs []lookup.Contact, books map[string]string) error {
	for i := range cs {
		var in []string
		for _, id := range cs[i].Phonebooks {
			if n, ok := books[id]; ok {
				in = append(in, n)
			}
		}
		if err := cw.Write(&cs[i], in); err != nil {
			return err
		}
	}
	return nil
}

// viewableBooks names the phonebooks the caller may view, by id.
func (s *Server) viewableBooks(ctx context.Context, sc *scope) (map[string]string, error) {
	pbs, err := s.st.ListPhonebooks(ctx)
	if err != nil {
		return nil, err
	}
	out := make(map[string]string, len(pbs))
	for _, p := range pbs {
		if sc.canViewBook(p.ID) {
			out[p.ID] = p.Name
		}
	}
	return out, nil
}
