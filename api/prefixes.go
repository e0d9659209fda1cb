package api

import (
	"errors"
	"net/http"
	"slices"
	"strings"

	"cidproxy/lookup"
	"cidproxy/store"
)

// Prefix rules are admin-only: extension tokens get 404 everywhere here.

func (s *Server) listPrefixes(w http.ResponseWriter, r *http.Request, c *call) error {
	if err := requireAdmin(c, "resource", r.URL.Path); err != nil {
		return err
	}
	rules, err := s.st.ListPrefixRules(r.Context())
	if err != nil {
		return err
	}
	slices.SortFunc(rules, func(a, b lookup.PrefixRule) int { return strings.Compare(a.ID, b.ID) })
	pg, err := pageOf(rules, func(p lookup.PrefixRule) string { return p.ID }, r)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, pg)
}

func (s *Server) prefix(r *http.Request, c *call) (lookup.PrefixRule, error) {
	id := r.PathValue("id")
	if err := requireAdmin(c, "prefix rule", id); err != nil {
		return lookup.PrefixRule{}, err
	}
	p, err := s.st.GetPrefixRule(r.Context(), id)
	if errors.Is(err, store.ErrNotFound) {
		return p, notFound("prefix rule", id)
	}
	return p, err
}

func (s *Server) getPrefix(w http.ResponseWriter, r *http.Request, c *call) error {
	p, err := s.prefix(r, c)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, p)
}

func (s *Server) createPrefix(w http.ResponseWriter, r *http.Request, c *call) error {
	if err := requireAdmin(c, "resource", r.URL.Path); err != nil {
		return err
	}
	var p lookup.PrefixRule
	if err := decodeJSON(r, &p); err != nil {
		return err
	}
	if p.ID != "" {
		if _, err := s.st.GetPrefixRule(r.Context(), p.ID); err == nil {
			return problemf(http.StatusConflict, "conflict", "prefix rule %q already exists; use PUT to replace it", p.ID)
		}
	}
	p, err := s.st.PutPrefixRule(r.Context(), p)
	if err != nil {
		return err
	}
	w.Header().Set("Location", "/api/v1/prefixes/"+p.ID)
	return writeJSON(w, http.StatusCreated, p)
}

func (s *Server) putPrefix(w http.ResponseWriter, r *http.Request, c *call) error {
	id := r.PathValue("id")
	_, err := s.prefix(r, c)
	exists := err == nil
	var pr *problem
	if err != nil && !(errors.As(err, &pr) && pr.Status == http.StatusNotFound && c.viewer.Admin) {
		return err
	}
	var p lookup.PrefixRule
	if err := decodeJSON(r, &p); err != nil {
		return err
	}
	if p.ID != "" && p.ID != id {
		return invalid("id", "id %q does not match the URL's prefix rule %q", p.ID, id)
	}
	p.ID = id
	if p, err = s.st.PutPrefixRule(r.Context(), p); err != nil {
		return err
	}
	return writeSaved(w, r, exists, 0, p)
}

func (s *Server) deletePrefix(w http.ResponseWriter, r *http.Request, c *call) error {
	p, err := s.prefix(r, c)
	if err != nil {
		return err
	}
	if err := s.st.DeletePrefixRule(r.Context(), p.ID); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}
