package store

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"cidproxy/lookup"
)

// DefaultPage is the page size of a search without a Limit.
const DefaultPage = 100

// errNoIndex is returned by searches of a store opened WithoutContactIndex.
var errNoIndex = errors.New("store: search needs the contact index (opened without it)")

// searchFilter turns q into an index filter: folded text, the number's
// normalised key and its digits without leading zeros (a digit substring
// of at least 3 digits), cursor and limit.
func (db *DB) searchFilter(q lookup.ContactQuery) (lookup.SearchFilter, error) {
	f := lookup.SearchFilter{Viewer: q.Viewer, Phonebook: q.Phonebook, After: q.Cursor}
	if f.After != "" && !validID(f.After) {
		return f, &FieldError{"cursor", fmt.Errorf("%w: not a cursor of this API", ErrInvalid)}
	}
	if len(q.Text) > maxFieldLen || len(q.Number) > maxFieldLen {
		return f, &FieldError{"q", fmt.Errorf("%w: longer than %d bytes", ErrInvalid, maxFieldLen)}
	}
	f.Text = string(lookup.Fold(nil, strings.TrimSpace(q.Text)))
	if n := strings.TrimSpace(q.Number); n != "" {
		if k, err := db.norm.Key(n); err == nil {
			f.Key = k
		}
		var d []byte
		for i := 0; i < len(n); i++ {
			if n[i] >= '0' && n[i] <= '9' {
				d = append(d, n[i])
			}
		}
		d = []byte(strings.TrimLeft(string(d), "0"))
		if len(d) >= 3 {
			f.Digits = string(d)
		}
		if f.Key == "" && f.Digits == "" {
			f.Digits = "\x00" // a number nothing matches
		}
	}
	f.Limit = q.Limit
	if f.Limit <= 0 {
		f.Limit = DefaultPage
	}
	f.Limit = min(f.Limit, MaxPage)
	return f, nil
}

// SearchContacts lists company contacts visible to q.Viewer (an admin
// sees all, also those in no phonebook; an extension those in phonebooks
// it may view; any other viewer those in phonebooks granted to everyone),
// filtered by q, in id order (creation order), and the cursor of the next
// page ("" at the end). Text is a case- and accent-insensitive substring
// of first name, last name, company or email; Number matches a number in
// any format exactly (normalised) or as a digit substring (3 digits or
// more, leading zeros ignored). A Phonebook the viewer may not see is
// ErrNotFound. Limit defaults to DefaultPage, at most MaxPage.
func (db *DB) SearchContacts(ctx context.Context, q lookup.ContactQuery) ([]lookup.Contact, string, error) {
	if err := ctx.Err(); err != nil {
		return nil, "", err
	}
	if !db.indexContacts {
		return nil, "", errNoIndex
	}
	f, err := db.searchFilter(q)
	if err != nil {
		return nil, "", err
	}
	if f.Phonebook != "" && !db.ix.CanView(q.Viewer, f.Phonebook) {
		return nil, "", fmt.Errorf("store: phonebook %s: %w", maskID(f.Phonebook), ErrNotFound)
	}
	ids, more := db.ix.Search(f)
	return db.fetch(ids, more, func(id string) (lookup.Contact, error) { return db.GetContact(ctx, id) })
}

// SearchPersonal is SearchContacts over the personal contacts of owner.
// Only owner itself or an admin may search them: for any other viewer, and
// for an owner that is not an extension, it is ErrNotFound.
func (db *DB) SearchPersonal(ctx context.Context, owner string, q lookup.ContactQuery) ([]lookup.Contact, string, error) {
	if err := ctx.Err(); err != nil {
		return nil, "", err
	}
	if !q.Viewer.Admin && q.Viewer.Extension != owner {
		return nil, "", fmt.Errorf("store: personal contacts of %s: %w", maskID(owner), ErrNotFound)
	}
	if _, err := db.GetExtension(ctx, owner); err != nil {
		return nil, "", err
	}
	f, err := db.searchFilter(q)
	if err != nil {
		return nil, "", err
	}
	ids, more := db.ix.SearchPersonal(owner, f)
	return db.fetch(ids, more, func(id string) (lookup.Contact, error) { return db.GetPersonal(ctx, owner, id) })
}

// fetch reads the records of ids (skipping ones deleted meanwhile).
func (db *DB) fetch(ids []string, more bool, get func(string) (lookup.Contact, error)) ([]lookup.Contact, string, error) {
	out := make([]lookup.Contact, 0, len(ids))
	for _, id := range ids {
		c, err := get(id)
		if errors.Is(err, ErrNotFound) {
			continue
		}
		if err != nil {
			return nil, "", err
		}
		out = append(out, c)
	}
	next := ""
	if more && len(ids) > 0 {
		next = ids[len(ids)-1]
	}
	return out, next, nil
}
