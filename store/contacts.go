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
		if hasControl(*f) {
			return nil, &FieldError{csvColumnOf(i), fmt.Errorf("%w: holds a control character (such as NUL)", ErrInvalid)}
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

// PutContact creates (empty ID: a new id) or replaces a company contact
// and updates the index. c.Phonebooks is its membership (ids of existing
// phonebooks). It returns the stored contact with its revision. Source
// defaults to "manual" (or the stored source on an update).
//
// A contact that is read-only (synced from sql:/crm:) or sits in a
// read-only phonebook cannot be changed (ErrReadOnly, saying where it comes
// from), nor can contacts be added to or removed from a read-only
// phonebook; PutContact does not create read-only contacts (ErrInvalid;
// the sync uses SyncContact). A new contact over the company contacts
// limit is ErrLimit. A non-zero c.Rev must equal the stored revision
// (compare-and-set for If-Match): otherwise ErrConflict.
func (db *DB) PutContact(ctx context.Context, c lookup.Contact) (lookup.Contact, error) {
	return db.putContact(ctx, c, false)
}

// SyncContact is PutContact for the sync code: it may write read-only
// contacts and read-only phonebooks' memberships (sources sql:/crm: are
// always read-only).
func (db *DB) SyncContact(ctx context.Context, c lookup.Contact) (lookup.Contact, error) {
	return db.putContact(ctx, c, true)
}

func (db *DB) putContact(ctx context.Context, c lookup.Contact, sync bool) (lookup.Contact, error) {
	if err := ctx.Err(); err != nil {
		return c, err
	}
	c.Owner = ""
	keys, err := db.validateContact(&c)
	if err != nil {
		return c, err
	}
	if c.Phonebooks, err = db.validMembership(c.Phonebooks); err != nil {
		return c, err
	}
	db.wmu.Lock()
	defer db.wmu.Unlock()
	var old *lookup.Contact
	if c.ID != "" {
		o, err := db.GetContact(ctx, c.ID)
		switch {
		case err == nil:
			old = &o
		case !errors.Is(err, ErrNotFound):
			return c, err
		}
	}
	if err := checkRev("contact", c.ID, c.Rev, old); err != nil {
		return c, err
	}
	if old != nil && c.Source == "" {
		c.Source = old.Source
	}
	if c.Source == "" {
		c.Source = lookup.ContactSourceManual
	}
	if isSyncedSource(c.Source) {
		c.ReadOnly = true
	}
	if !sync {
		if err := db.checkWritable(old, &c); err != nil {
			return c, err
		}
	}
	if old == nil {
		if err := db.checkContacts(1); err != nil {
			return c, err
		}
	}
	if c.ID == "" {
		c.ID = db.ids.next()
	}
	err = db.update(func(txn *badger.Txn, rw *revWriter) error {
		ch := lookup.Change{Kind: lookup.KindContact, ID: c.ID, Phonebooks: c.Phonebooks}
		if old != nil {
			ch.Phonebooks = union(old.Phonebooks, c.Phonebooks)
		} else if err := addCount(txn, 1); err != nil {
			return err
		}
		rev, err := rw.change(ch)
		if err != nil {
			return err
		}
		c.Rev = rev
		e := entryOf(&c, keys)
		if err := txn.Set(contactKey(c.ID), encodeContact(nil, &c, keys)); err != nil {
			return err
		}
		return txn.Set(projKey(c.ID), encodeProjection(nil, &e))
	})
	if err != nil {
		return c, fmt.Errorf("store: put contact: %w", err)
	}
	if old == nil {
		db.addContacts(1)
	}
	if db.indexContacts {
		db.ix.PutContact(entryOf(&c, keys))
	}
	return c, nil
}

// GetContact returns company contact id or ErrNotFound. Ids of deleted
// phonebooks are left out of Phonebooks.
func (db *DB) GetContact(ctx context.Context, id string) (lookup.Contact, error) {
	if err := ctx.Err(); err != nil {
		return lookup.Contact{}, err
	}
	if !validID(id) {
		return lookup.Contact{}, fmt.Errorf("store: contact %s: %w", maskID(id), ErrNotFound)
	}
	v, err := db.getRaw(contactKey(id))
	if err != nil {
		return lookup.Contact{}, fmt.Errorf("store: contact %s: %w", id, err)
	}
	c := lookup.Contact{ID: id}
	if _, err := decodeContact(v, &c); err != nil {
		return lookup.Contact{}, fmt.Errorf("store: contact %s: %w", id, err)
	}
	c.Phonebooks = db.knownPhonebooks(c.Phonebooks)
	return c, nil
}

// DeleteContact removes company contact id from the store and the index;
// ErrNotFound when it does not exist, ErrReadOnly when it is synced or in
// a read-only phonebook (see DeleteSynced).
func (db *DB) DeleteContact(ctx context.Context, id string) error {
	return db.deleteContact(ctx, id, false)
}

// DeleteSynced is DeleteContact for the sync code (read-only contacts too).
func (db *DB) DeleteSynced(ctx context.Context, id string) error {
	return db.deleteContact(ctx, id, true)
}

func (db *DB) deleteContact(ctx context.Context, id string, sync bool) error {
	db.wmu.Lock()
	defer db.wmu.Unlock()
	old, err := db.GetContact(ctx, id)
	if err != nil {
		return err
	}
	if !sync {
		if err := db.checkWritable(&old, nil); err != nil {
			return err
		}
	}
	err = db.update(func(txn *badger.Txn, rw *revWriter) error {
		if _, err := rw.change(lookup.Change{Kind: lookup.KindContact, ID: id, Deleted: true, Phonebooks: old.Phonebooks}); err != nil {
			return err
		}
		if err := addCount(txn, -1); err != nil {
			return err
		}
		if err := txn.Delete(projKey(id)); err != nil {
			return err
		}
		return txn.Delete(contactKey(id))
	})
	if err != nil {
		return fmt.Errorf("store: delete contact: %w", err)
	}
	db.addContacts(-1)
	if db.indexContacts {
		db.ix.DeleteContact(id)
	}
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
		c.Phonebooks = db.knownPhonebooks(c.Phonebooks)
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
		c.Phonebooks = db.knownPhonebooks(c.Phonebooks)
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
