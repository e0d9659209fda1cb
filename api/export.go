package api

import (
	"net/http"
	"strings"

	"cidproxy/api/vcard"
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
	if format != "csv" && format != "vcard" {
		p := badRequest("format must be csv or vcard")
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
func writeExport(w http.ResponseWriter, r *http.Request, name string, next func(cursor string) ([]lookup.Contact, string, error)) error {
	format, version, err := exportFormat(r)
	if err != nil {
		return err
	}
	// Read the first page before answering, so an error still gets a problem reply.
	cs, cursor, err := next("")
	if err != nil {
		return err
	}
	if format == "csv" {
		w.Header().Set("Content-Type", "text/csv; charset=utf-8")
		w.Header().Set("Content-Disposition", `attachment; filename="`+name+`.csv"`)
	} else {
		w.Header().Set("Content-Type", "text/vcard; charset=utf-8")
		w.Header().Set("Content-Disposition", `attachment; filename="`+name+`.vcf"`)
	}
	for first := true; ; first = false {
		if format == "csv" {
			err = writeCSV(w, cs, first)
		} else {
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
	return writeExport(w, r, name, func(cursor string) ([]lookup.Contact, string, error) {
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
	return writeExport(w, r, "personal-"+safeName(owner), func(cursor string) ([]lookup.Contact, string, error) {
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
