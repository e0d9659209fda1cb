package api

import (
	"errors"
	"net/http"
	"slices"
	"unicode/utf8"

	"cidproxy/lookup"
	"cidproxy/store"
)

// maxQueryLen bounds ?q= and ?number=.
const maxQueryLen = 256

// contactQuery reads ?q=, ?number=, ?phonebook=, ?cursor= and ?limit=.
func contactQuery(r *http.Request, v lookup.Viewer) (lookup.ContactQuery, error) {
	qv := r.URL.Query()
	q := lookup.ContactQuery{
		Viewer:    v,
		Text:      qv.Get("q"),
		Number:    qv.Get("number"),
		Phonebook: qv.Get("phonebook"),
		Cursor:    qv.Get("cursor"),
	}
	for name, val := range map[string]string{"q": q.Text, "number": q.Number, "phonebook": q.Phonebook, "cursor": q.Cursor} {
		if len(val) > maxQueryLen || !utf8.ValidString(val) {
			p := badRequest("query parameter %s: longer than %d bytes or not UTF-8", name, maxQueryLen)
			p.Field = name
			return q, p
		}
	}
	var err error
	q.Limit, err = parseLimit(r)
	return q, err
}

func (s *Server) listContacts(w http.ResponseWriter, r *http.Request, c *call) error {
	q, err := contactQuery(r, c.viewer)
	if err != nil {
		return err
	}
	sc, err := s.scope(r.Context(), c.viewer)
	if err != nil {
		return err
	}
	if q.Phonebook != "" {
		if _, err := sc.book(q.Phonebook); err != nil {
			return err
		}
	}
	return s.searchContacts(w, r, sc, q)
}

// searchContacts answers one page of company contacts, redacted for sc.
func (s *Server) searchContacts(w http.ResponseWriter, r *http.Request, sc *scope, q lookup.ContactQuery) error {
	cs, next, err := s.st.SearchContacts(r.Context(), q)
	if err != nil {
		return err
	}
	out := page[lookup.Contact]{Items: make([]lookup.Contact, 0, len(cs)), NextCursor: next}
	for i := range cs {
		if sc.canView(&cs[i]) {
			out.Items = append(out.Items, sc.redact(cs[i]))
		}
	}
	return writeJSON(w, http.StatusOK, out)
}

// visibleContact loads company contact id if the viewer may see it.
func (s *Server) visibleContact(r *http.Request, sc *scope, id string) (lookup.Contact, error) {
	ct, err := s.st.GetContact(r.Context(), id)
	if errors.Is(err, store.ErrNotFound) || err == nil && !sc.canView(&ct) {
		return lookup.Contact{}, notFound("contact", id)
	}
	return ct, err
}

func (s *Server) getContact(w http.ResponseWriter, r *http.Request, c *call) error {
	sc, err := s.scope(r.Context(), c.viewer)
	if err != nil {
		return err
	}
	ct, err := s.visibleContact(r, sc, r.PathValue("id"))
	if err != nil {
		return err
	}
	return writeRecord(w, r, http.StatusOK, ct.Rev, sc.redact(ct))
}

func (s *Server) createContact(w http.ResponseWriter, r *http.Request, c *call) error {
	sc, err := s.scope(r.Context(), c.viewer)
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
	if ct.ID != "" && !c.viewer.Admin {
		// A chosen id would decide which of two contacts with one number
		// names the caller (the smallest id wins), and a 409 for an id in
		// a phonebook the caller cannot see would tell that it exists.
		return invalid("id", "ids of new contacts are assigned by the server; omit \"id\"")
	}
	if ct.ID != "" {
		if _, err := s.st.GetContact(r.Context(), ct.ID); err == nil {
			return problemf(http.StatusConflict, "conflict", "contact %q already exists; use PUT to replace it", ct.ID)
		}
	}
	if ct.Owner != "" {
		return invalid("owner", "company contacts have no owner; use /api/v1/extensions/{ext}/contacts for personal contacts")
	}
	if ct.Phonebooks, err = sc.membership(nil, ct.Phonebooks); err != nil {
		return err
	}
	if !c.viewer.Admin && !sc.managesAny(ct.Phonebooks) {
		return forbidden("an extension token may only create contacts in a phonebook it manages; list one in \"phonebooks\"")
	}
	ct.Source, ct.ReadOnly, ct.Rev = lookup.ContactSourceManual, false, 0
	ct, err = s.st.PutContact(r.Context(), ct)
	if err != nil {
		return err
	}
	w.Header().Set("Location", "/api/v1/contacts/"+ct.ID)
	return writeRecord(w, r, http.StatusCreated, ct.Rev, sc.redact(ct))
}

func (s *Server) putContact(w http.ResponseWriter, r *http.Request, c *call) error {
	return s.updateContact(w, r, c, false)
}

func (s *Server) patchContact(w http.ResponseWriter, r *http.Request, c *call) error {
	return s.updateContact(w, r, c, true)
}

// updateContact replaces (PUT) or merges into (PATCH) a company contact.
// In a PUT, an absent "phonebooks" keeps the membership.
func (s *Server) updateContact(w http.ResponseWriter, r *http.Request, c *call, merge bool) error {
	id := r.PathValue("id")
	sc, cur, err := s.editableContact(r, c, id)
	if err != nil {
		return err
	}
	next := lookup.Contact{}
	if merge {
		next = sc.redact(cur)
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
	if next.Owner != "" {
		return invalid("owner", "company contacts have no owner")
	}
	want := next.Phonebooks
	if want == nil && !merge {
		want = sc.redact(cur).Phonebooks
	}
	if next.Phonebooks, err = sc.membership(cur.Phonebooks, want); err != nil {
		return err
	}
	next.ID, next.Source, next.ReadOnly, next.Rev = id, cur.Source, cur.ReadOnly, 0
	next, err = s.st.PutContact(r.Context(), next)
	if err != nil {
		return err
	}
	return writeRecord(w, r, http.StatusOK, next.Rev, sc.redact(next))
}

// editableContact loads a company contact for a write: 404 if the viewer
// cannot see it, 412 on an If-Match mismatch, 409 if it is synced, 403
// unless the viewer manages every phonebook it is in (a contact shown in
// a phonebook others only view is changed by its managers only).
func (s *Server) editableContact(r *http.Request, c *call, id string) (*scope, lookup.Contact, error) {
	sc, err := s.scope(r.Context(), c.viewer)
	if err != nil {
		return nil, lookup.Contact{}, err
	}
	cur, err := s.visibleContact(r, sc, id)
	if err != nil {
		return nil, cur, err
	}
	if err := checkIfMatch(r, cur.Rev); err != nil {
		return nil, cur, err
	}
	if cur.ReadOnly {
		return nil, cur, readOnlyContact(&cur)
	}
	if err := sc.manageAll(&cur); err != nil {
		return nil, cur, err
	}
	return sc, cur, nil
}

// deleteContact deletes a company contact. An extension must manage every
// phonebook the contact is in; otherwise it may only remove it from its
// own phonebooks (DELETE /api/v1/phonebooks/{id}/contacts/{contact}).
func (s *Server) deleteContact(w http.ResponseWriter, r *http.Request, c *call) error {
	id := r.PathValue("id")
	if _, _, err := s.editableContact(r, c, id); err != nil {
		return err
	}
	if err := s.st.DeleteContact(r.Context(), id); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func allOf(l []string, f func(string) bool) bool {
	return !slices.ContainsFunc(l, func(s string) bool { return !f(s) })
}
