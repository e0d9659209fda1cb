package store

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/dgraph-io/badger/v4"

	"cidproxy/lookup"
)

const prefixPersonal = "v1/pc/"

func personalPrefix(owner string) string  { return prefixPersonal + owner + "/" }
func personalKey(owner, id string) []byte { return []byte(personalPrefix(owner) + id) }

// PutPersonal creates (empty ID) or replaces a personal contact of
// extension owner (ErrNotFound when owner is not an extension). Personal
// contacts have no phonebooks; over the per-extension limit is ErrLimit.
// A non-zero c.Rev must equal the stored revision (ErrConflict).
func (db *DB) PutPersonal(ctx context.Context, owner string, c lookup.Contact) (lookup.Contact, error) {
	if err := ctx.Err(); err != nil {
		return c, err
	}
	if _, err := db.GetExtension(ctx, owner); err != nil {
		return c, err
	}
	c.Owner, c.Phonebooks = owner, nil
	keys, err := db.validateContact(&c)
	if err != nil {
		return c, err
	}
	if c.ReadOnly || isSyncedSource(c.Source) {
		return c, &FieldError{"read_only", fmt.Errorf("%w: personal contacts cannot be read-only or synced", ErrInvalid)}
	}
	db.wmu.Lock()
	defer db.wmu.Unlock()
	exists := false
	var old *lookup.Contact
	if c.ID != "" {
		o, err := db.GetPersonal(ctx, owner, c.ID)
		switch {
		case err == nil:
			exists, old = true, &o
			if c.Source == "" {
				c.Source = o.Source
			}
		case !errors.Is(err, ErrNotFound):
			return c, err
		}
	}
	if err := checkRev("personal contact", c.ID, c.Rev, old); err != nil {
		return c, err
	}
	if c.Source == "" {
		c.Source = lookup.ContactSourceManual
	}
	if !exists {
		if err := db.checkPersonal(owner, 1); err != nil {
			return c, err
		}
	}
	if c.ID == "" {
		c.ID = db.ids.next()
	}
	err = db.update(func(txn *badger.Txn, rw *revWriter) error {
		rev, err := rw.change(lookup.Change{Kind: lookup.KindPersonal, ID: c.ID, Owner: owner})
		if err != nil {
			return err
		}
		c.Rev = rev
		return txn.Set(personalKey(owner, c.ID), encodeContact(nil, &c, keys))
	})
	if err != nil {
		return c, fmt.Errorf("store: put personal contact: %w", err)
	}
	if !exists {
		db.addPersonal(owner, 1)
	}
	db.ix.PutPersonal(owner, entryOf(&c, keys))
	return c, nil
}

// GetPersonal returns personal contact id of owner, or ErrNotFound (also
// when it belongs to another extension).
func (db *DB) GetPersonal(ctx context.Context, owner, id string) (lookup.Contact, error) {
	if err := ctx.Err(); err != nil {
		return lookup.Contact{}, err
	}
	if !validExtension(owner) || !validID(id) {
		return lookup.Contact{}, fmt.Errorf("store: personal contact %s: %w", maskID(id), ErrNotFound)
	}
	v, err := db.getRaw(personalKey(owner, id))
	if err != nil {
		return lookup.Contact{}, fmt.Errorf("store: personal contact %s: %w", id, err)
	}
	c := lookup.Contact{ID: id, Owner: owner}
	if _, err := decodeContact(v, &c); err != nil {
		return lookup.Contact{}, fmt.Errorf("store: personal contact %s: %w", id, err)
	}
	c.Phonebooks = nil
	return c, nil
}

// DeletePersonal removes personal contact id of owner (ErrNotFound when
// it does not exist or belongs to another extension).
func (db *DB) DeletePersonal(ctx context.Context, owner, id string) error {
	if _, err := db.GetPersonal(ctx, owner, id); err != nil {
		return err
	}
	db.wmu.Lock()
	defer db.wmu.Unlock()
	err := db.update(func(txn *badger.Txn, rw *revWriter) error {
		if _, err := txn.Get(personalKey(owner, id)); err != nil {
			return err
		}
		if _, err := rw.change(lookup.Change{Kind: lookup.KindPersonal, ID: id, Owner: owner, Deleted: true}); err != nil {
			return err
		}
		return txn.Delete(personalKey(owner, id))
	})
	if errors.Is(err, badger.ErrKeyNotFound) {
		return fmt.Errorf("store: personal contact %s: %w", id, ErrNotFound)
	}
	if err != nil {
		return fmt.Errorf("store: delete personal contact: %w", err)
	}
	db.addPersonal(owner, -1)
	db.ix.DeletePersonal(owner, id)
	return nil
}

// loadPersonal indexes every personal contact and counts them per
// extension.
func (db *DB) loadPersonal() error {
	var ed entryDecoder
	return db.scan(context.Background(), prefixPersonal, "", func(rest string, v []byte) (bool, error) {
		owner, id, ok := strings.Cut(rest, "/")
		if !ok {
			return true, nil
		}
		e, err := ed.decode([]byte(id), v)
		if err != nil {
			return false, fmt.Errorf("store: personal contact %s: %w", id, err)
		}
		e.Phonebooks = nil
		db.ix.PutPersonal(owner, e)
		db.personalN[owner]++
		return true, nil
	})
}

// keysUnder returns the key suffixes under prefix (at most max; more is
// an error).
func (db *DB) keysUnder(ctx context.Context, prefix string, max int) ([]string, error) {
	var out []string
	err := db.bdb.View(func(txn *badger.Txn) error {
		opt := badger.DefaultIteratorOptions
		opt.PrefetchValues = false
		opt.Prefix = []byte(prefix)
		it := txn.NewIterator(opt)
		defer it.Close()
		for it.Rewind(); it.Valid(); it.Next() {
			if len(out) >= max {
				return fmt.Errorf("more than %d records under %s", max, prefix)
			}
			if err := ctx.Err(); err != nil {
				return err
			}
			out = append(out, string(it.Item().Key()[len(prefix):]))
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("store: %w", err)
	}
	return out, nil
}
