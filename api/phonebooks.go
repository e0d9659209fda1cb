package api

import (
	"context"
	"errors"
	"net/http"
	"slices"
	"strings"

	"cidproxy/lookup"
	"cidproxy/store"
)

// redactBook hides from an extension which other extensions hold
// permissions on a phonebook: it keeps only its own entries.
func redactBook(v lookup.Viewer, p lookup.Phonebook) lookup.Phonebook {
	if v.Admin {
		return p
	}
	own := func(l []string) []string {
		if slices.Contains(l, v.Extension) {
			return []string{v.Extension}
		}
		return nil
	}
	p.View, p.Manage = own(p.View), own(p.Manage)
	return p
}

func (s *Server) listPhonebooks(w http.ResponseWriter, r *http.Request, c *call) error {
	sc, err := s.scope(r.Context(), c.viewer)
	if err != nil {
		return err
	}
	var list []lookup.Phonebook
	for id, p := range sc.pbs {
		if sc.canViewBook(id) {
			list = append(list, redactBook(c.viewer, p))
		}
	}
	slices.SortFunc(list, func(a, b lookup.Phonebook) int { return strings.Compare(a.ID, b.ID) })
	pg, err := pageOf(list, func(p lookup.Phonebook) string { return p.ID }, r)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, pg)
}

func (s *Server) getPhonebook(w http.ResponseWriter, r *http.Request, c *call) error {
	sc, err := s.scope(r.Context(), c.viewer)
	if err != nil {
		return err
	}
	p, err := sc.book(r.PathValue("id"))
	if err != nil {
		return err
	}
	return writeRecord(w, r, http.StatusOK, p.Rev, redactBook(c.viewer, p))
}

func (s *Server) createPhonebook(w http.ResponseWriter, r *http.Request, c *call) error {
	if !c.viewer.Admin {
		return forbidden("only an admin token may create phonebooks")
	}
	var p lookup.Phonebook
	if err := decodeJSON(r, &p); err != nil {
		return err
	}
	if p.ID != "" {
		if _, err := s.st.GetPhonebook(r.Context(), p.ID); err == nil {
			return problemf(http.StatusConflict, "conflict", "phonebook %q already exists; use PUT to replace it", p.ID)
		}
	}
	if p.ReadOnly {
		return invalid("read_only", "read-only phonebooks are created by a sync, not through the API")
	}
	if err := s.checkGrants(r.Context(), p, lookup.Phonebook{}); err != nil {
		return err
	}
	p.Source, p.Rev = lookup.ContactSourceManual, 0
	p, err := s.st.PutPhonebook(r.Context(), p)
	if err != nil {
		return err
	}
	w.Header().Set("Location", "/api/v1/phonebooks/"+p.ID)
	return writeRecord(w, r, http.StatusCreated, p.Rev, p)
}

// writableBook loads phonebook id for an admin write: 404 when the
// caller cannot see it, 403 for a non-admin that can, 412 on If-Match
// mismatch. Synced phonebooks may only get view grants changed (the
// store answers 409 to anything else) and cannot be deleted.
func (s *Server) writableBook(r *http.Request, c *call, id string) (lookup.Phonebook, bool, error) {
	p, exists, err := loadForWrite(r.Context(), id, s.st.GetPhonebook)
	switch {
	case err != nil:
		return p, false, err
	case !exists && (!c.viewer.Admin || r.Method != http.MethodPut):
		return p, false, notFound("phonebook", id)
	case exists && !c.viewer.Admin && p.CanView(c.viewer.Extension):
		return p, true, forbidden("only an admin token may change phonebooks")
	case exists && !c.viewer.Admin:
		return p, true, notFound("phonebook", id)
	}
	if err := ifMatch(r, "phonebook", id, exists, p.Rev); err != nil {
		return p, exists, err
	}
	if p.ReadOnly && r.Method == http.MethodDelete {
		return p, exists, readOnlyBook(p)
	}
	return p, exists, nil
}

// checkGrants refuses (422 naming view or manage) a grant to an
// extension that does not exist; grants p already had (cur) stay.
func (s *Server) checkGrants(ctx context.Context, p, cur lookup.Phonebook) error {
	for _, g := range []struct {
		field     string
		list, had []string
	}{{"view", p.View, cur.View}, {"manage", p.Manage, cur.Manage}} {
		for _, ext := range g.list {
			ext = strings.TrimSpace(ext)
			if slices.Contains(g.had, ext) {
				continue
			}
			_, err := s.st.GetExtension(ctx, ext)
			if errors.Is(err, store.ErrNotFound) {
				return invalid(g.field, "extension %q does not exist: create it first (POST /api/v1/extensions)", ext)
			}
			if err != nil {
				return err
			}
		}
	}
	return nil
}

func (s *Server) putPhonebook(w http.ResponseWriter, r *http.Request, c *call) error {
	return s.updatePhonebook(w, r, c, false)
}

func (s *Server) patchPhonebook(w http.ResponseWriter, r *http.Request, c *call) error {
	return s.updatePhonebook(w, r, c, true)
}

func (s *Server) updatePhonebook(w http.ResponseWriter, r *http.Request, c *call, merge bool) error {
	id := r.PathValue("id")
	cur, exists, err := s.writableBook(r, c, id)
	if err != nil {
		return err
	}
	next := lookup.Phonebook{}
	if merge {
		next = cur
	}
	if err := decodeJSON(r, &next); err != nil {
		return err
	}
	if next.ID != "" && next.ID != id {
		return invalid("id", "id %q does not match the URL's phonebook %q", next.ID, id)
	}
	if next.ReadOnly && !cur.ReadOnly {
		return invalid("read_only", "read-only phonebooks are created by a sync, not through the API")
	}
	if err := s.checkGrants(r.Context(), next, cur); err != nil {
		return err
	}
	next.ID, next.Source, next.ReadOnly, next.Rev = id, cur.Source, cur.ReadOnly, 0
	if next.Source == "" {
		next.Source = lookup.ContactSourceManual
	}
	next, err = s.st.PutPhonebook(r.Context(), next)
	if err != nil {
		return err
	}
	return writeSaved(w, r, exists, next.Rev, next)
}

func (s *Server) deletePhonebook(w http.ResponseWriter, r *http.Request, c *call) error {
	id := r.PathValue("id")
	if _, _, err := s.writableBook(r, c, id); err != nil {
		return err
	}
	if err := s.st.DeletePhonebook(r.Context(), id); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// listMembers lists the contacts of a phonebook the caller may see; it
// takes the search and paging parameters of /api/v1/contacts.
func (s *Server) listMembers(w http.ResponseWriter, r *http.Request, c *call) error {
	sc, err := s.scope(r.Context(), c.viewer)
	if err != nil {
		return err
	}
	id := r.PathValue("id")
	if _, err := sc.book(id); err != nil {
		return err
	}
	q, err := contactQuery(r, c.viewer)
	if err != nil {
		return err
	}
	q.Phonebook = id
	return s.searchContacts(w, r, sc, q)
}

// memberRef is the body of POST /api/v1/phonebooks/{id}/contacts.
type memberRef struct {
	ContactID string `json:"contact_id"`
}

// addMember puts an existing company contact into a phonebook.
func (s *Server) addMember(w http.ResponseWriter, r *http.Request, c *call) error {
	sc, err := s.scope(r.Context(), c.viewer)
	if err != nil {
		return err
	}
	id := r.PathValue("id")
	if _, err := sc.manageBook(id); err != nil {
		return err
	}
	var ref memberRef
	if err := decodeJSON(r, &ref); err != nil {
		return err
	}
	if ref.ContactID == "" {
		return invalid("contact_id", "contact_id is required")
	}
	ct, err := s.visibleContact(r, sc, ref.ContactID)
	if err != nil {
		return err
	}
	if ct.ReadOnly {
		return readOnlyContact(&ct)
	}
	if !slices.Contains(ct.Phonebooks, id) {
		ct.Phonebooks = append(ct.Phonebooks, id)
		ct.Rev = 0
		if ct, err = s.st.PutContact(r.Context(), ct); err != nil {
			return err
		}
	}
	return writeRecord(w, r, http.StatusOK, ct.Rev, sc.redact(ct))
}

// removeMember takes a contact out of a phonebook; the contact stays.
func (s *Server) removeMember(w http.ResponseWriter, r *http.Request, c *call) error {
	sc, err := s.scope(r.Context(), c.viewer)
	if err != nil {
		return err
	}
	id, cid := r.PathValue("id"), r.PathValue("contact")
	if _, err := sc.manageBook(id); err != nil {
		return err
	}
	ct, err := s.visibleContact(r, sc, cid)
	if err != nil {
		return err
	}
	if !slices.Contains(ct.Phonebooks, id) {
		return notFound("contact", cid)
	}
	if ct.ReadOnly {
		return readOnlyContact(&ct)
	}
	ct.Phonebooks = slices.DeleteFunc(ct.Phonebooks, func(p string) bool { return p == id })
	ct.Rev = 0
	if _, err := s.st.PutContact(r.Context(), ct); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}
