package store

import (
	"context"
	"crypto/rand"
	"encoding/base32"
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

var idEncoding = base32.NewEncoding("0123456789abcdefghijklmnopqrstuv").WithPadding(base32.NoPadding)

// NewID returns a short random id (13 characters, 64 random bits).
func NewID() string {
	var b [8]byte
	_, _ = rand.Read(b[:])
	return idEncoding.EncodeToString(b[:])
}

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
		c.ID = NewID()
	}
	val := encodeContact(nil, &c, keys)
	db.wmu.Lock()
	defer db.wmu.Unlock()
	if err := db.bdb.Update(func(txn *badger.Txn) error { return txn.Set(contactKey(c.ID), val) }); err != nil {
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
	return db.deleteRecord(ctx, id, contactKey, func() {
		if db.indexContacts {
			db.ix.DeleteContact(id)
		}
	})
}

func (db *DB) deleteRecord(ctx context.Context, id string, keyOf func(string) []byte, unindex func()) error {
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

// LoadIndex builds the index from the store: every contact (with its
// stored number keys) and every prefix rule. Open calls it.
func (db *DB) LoadIndex() error {
	db.wmu.Lock()
	defer db.wmu.Unlock()
	if db.indexContacts {
		if err := db.loadContacts(); err != nil {
			return err
		}
	}
	return db.scan(context.Background(), prefixRule, "", func(id string, v []byte) (bool, error) {
		r, err := decodeRule(id, v)
		if err != nil {
			return false, fmt.Errorf("store: rule %s: %w", id, err)
		}
		if err := db.ix.PutRule(r); err != nil {
			db.log.Warn("prefix rule not indexed", "rule", id, "err", err)
		}
		return true, nil
	})
}

func (db *DB) loadContacts() error {
	n, err := db.count(prefixContact)
	if err != nil {
		return err
	}
	db.ix.Reserve(n, n*2)
	var ed entryDecoder
	err = db.bdb.View(func(txn *badger.Txn) error {
		opt := badger.DefaultIteratorOptions
		opt.Prefix = []byte(prefixContact)
		opt.PrefetchSize = 256
		it := txn.NewIterator(opt)
		defer it.Close()
		for it.Rewind(); it.Valid(); it.Next() {
			item := it.Item()
			id := item.Key()[len(prefixContact):]
			err := item.Value(func(v []byte) error {
				e, err := ed.decode(id, v)
				if err != nil {
					return fmt.Errorf("store: contact %s: %w", id, err)
				}
				db.ix.PutContact(e)
				return nil
			})
			if err != nil {
				return err
			}
		}
		return nil
	})
	return err
}

// count counts the keys under prefix without reading values.
func (db *DB) count(prefix string) (int, error) {
	n := 0
	err := db.bdb.View(func(txn *badger.Txn) error {
		opt := badger.DefaultIteratorOptions
		opt.PrefetchValues = false
		opt.Prefix = []byte(prefix)
		it := txn.NewIterator(opt)
		defer it.Close()
		for it.Rewind(); it.Valid(); it.Next() {
			n++
		}
		return nil
	})
	return n, err
}

// renormalise recomputes the stored number keys of every contact with the
// current normaliser (after the default region changed).
func (db *DB) renormalise() error {
	wb := db.bdb.NewWriteBatch()
	defer wb.Cancel()
	err := db.EachContact(context.Background(), func(c lookup.Contact) (bool, error) {
		return true, wb.Set(contactKey(c.ID), encodeContact(nil, &c, db.norm.Keys(&c)))
	})
	if err != nil {
		return fmt.Errorf("store: renormalise: %w", err)
	}
	if err := wb.Flush(); err != nil {
		return fmt.Errorf("store: renormalise: %w", err)
	}
	return nil
}
