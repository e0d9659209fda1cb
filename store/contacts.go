package store

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/dgraph-io/badger/v4"

	"cidproxy/lookup"
)

// maxFieldLen bounds every contact field (bytes).
const maxFieldLen = 1024

// FieldError is a validation error of one contact field.
type FieldError struct {
	Field string // CSV column name, e.g. "mobile_number"
	Err   error
}

func (e *FieldError) Error() string { return fmt.Sprintf("store: field %s: %v", e.Field, e.Err) }
func (e *FieldError) Unwrap() error { return e.Err }

// ErrInvalid is wrapped by every validation error.
var ErrInvalid = errors.New("invalid value")

// validateContact checks c and returns its normalised number keys.
func (db *DB) validateContact(c *lookup.Contact) ([]string, error) {
	if c.ID != "" && !validID(c.ID) {
		return nil, &FieldError{"id", fmt.Errorf("%w: %q: use 1-%d of [A-Za-z0-9_.-]", ErrInvalid, c.ID, maxIDLen)}
	}
	for i, f := range contactFields(c) {
		if len(*f) > maxFieldLen || !utf8.ValidString(*f) {
			return nil, &FieldError{csvColumnOf(i), fmt.Errorf("%w: longer than %d bytes or not UTF-8", ErrInvalid, maxFieldLen)}
		}
	}
	if c.DisplayName() == "" {
		return nil, &FieldError{"first_name", fmt.Errorf("%w: a contact needs first_name, last_name or company", ErrInvalid)}
	}
	var keys []string
	for i, p := range c.NumberFields() {
		if strings.TrimSpace(*p) == "" {
			continue
		}
		k, err := db.norm.Key(*p)
		if err != nil {
			return nil, &FieldError{lookup.NumberFieldNames[i], fmt.Errorf("%w: %q is not a phone number", ErrInvalid, *p)}
		}
		if !slices.Contains(keys, k) {
			keys = append(keys, k)
		}
	}
	return keys, nil
}

// PutContact creates (empty ID: a new id) or replaces a contact and updates
// the index. It returns the stored contact. Source defaults to "manual".
func (db *DB) PutContact(ctx context.Context, c lookup.Contact) (lookup.Contact, error) {
	if err := ctx.Err(); err != nil {
		return c, err
	}
	if c.Source == "" {
		c.Source = lookup.ContactSourceManual
	}
	keys, err := db.validateContact(&c)
	if err != nil {
		return c, err
	}
	if c.ID == "" {
		c.ID = db.ids.next()
	}
	val := encodeContact(nil, &c, keys)
	proj := encodeProjection(nil, c.DisplayName(), keys)
	db.wmu.Lock()
	defer db.wmu.Unlock()
	err = db.bdb.Update(func(txn *badger.Txn) error {
		if _, err := txn.Get(contactKey(c.ID)); errors.Is(err, badger.ErrKeyNotFound) {
			if err := addCount(txn, 1); err != nil {
				return err
			}
		}
		if err := txn.Set(contactKey(c.ID), val); err != nil {
			return err
		}
		return txn.Set(projKey(c.ID), proj)
	})
	if err != nil {
		return c, fmt.Errorf("store: put contact: %w", err)
	}
	if db.indexContacts {
		db.ix.PutContact(lookup.IndexEntry{ID: c.ID, Name: c.DisplayName(), Keys: keys})
	}
	return c, nil
}

// GetContact returns contact id or ErrNotFound.
func (db *DB) GetContact(ctx context.Context, id string) (lookup.Contact, error) {
	if err := ctx.Err(); err != nil {
		return lookup.Contact{}, err
	}
	if !validID(id) {
		return lookup.Contact{}, ErrNotFound
	}
	v, err := db.getRaw(contactKey(id))
	if err != nil {
		return lookup.Contact{}, err
	}
	c := lookup.Contact{ID: id}
	if _, err := decodeContact(v, &c); err != nil {
		return lookup.Contact{}, fmt.Errorf("store: contact %s: %w", id, err)
	}
	return c, nil
}

// DeleteContact removes contact id from the store and the index; it
// returns ErrNotFound when it does not exist.
func (db *DB) DeleteContact(ctx context.Context, id string) error {
	return db.deleteRecord(ctx, id, contactKey, projKey, func() {
		if db.indexContacts {
			db.ix.DeleteContact(id)
		}
	})
}

// deleteRecord deletes keyOf(id) (ErrNotFound when missing) and, when
// given, alsoOf(id), then calls unindex.
func (db *DB) deleteRecord(ctx context.Context, id string, keyOf, alsoOf func(string) []byte, unindex func()) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if !validID(id) {
		return ErrNotFound
	}
	db.wmu.Lock()
	defer db.wmu.Unlock()
	err := db.bdb.Update(func(txn *badger.Txn) error {
		if _, err := txn.Get(keyOf(id)); err != nil {
			return err
		}
		if alsoOf != nil { // a contact: its projection and the count
			if err := txn.Delete(alsoOf(id)); err != nil {
				return err
			}
			if err := addCount(txn, -1); err != nil {
				return err
			}
		}
		return txn.Delete(keyOf(id))
	})
	if errors.Is(err, badger.ErrKeyNotFound) {
		return ErrNotFound
	}
	if err != nil {
		return fmt.Errorf("store: delete: %w", err)
	}
	unindex()
	return nil
}

// MaxPage is the largest page ListContacts returns.
const MaxPage = 1000

// ListContacts returns up to limit contacts (1..MaxPage) in id order,
// starting after cursor ("" = from the start), and the cursor of the next
// page ("" when there is none).
func (db *DB) ListContacts(ctx context.Context, cursor string, limit int) ([]lookup.Contact, string, error) {
	limit = min(max(limit, 1), MaxPage)
	var out []lookup.Contact
	next := ""
	err := db.scan(ctx, prefixContact, cursor, func(id string, v []byte) (bool, error) {
		if len(out) == limit {
			next = out[len(out)-1].ID
			return false, nil
		}
		c := lookup.Contact{ID: id}
		if _, err := decodeContact(v, &c); err != nil {
			return false, fmt.Errorf("store: contact %s: %w", id, err)
		}
		out = append(out, c)
		return true, nil
	})
	return out, next, err
}

// EachContact calls fn for every contact in id order until fn returns
// false or an error.
func (db *DB) EachContact(ctx context.Context, fn func(lookup.Contact) (bool, error)) error {
	return db.scan(ctx, prefixContact, "", func(id string, v []byte) (bool, error) {
		c := lookup.Contact{ID: id}
		if _, err := decodeContact(v, &c); err != nil {
			return false, fmt.Errorf("store: contact %s: %w", id, err)
		}
		return fn(c)
	})
}

// scan iterates the keys under prefix after the id "after", in order.
// The value passed to fn is only valid during the call.
func (db *DB) scan(ctx context.Context, prefix, after string, fn func(id string, v []byte) (bool, error)) error {
	return db.bdb.View(func(txn *badger.Txn) error {
		opt := badger.DefaultIteratorOptions
		opt.Prefix = []byte(prefix)
		opt.PrefetchSize = 256
		it := txn.NewIterator(opt)
		defer it.Close()
		start := []byte(prefix + after)
		for it.Seek(start); it.Valid(); it.Next() {
			if err := ctx.Err(); err != nil {
				return err
			}
			item := it.Item()
			id := string(item.Key()[len(prefix):])
			if after != "" && id == after {
				continue
			}
			var more bool
			err := item.Value(func(v []byte) error {
				var err error
				more, err = fn(id, v)
				return err
			})
			if err != nil || !more {
				return err
			}
		}
		return nil
	})
}
