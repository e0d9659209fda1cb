package api

import (
	"errors"
	"net/http"
	"slices"
	"strings"

	"cidproxy/lookup"
	"cidproxy/store"
)

// me answers who the token belongs to.
func (s *Server) me(w http.ResponseWriter, r *http.Request, c *call) error {
	type whoami struct {
		Admin     bool              `json:"admin"`
		Extension *lookup.Extension `json:"extension,omitempty"`
	}
	out := whoami{Admin: c.viewer.Admin}
	if !c.viewer.Admin {
		e, err := s.st.GetExtension(r.Context(), c.viewer.Extension)
		if err != nil && !errors.Is(err, store.ErrNotFound) {
			return err
		}
		if e.Number == "" {
			e.Number = c.viewer.Extension
		}
		out.Extension = &e
	}
	return writeJSON(w, http.StatusOK, out)
}

// listExtensions lists every extension to an admin, only itself to an
// extension token.
func (s *Server) listExtensions(w http.ResponseWriter, r *http.Request, c *call) error {
	all, err := s.st.ListExtensions(r.Context())
	if err != nil {
		return err
	}
	if !c.viewer.Admin {
		all = slices.DeleteFunc(all, func(e lookup.Extension) bool { return e.Number != c.viewer.Extension })
	}
	slices.SortFunc(all, func(a, b lookup.Extension) int { return strings.Compare(a.Number, b.Number) })
	p, err := pageOf(all, func(e lookup.Extension) string { return e.Number }, r)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, p)
}

func (s *Server) getExtension(w http.ResponseWriter, r *http.Request, c *call) error {
	num := r.PathValue("ext")
	if err := selfOrAdmin(c, num); err != nil {
		return err
	}
	e, err := s.extension(r, num)
	if err != nil {
		return err
	}
	return writeRecord(w, r, http.StatusOK, e.Rev, e)
}

// extension loads an extension, 404 naming it when missing.
func (s *Server) extension(r *http.Request, num string) (lookup.Extension, error) {
	e, err := s.st.GetExtension(r.Context(), num)
	if errors.Is(err, store.ErrNotFound) {
		return e, notFound("extension", num)
	}
	return e, err
}

// adminWrite allows writes by admins; an extension gets 403 for itself
// (it exists for the caller) and 404 for any other extension.
func adminWrite(c *call, num string) error {
	if c.viewer.Admin {
		return nil
	}
	if c.viewer.Extension == num {
		return forbidden("only an admin token may change extensions")
	}
	return notFound("extension", num)
}

func (s *Server) createExtension(w http.ResponseWriter, r *http.Request, c *call) error {
	if !c.viewer.Admin {
		return forbidden("only an admin token may create extensions")
	}
	var e lookup.Extension
	if err := decodeJSON(r, &e); err != nil {
		return err
	}
	if strings.TrimSpace(e.Number) == "" {
		return invalid("number", "number is required")
	}
	if _, err := s.st.GetExtension(r.Context(), e.Number); err == nil {
		return problemf(http.StatusConflict, "conflict", "extension %q already exists; use PUT to replace it", e.Number)
	}
	e.Rev = 0
	e, err := s.st.PutExtension(r.Context(), e)
	if err != nil {
		return err
	}
	w.Header().Set("Location", "/api/v1/extensions/"+e.Number)
	return writeRecord(w, r, http.StatusCreated, e.Rev, e)
}

func (s *Server) putExtension(w http.ResponseWriter, r *http.Request, c *call) error {
	num := r.PathValue("ext")
	if err := adminWrite(c, num); err != nil {
		return err
	}
	cur, exists, err := loadForWrite(r.Context(), num, s.st.GetExtension)
	if err != nil {
		return err
	}
	if err := ifMatch(r, "extension", num, exists, cur.Rev); err != nil {
		return err
	}
	var e lookup.Extension
	if err := decodeJSON(r, &e); err != nil {
		return err
	}
	return s.saveExtension(w, r, num, e, exists)
}

// extensionForWrite loads the extension of the path for a change by an
// admin, honouring If-Match.
func (s *Server) extensionForWrite(r *http.Request, c *call) (string, lookup.Extension, error) {
	num := r.PathValue("ext")
	if err := adminWrite(c, num); err != nil {
		return num, lookup.Extension{}, err
	}
	e, err := s.extension(r, num)
	if err != nil {
		return num, e, err
	}
	return num, e, checkIfMatch(r, e.Rev)
}

func (s *Server) patchExtension(w http.ResponseWriter, r *http.Request, c *call) error {
	num, e, err := s.extensionForWrite(r, c)
	if err != nil {
		return err
	}
	if err := decodeJSON(r, &e); err != nil {
		return err
	}
	return s.saveExtension(w, r, num, e, true)
}

func (s *Server) saveExtension(w http.ResponseWriter, r *http.Request, num string, e lookup.Extension, exists bool) error {
	if e.Number != "" && e.Number != num {
		return invalid("number", "number %q does not match the URL's extension %q", e.Number, num)
	}
	e.Number, e.Rev = num, 0
	e, err := s.st.PutExtension(r.Context(), e)
	if err != nil {
		return err
	}
	return writeSaved(w, r, exists, e.Rev, e)
}

func (s *Server) deleteExtension(w http.ResponseWriter, r *http.Request, c *call) error {
	num, _, err := s.extensionForWrite(r, c)
	if err != nil {
		return err
	}
	if err := s.st.DeleteExtension(r.Context(), num); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}
