package api

import (
	"context"
	"net/http"
	"slices"

	"cidproxy/lookup"
)

// scope is what a viewer may see and manage among the phonebooks, loaded
// once per request.
type scope struct {
	v   lookup.Viewer
	pbs map[string]lookup.Phonebook
}

func (s *Server) scope(ctx context.Context, v lookup.Viewer) (*scope, error) {
	list, err := s.st.ListPhonebooks(ctx)
	if err != nil {
		return nil, err
	}
	sc := &scope{v: v, pbs: make(map[string]lookup.Phonebook, len(list))}
	for _, p := range list {
		sc.pbs[p.ID] = p
	}
	return sc, nil
}

// canViewBook reports whether the viewer may see phonebook id.
func (sc *scope) canViewBook(id string) bool {
	p, ok := sc.pbs[id]
	return ok && (sc.v.Admin || p.CanView(sc.v.Extension))
}

// canManageBook reports whether the viewer may edit the contacts of
// phonebook id. Synced (read-only) phonebooks are managed by nobody.
func (sc *scope) canManageBook(id string) bool {
	p, ok := sc.pbs[id]
	return ok && !p.ReadOnly && (sc.v.Admin || p.CanManage(sc.v.Extension))
}

// canView reports whether the viewer may see company contact c: admins
// see all, extensions those in a phonebook they may view.
func (sc *scope) canView(c *lookup.Contact) bool {
	if sc.v.Admin {
		return true
	}
	return slices.ContainsFunc(c.Phonebooks, sc.canViewBook)
}

// redact drops, for an extension, the phonebooks it may not see from c.
func (sc *scope) redact(c lookup.Contact) lookup.Contact {
	if sc.v.Admin {
		return c
	}
	c.Phonebooks = slices.DeleteFunc(slices.Clone(c.Phonebooks), func(id string) bool { return !sc.canViewBook(id) })
	return c
}

// book returns phonebook id if the viewer may see it, else a 404.
func (sc *scope) book(id string) (lookup.Phonebook, error) {
	if !sc.canViewBook(id) {
		return lookup.Phonebook{}, notFound("phonebook", id)
	}
	return sc.pbs[id], nil
}

// manageBook returns phonebook id if the viewer may edit its contacts:
// 404 if it may not see it, 409 if it is synced, 403 if view only.
func (sc *scope) manageBook(id string) (lookup.Phonebook, error) {
	p, err := sc.book(id)
	if err != nil {
		return p, err
	}
	if p.ReadOnly {
		return p, readOnlyBook(p)
	}
	if !sc.canManageBook(id) {
		return p, forbidden("phonebook %q is view-only for extension %s", id, sc.v.Extension)
	}
	return p, nil
}

func readOnlyBook(p lookup.Phonebook) *problem {
	return problemf(http.StatusConflict, "read-only", "phonebook %q is synced from %s and read-only; change it at the source", p.ID, sourceName(p.Source))
}

func readOnlyContact(c *lookup.Contact) *problem {
	return problemf(http.StatusConflict, "read-only", "contact %q is synced from %s and read-only; change it at the source", c.ID, sourceName(c.Source))
}

func sourceName(src string) string {
	if src == "" {
		return "an external source"
	}
	return src
}

// membership merges the phonebooks a write asks for (want) with those the
// contact has (have) under the viewer's permissions: an extension may add
// or remove only phonebooks it manages; the others stay as they are
// (including those it cannot see, which it never got).
func (sc *scope) membership(have, want []string) ([]string, error) {
	if sc.v.Admin {
		return sc.adminMembership(have, want)
	}
	var out []string
	for _, id := range have {
		if sc.canManageBook(id) {
			continue
		}
		if sc.canViewBook(id) && !slices.Contains(want, id) {
			return nil, forbidden("phonebook %q is view-only for extension %s: the contact cannot leave it", id, sc.v.Extension)
		}
		out = append(out, id)
	}
	for _, id := range want {
		switch {
		case sc.canManageBook(id):
			out = append(out, id)
		case slices.Contains(have, id):
		case sc.canViewBook(id):
			return nil, forbidden("phonebook %q is view-only for extension %s", id, sc.v.Extension)
		default:
			return nil, invalid("phonebooks", "phonebook %q does not exist", id)
		}
	}
	return dedupe(out), nil
}

// adminMembership checks an admin's membership change: phonebooks must
// exist, and synced ones can neither gain nor lose contacts.
func (sc *scope) adminMembership(have, want []string) ([]string, error) {
	for _, id := range want {
		p, ok := sc.pbs[id]
		if !ok {
			return nil, invalid("phonebooks", "phonebook %q does not exist", id)
		}
		if p.ReadOnly && !slices.Contains(have, id) {
			return nil, readOnlyBook(p)
		}
	}
	for _, id := range have {
		if p, ok := sc.pbs[id]; ok && p.ReadOnly && !slices.Contains(want, id) {
			return nil, readOnlyBook(p)
		}
	}
	return dedupe(want), nil
}

// manageAll fails with 403 unless the viewer manages every phonebook
// contact ct is in: every change of a company contact's data (PUT, PATCH,
// DELETE) needs it, so a view-only grant never becomes write access by
// first adding the contact to a phonebook the viewer manages (which
// itself stays allowed: it only shows what the viewer may see). The
// detail names no phonebook.
func (sc *scope) manageAll(ct *lookup.Contact) error {
	if sc.v.Admin || allOf(ct.Phonebooks, sc.canManageBook) {
		return nil
	}
	return forbidden("contact %q is in phonebooks extension %s does not manage; only their managers (or an admin) may change it", ct.ID, sc.v.Extension)
}

// managesAny reports whether the viewer manages one of ids.
func (sc *scope) managesAny(ids []string) bool {
	return slices.ContainsFunc(ids, sc.canManageBook)
}

func dedupe(l []string) []string {
	out := make([]string, 0, len(l))
	for _, s := range l {
		if !slices.Contains(out, s) {
			out = append(out, s)
		}
	}
	return out
}
