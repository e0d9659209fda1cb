package api

import (
	"context"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"cidproxy/api/phonedir"
	"cidproxy/lookup"
)

// maxPhoneContacts bounds what one phone directory request reads from the
// store; phones cannot scroll further anyway (search narrows it).
const maxPhoneContacts = 10000

// phoneDirectory serves GET /phonebook/{format}: the caller's personal
// contacts and the company contacts of the phonebooks it may view (or of
// ?phonebook=ID), as Yealink, Grandstream, Cisco, Snom, XML or JSON. Cisco
// phones get the search form with ?search=1; ?name= and ?number= filter.
func (s *Server) phoneDirectory(w http.ResponseWriter, r *http.Request, c *call) error {
	f, err := phonedir.ParseFormat(r.PathValue("format"))
	if err != nil {
		return problemf(http.StatusNotFound, "not-found", "unknown phonebook format %q (formats: yealink, grandstream, cisco, snom, xml, json)", r.PathValue("format"))
	}
	q := r.URL.Query()
	page, dir, err := phoneParams(q)
	if err != nil {
		return err
	}
	base := s.publicURL(r)
	if f == phonedir.Cisco && q.Get("search") == "1" {
		w.Header().Set("Content-Type", f.ContentType())
		return phonedir.RenderCiscoSearch(w, "Search contacts", withoutParams(base, "search", "offset", phonedir.QueryName, phonedir.QueryNumber))
	}
	dir.Title = "Contacts"
	sc, err := s.scope(r.Context(), c.viewer)
	if err != nil {
		return err
	}
	if id := q.Get("phonebook"); id != "" {
		p, err := sc.book(id)
		if err != nil {
			return err
		}
		dir.Title = p.Name
	}
	dir.Contacts, err = s.phoneContacts(r.Context(), sc, q.Get("phonebook"), q.Get("name"))
	if err != nil {
		return err
	}
	if dir.Groups, err = s.viewableBooks(r.Context(), sc); err != nil {
		return err
	}
	dir.Contacts = s.phoneSearch(dir.Contacts, q.Get(phonedir.QueryName), q.Get(phonedir.QueryNumber))
	page.BaseURL = base
	w.Header().Set("Content-Type", f.ContentType())
	w.Header().Set("Cache-Control", "private, no-store")
	return phonedir.Render(w, f, dir, page)
}

// phoneParams reads ?offset=, ?limit=, ?account= and ?labels=.
func phoneParams(q url.Values) (phonedir.Page, phonedir.Directory, error) {
	var (
		p   phonedir.Page
		dir = phonedir.Directory{Dialable: phonedir.DialString, Labels: q.Get("labels") == "1"}
	)
	for _, it := range []struct {
		name string
		dst  *int
		max  int
	}{{"offset", &p.Offset, 1 << 30}, {"limit", &p.Limit, maxPhoneContacts}, {"account", &dir.Account, 5}} {
		v := q.Get(it.name)
		if v == "" {
			continue
		}
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 || n > it.max {
			pr := badRequest("%s must be a number from 0 to %d", it.name, it.max)
			pr.Field = it.name
			return p, dir, pr
		}
		*it.dst = n
	}
	return p, dir, nil
}

// phoneContacts reads the contacts a phone shows, sorted by name:
// personal contacts (unless a phonebook is asked for) then company ones.
func (s *Server) phoneContacts(ctx context.Context, sc *scope, phonebook, text string) ([]lookup.Contact, error) {
	var out []lookup.Contact
	each := func(search func(cursor string) ([]lookup.Contact, string, error)) error {
		cursor := ""
		for len(out) < maxPhoneContacts {
			cs, next, err := search(cursor)
			if err != nil {
				return err
			}
			for i := range cs {
				if cs[i].Owner != "" || sc.canView(&cs[i]) {
					out = append(out, cs[i])
				}
			}
			if next == "" || len(cs) == 0 {
				return nil
			}
			cursor = next
		}
		return nil
	}
	if phonebook == "" && !sc.v.Admin {
		err := each(func(cursor string) ([]lookup.Contact, string, error) {
			return s.st.SearchPersonal(ctx, sc.v.Extension, lookup.ContactQuery{Viewer: sc.v, Text: text, Cursor: cursor, Limit: exportPage})
		})
		if err != nil {
			return nil, err
		}
	}
	err := each(func(cursor string) ([]lookup.Contact, string, error) {
		return s.st.SearchContacts(ctx, lookup.ContactQuery{Viewer: sc.v, Text: text, Phonebook: phonebook, Cursor: cursor, Limit: exportPage})
	})
	if err != nil {
		return nil, err
	}
	if len(out) > maxPhoneContacts {
		out = out[:maxPhoneContacts]
	}
	return sortByName(out), nil
}

// sortByName orders contacts by folded display name (computed once each).
func sortByName(cs []lookup.Contact) []lookup.Contact {
	type keyed struct {
		key string
		i   int
	}
	ks := make([]keyed, len(cs))
	for i := range cs {
		ks[i] = keyed{lookup.FoldString(cs[i].DisplayName()), i}
	}
	slices.SortStableFunc(ks, func(a, b keyed) int { return strings.Compare(a.key, b.key) })
	out := make([]lookup.Contact, len(cs))
	for j, k := range ks {
		out[j] = cs[k.i]
	}
	return out
}

// phoneSearch filters by the phone's search form: phonedir.Search, plus,
// with Options.Normalize, an exact match of the normalised number (so
// "0301234567" finds "+49 30 1234567").
func (s *Server) phoneSearch(cs []lookup.Contact, name, number string) []lookup.Contact {
	key := ""
	if number != "" && s.opts.Normalize != nil {
		key = s.opts.Normalize(number)
	}
	if key == "" {
		return phonedir.Search(cs, name, number)
	}
	var out []lookup.Contact
	for i := range cs {
		one := cs[i : i+1]
		hit := len(phonedir.Search(one, name, number)) == 1
		if !hit && len(phonedir.Search(one, name, "")) == 1 {
			hit = slices.ContainsFunc(cs[i].Numbers(), func(n string) bool { return s.opts.Normalize(n) == key })
		}
		if hit {
			out = append(out, cs[i])
		}
	}
	return out
}

// publicURL is the URL the phone fetched, on Options.PublicURL when set.
func (s *Server) publicURL(r *http.Request) string {
	base := s.opts.PublicURL
	if base == "" {
		scheme := "http"
		if r.TLS != nil {
			scheme = "https"
		}
		base = scheme + "://" + r.Host
	}
	u := base + r.URL.Path
	if r.URL.RawQuery != "" {
		u += "?" + r.URL.RawQuery
	}
	return u
}

// withoutParams removes query parameters from a URL.
func withoutParams(raw string, names ...string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return raw
	}
	q := u.Query()
	for _, n := range names {
		q.Del(n)
	}
	u.RawQuery = q.Encode()
	return u.String()
}
