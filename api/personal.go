package api

import (
	"errors"
	"net/http"

	"cidproxy/lookup"
	"cidproxy/store"
)

// ownerOf returns the extension of a personal contacts URL if the caller
// is that extension or an admin (and the extension exists), else 404.
func (s *Server) ownerOf(r *http.Request, c *call) (string, error) {
	ext := r.PathValue("ext")
	if err := selfOrAdmin(c, ext); err != nil {
		return "", err
	}
	if c.viewer.Admin {
		if _, err := s.extension(r, ext); err != nil {
			return "", err
		}
	}
	return ext, nil
}

func (s *Server) listPersonal(w http.ResponseWriter, r *http.Request, c *call) error {
	owner, err := s.ownerOf(r, c)
	if err != nil {
		return err
	}
	q, err := contactQuery(r, c.viewer)
	if err != nil {
		return err
	}
	if q.Phonebook != "" {
		return badRequest("personal contacts are in no phonebook: drop ?phonebook=")
	}
	cs, next, err := s.st.SearchPersonal(r.Context(), owner, q)
	if err != nil {
		return err
	}
	if cs == nil {
		cs = []lookup.Contact{}
	}
	return writeJSON(w, http.StatusOK, page[lookup.Contact]{Items: cs, NextCursor: next})
}

// personal loads personal contact id of owner, 404 naming it when missing.
func (s *Server) personal(r *http.Request, owner, id string) (lookup.Contact, error) {
	ct, err := s.st.GetPersonal(r.Context(), owner, id)
	if errors.Is(err, store.ErrNotFound) || err == nil && ct.Owner != "" && ct.Owner != owner {
		return ct, notFound("contact", id)
	}
	return ct, err
}

func (s *Server) getPersonal(w http.ResponseWriter, r *http.Request, c *call) error {
	owner, err := s.ownerOf(r, c)
	if err != nil {
		return err
	}
	ct, err := s.personal(r, owner, r.PathValue("id"))
	if err != nil {
		return err
	}
	return writeRecord(w, r, http.StatusOK, ct.Rev, ct)
}

// checkPersonal validates the fields that a personal contact cannot have.
func checkPersonal(ct *lookup.Contact, owner string) error {
	if len(ct.Phonebooks) > 0 {
		return invalid("phonebooks", "personal contacts are in no phonebook")
	}
	if ct.Owner != "" && ct.Owner != owner {
		return invalid("owner", "owner %q does not match the URL's extension %q", ct.Owner, owner)
	}
	ct.Owner = owner
	return nil
}

func (s *Server) createPersonal(w http.ResponseWriter, r *http.Request, c *call) error {
	owner, err := s.ownerOf(r, c)
	if err != nil {
		return err
	}
	var ct lookup.Contact
	if err := decodeJSON(r, &ct); err != nil {
		return err
	}
	if err := checkContact(&ct); err != nil {
		return err
	}
	if err := checkPersonal(&ct, owner); err != nil {
		return err
	}
	if ct.ID != "" {
		if _, err := s.st.GetPersonal(r.Context(), owner, ct.ID); err == nil {
			return problemf(http.StatusConflict, "conflict", "contact %q already exists; use PUT to replace it", ct.ID)
		}
	}
	ct.Source, ct.ReadOnly, ct.Rev = lookup.ContactSourceManual, false, 0
	ct, err = s.st.PutPersonal(r.Context(), owner, ct)
	if err != nil {
		return err
	}
	w.Header().Set("Location", "/api/v1/extensions/"+owner+"/contacts/"+ct.ID)
	return writeRecord(w, r, http.StatusCreated, ct.Rev, ct)
}

func (s *Server) putPersonal(w http.ResponseWriter, r *http.Request, c *call) error {
	return s.updatePersonal(w, r, c, false)
}

func (s *Server) patchPersonal(w http.ResponseWriter, r *http.Request, c *call) error {
	return s.updatePersonal(w, r, c, true)
}

func (s *Server) updatePersonal(w http.ResponseWriter, r *http.Request, c *call, merge bool) error {
	owner, err := s.ownerOf(r, c)
	if err != nil {
		return err
	}
	id := r.PathValue("id")
	cur, err := s.personal(r, owner, id)
	if err != nil {
		return err
	}
	if err := checkIfMatch(r, cur.Rev); err != nil {
		return err
	}
	if cur.ReadOnly {
		return readOnlyContact(&cur)
	}
	next := lookup.Contact{}
	if merge {
		next = cur
	}
	if err := decodeJSON(r, &next); err != nil {
		return err
	}
	if err := checkContact(&next); err != nil {
		return err
	}
	if next.ID != "" && next.ID != id {
		return invalid("id", "id %q does not match the URL's contact %q", next.ID, id)
	}
	if err := checkPersonal(&next, owner); err != nil {
		return err
	}
	next.ID, next.Source, next.ReadOnly, next.Rev = id, cur.Source, cur.ReadOnly, 0
	next, err = s.st.PutPersonal(r.Context(), owner, next)
	if err != nil {
		return err
	}
	return writeRecord(w, r, http.StatusOK, next.Rev, next)
}

func (s *Server) deletePersonal(w http.ResponseWriter, r *http.Request, c *call) error {
	owner, err := s.ownerOf(r, c)
	if err != nil {
		return err
	}
	id := r.PathValue("id")
	cur, err := s.personal(r, owner, id)
	if err != nil {
		return err
	}
	if err := checkIfMatch(r, cur.Rev); err != nil {
		return err
	}
	if err := s.st.DeletePersonal(r.Context(), owner, id); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}
