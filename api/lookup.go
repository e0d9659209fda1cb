package api

import (
	"errors"
	"net/http"
	"strings"

	"cidproxy/lookup"
)

// lookupAnswer is the answer of GET /api/v1/lookup.
type lookupAnswer struct {
	Number    string `json:"number"`
	Name      string `json:"name"`
	Source    string `json:"source"`
	ContactID string `json:"contact_id,omitempty"`
	Phonebook string `json:"phonebook,omitempty"`
}

// lookupNumber resolves ?number= for ?callee= as an INVITE would (admin):
// the same chain the proxy asks. 404 when nothing matches, 409 when the
// number matches several contacts.
func (s *Server) lookupNumber(w http.ResponseWriter, r *http.Request, c *call) error {
	if err := requireAdmin(c, "resource", r.URL.Path); err != nil {
		return err
	}
	if s.opts.Resolver == nil {
		return problemf(http.StatusNotImplemented, "not-implemented", "this server has no resolver")
	}
	q := lookup.Query{Number: r.URL.Query().Get("number"), Callee: r.URL.Query().Get("callee")}
	if strings.TrimSpace(q.Number) == "" {
		return invalid("number", "number is required")
	}
	res, err := s.opts.Resolver.Lookup(r.Context(), q)
	switch {
	case errors.Is(err, lookup.ErrAmbiguous):
		return problemf(http.StatusConflict, "ambiguous", "no unique match: %v", err)
	case errors.Is(err, lookup.ErrNotFound):
		return problemf(http.StatusNotFound, "not-found", "not found")
	case err != nil:
		return err
	}
	num := q.Number
	if s.opts.Normalize != nil {
		num = s.opts.Normalize(num)
	}
	return writeJSON(w, http.StatusOK, lookupAnswer{Number: num, Name: res.Name, Source: res.Source, ContactID: res.ContactID, Phonebook: res.Phonebook})
}

// explainLookup answers GET /api/v1/lookup/explain (admin): the steps of
// a lookup of ?number= for ?callee= (the result itself: GET /api/v1/lookup).
func (s *Server) explainLookup(w http.ResponseWriter, r *http.Request, c *call) error {
	if err := requireAdmin(c, "resource", r.URL.Path); err != nil {
		return err
	}
	if s.opts.Explain == nil {
		return problemf(http.StatusNotImplemented, "not-implemented", "this server cannot explain lookups")
	}
	q := lookup.Query{Number: r.URL.Query().Get("number"), Callee: r.URL.Query().Get("callee")}
	if strings.TrimSpace(q.Number) == "" {
		return invalid("number", "number is required")
	}
	steps, err := s.opts.Explain(r.Context(), q)
	if err != nil {
		return err
	}
	num := q.Number
	if s.opts.Normalize != nil {
		num = s.opts.Normalize(num)
	}
	return writeJSON(w, http.StatusOK, map[string]any{"number": num, "steps": steps})
}
