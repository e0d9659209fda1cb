package store

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"slices"

	"github.com/dgraph-io/badger/v4"

	"cidproxy/lookup"
)

// LoadIndex builds the index from the store: every contact's projection
// (display name and stored number keys) and every prefix rule. Open calls
// it on the empty index; calling it again re-reads the store into the
// index (inserting and replacing, not removing).
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
	var n int
	err := db.bdb.View(func(txn *badger.Txn) error {
		c, err := readCount(txn)
		n = int(min(c, 1<<24))
		return err
	})
	if err != nil {
		return fmt.Errorf("store: %w", err)
	}
	db.ix.Reserve(n, n*2)
	var ed entryDecoder
	return db.bdb.View(func(txn *badger.Txn) error {
		opt := badger.DefaultIteratorOptions
		opt.Prefix = []byte(prefixProj)
		opt.PrefetchSize = 256
		it := txn.NewIterator(opt)
		defer it.Close()
		for it.Rewind(); it.Valid(); it.Next() {
			item := it.Item()
			id := item.Key()[len(prefixProj):]
			err := item.Value(func(v []byte) error {
				e, err := ed.decodeProjection(id, v)
				if err != nil {
					return fmt.Errorf("store: contact %s: %w", id, err)
				}
				e.Phonebooks = slices.DeleteFunc(e.Phonebooks, func(pb string) bool { _, ok := db.pbs[pb]; return !ok })
				db.ix.PutContact(e)
				return nil
			})
			if err != nil {
				return err
			}
		}
		return nil
	})
}

// readCount returns the contact count hint.
func readCount(txn *badger.Txn) (uint64, error) {
	item, err := txn.Get([]byte(keyCount))
	if errors.Is(err, badger.ErrKeyNotFound) {
		return 0, nil
	}
	if err != nil {
		return 0, err
	}
	var n uint64
	err = item.Value(func(v []byte) error {
		if len(v) == 8 {
			n = binary.BigEndian.Uint64(v)
		}
		return nil
	})
	return n, err
}

// addCount adds d to the contact count hint (never below zero).
func addCount(txn *badger.Txn, d int) error {
	n, err := readCount(txn)
	if err != nil {
		return err
	}
	n = uint64(max(int64(n)+int64(d), 0))
	return txn.Set([]byte(keyCount), binary.BigEndian.AppendUint64(nil, n))
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

// keyProjFmt records the projection format; 2 added phonebooks. Open
// rewrites older projections.
const (
	keyProjFmt  = "v1/meta/projfmt"
	projFmtCurr = "2"
)

func (db *DB) migrateProjections() error {
	v, err := db.getRaw([]byte(keyProjFmt))
	if err != nil && !errors.Is(err, ErrNotFound) {
		return err
	}
	if string(v) == projFmtCurr {
		return nil
	}
	if n, err := db.count(prefixContact); err != nil {
		return err
	} else if n > 0 {
		db.log.Info("rewriting contact projections", "contacts", n)
		if err := db.rewriteContacts(false); err != nil {
			return err
		}
	}
	return db.putRaw([]byte(keyProjFmt), []byte(projFmtCurr))
}

// rewriteContacts rewrites every contact's projection and, with
// renormalise, first recomputes its number keys with the current
// normaliser (after the default region changed).
func (db *DB) rewriteContacts(renormalise bool) error {
	if err := db.space.check(0); err != nil {
		return err
	}
	wb := db.bdb.NewWriteBatch()
	defer wb.Cancel()
	err := db.scan(context.Background(), prefixContact, "", func(id string, v []byte) (bool, error) {
		c := lookup.Contact{ID: id}
		keys, err := decodeContact(v, &c)
		if err != nil {
			return false, fmt.Errorf("contact %s: %w", id, err)
		}
		if renormalise {
			keys = db.norm.Keys(&c)
			if err := wb.Set(contactKey(id), encodeContact(nil, &c, keys)); err != nil {
				return false, err
			}
		}
		e := entryOf(&c, keys)
		return true, wb.Set(projKey(id), encodeProjection(nil, &e))
	})
	if err == nil {
		err = wb.Flush()
	}
	if err != nil {
		return fmt.Errorf("store: rewrite contacts: %w", err)
	}
	return nil
}

// entryOf is the index entry of c with its keys.
func entryOf(c *lookup.Contact, keys []string) lookup.IndexEntry {
	return lookup.IndexEntry{ID: c.ID, Name: c.DisplayName(), Keys: keys, Phonebooks: c.Phonebooks, Text: lookup.SearchText(c)}
}
